"""AdamW and RMSprop follow PyTorch step for step; every optimizer's state dict has PyTorch's
layout, holds copies, and resumes training exactly where it stopped (ours or PyTorch's)."""

import math

import numpy as np
import pytest
import torch

from tinygrad_lr import GraphError, nn, optim, tensor

N, D, C = 32, 3, 4
PRECISION = {
    "float64": (np.float64, torch.float64, 1e-12),
    "float32": (np.float32, torch.float32, 1e-5),
}
CONFIGS = {
    "adamw": (optim.AdamW, torch.optim.AdamW, dict(lr=0.05)),
    "adamw-amsgrad": (
        optim.AdamW,
        torch.optim.AdamW,
        dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True),
    ),
    "adam-decoupled": (
        optim.Adam,
        torch.optim.Adam,
        dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    ),
    "rmsprop": (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop-decay": (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, weight_decay=0.1)),
    "rmsprop-momentum": (
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.01, alpha=0.9, momentum=0.8),
    ),
    "rmsprop-centered": (
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.01, alpha=0.95, eps=1e-6, centered=True, weight_decay=0.05),
    ),
    "rmsprop-all": (
        optim.RMSprop,
        torch.optim.RMSprop,
        dict(lr=0.005, momentum=0.5, centered=True, weight_decay=0.01),
    ),
}
RESUMABLE = {
    "sgd-momentum": (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    "adam-amsgrad": (optim.Adam, torch.optim.Adam, dict(lr=0.05, amsgrad=True)),
    "adamw": CONFIGS["adamw"],
    "rmsprop-all": CONFIGS["rmsprop-all"],
}


def _data(np_dtype, seed=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, C, N)
    x = (rng.standard_normal((N, D)) + np.eye(C, D)[y] * 2).astype(np_dtype)
    return x, y


def _models(np_dtype, torch_dtype, seed=0):
    model = nn.Linear(D, C, dtype=np_dtype, generator=np.random.default_rng(seed))
    reference = torch.nn.Linear(D, C, dtype=torch_dtype)
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    return model, reference


def _train(model, opt, x, y, steps):
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(tensor(x)), y).backward()
        opt.step()


def _train_torch(model, opt, x, y, steps):
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(model(torch.tensor(x)), torch.tensor(y)).backward()
        opt.step()


def _assert_same_weights(model, reference, tol, what=""):
    for key, value in reference.state_dict().items():
        np.testing.assert_allclose(
            model.state_dict()[key], value.numpy(), rtol=tol, atol=tol, err_msg=f"{key} {what}"
        )


@pytest.mark.parametrize("precision", PRECISION.keys())
@pytest.mark.parametrize("name", CONFIGS.keys())
def test_training_matches_torch_after_every_step(name, precision):
    ours, theirs, options = CONFIGS[name]
    np_dtype, torch_dtype, tol = PRECISION[precision]
    x, y = _data(np_dtype)
    model, reference = _models(np_dtype, torch_dtype)
    opt, torch_opt = ours(model.parameters(), **options), theirs(reference.parameters(), **options)
    for step in range(30):
        _train(model, opt, x, y, 1)
        _train_torch(reference, torch_opt, x, y, 1)
        _assert_same_weights(model, reference, tol, f"after step {step + 1} ({name})")
    assert model.weight.dtype == np_dtype


def test_adamw_decay_shrinks_the_weights_and_adam_adds_it_to_the_gradient():
    """With a zero gradient Adam's m and v stay zero (no step), while AdamW still shrinks p."""
    for factory, expected in ((optim.AdamW, 1 - 0.1 * 0.5), (optim.Adam, None)):
        w = tensor(np.ones(3), requires_grad=True)
        opt = factory([w], lr=0.1, weight_decay=0.5)
        w.grad = tensor(np.zeros(3))
        opt.step()
        if expected is None:  # coupled: g = 0.5·p, and Adam's first step moves p by about lr
            np.testing.assert_allclose(w.numpy(), 1 - 0.1, rtol=1e-6)
        else:
            np.testing.assert_allclose(w.numpy(), expected, rtol=1e-15)


def test_adamw_defaults_are_pytorchs():
    ours = optim.AdamW([tensor(np.ones(2), requires_grad=True)]).param_groups[0]
    theirs = torch.optim.AdamW([torch.ones(2, requires_grad=True)]).param_groups[0]
    for key in ("lr", "betas", "eps", "weight_decay", "amsgrad", "decoupled_weight_decay"):
        assert ours[key] == theirs[key], key
    assert ours["weight_decay"] == 0.01


def test_rmsprop_defaults_are_pytorchs():
    ours = optim.RMSprop([tensor(np.ones(2), requires_grad=True)]).param_groups[0]
    theirs = torch.optim.RMSprop([torch.ones(2, requires_grad=True)]).param_groups[0]
    for key in ("lr", "alpha", "eps", "weight_decay", "momentum", "centered"):
        assert ours[key] == theirs[key], key


def _params():
    return list(nn.Linear(2, 2, dtype=np.float64).parameters())


@pytest.mark.parametrize(
    ("ours", "theirs", "options"),
    [
        (optim.AdamW, torch.optim.AdamW, dict(lr=-0.1)),
        (optim.AdamW, torch.optim.AdamW, dict(eps=-1.0)),
        (optim.AdamW, torch.optim.AdamW, dict(weight_decay=-0.1)),
        (optim.AdamW, torch.optim.AdamW, dict(betas=(0.9, 1.0))),
        (optim.AdamW, torch.optim.AdamW, dict(betas=(-0.1, 0.9))),
        (optim.RMSprop, torch.optim.RMSprop, dict(lr=-0.1)),
        (optim.RMSprop, torch.optim.RMSprop, dict(eps=-1.0)),
        (optim.RMSprop, torch.optim.RMSprop, dict(momentum=-0.5)),
        (optim.RMSprop, torch.optim.RMSprop, dict(weight_decay=-0.1)),
        (optim.RMSprop, torch.optim.RMSprop, dict(alpha=-0.1)),
    ],
    ids=str,
)
def test_invalid_options_are_refused_as_pytorch_refuses_them(ours, theirs, options):
    with pytest.raises(ValueError, match="Invalid"):
        theirs([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError, match="Invalid"):
        ours(_params(), **options)


def test_rmsprop_accepts_an_alpha_above_one_as_pytorch_does():
    torch.optim.RMSprop([torch.zeros(2, requires_grad=True)], alpha=1.5)
    optim.RMSprop(_params(), alpha=1.5)


@pytest.mark.parametrize("factory", [optim.AdamW, optim.RMSprop], ids=["AdamW", "RMSprop"])
@pytest.mark.parametrize(
    "options",
    [dict(lr=math.nan), dict(lr=math.inf), dict(eps=math.nan), dict(weight_decay=math.inf)],
    ids=str,
)
def test_non_finite_options_are_refused_even_where_pytorch_lets_them_through(factory, options):
    with pytest.raises(ValueError, match="finite"):
        factory(_params(), **options)


@pytest.mark.parametrize("options", [dict(alpha=math.nan), dict(momentum=math.inf)], ids=str)
def test_non_finite_rmsprop_options_are_refused(options):
    with pytest.raises(ValueError, match="finite"):
        optim.RMSprop(_params(), **options)


def test_adamw_refuses_a_group_that_turns_decoupling_off():
    with pytest.raises(ValueError, match="use Adam"):
        optim.AdamW([{"params": _params(), "decoupled_weight_decay": False}])


@pytest.mark.parametrize("name", RESUMABLE.keys())
def test_every_update_is_in_place_bumps_the_version_and_records_no_graph(name):
    ours, _, options = RESUMABLE[name]
    model = nn.Linear(D, C, dtype=np.float64, generator=np.random.default_rng(0))
    opt = ours(model.parameters(), **options)
    x, y = _data(np.float64)
    # an input that requires grad makes the forward pass save the weight for its backward
    loss = nn.CrossEntropyLoss()(model(tensor(x, requires_grad=True)), y)
    loss.backward(retain_graph=True)
    arrays = [p.numpy() for p in model.parameters()]
    versions = [p._version for p in model.parameters()]
    opt.step()
    for p, array, version in zip(model.parameters(), arrays, versions):
        assert p.numpy() is array and p._version == version + 1
        assert p.is_leaf and p.grad_fn is None and p.requires_grad
    with pytest.raises(GraphError, match="changed in place"):
        loss.backward()  # the graph saw the weight before the update


def _state_after(name, steps, np_dtype=np.float64, groups=False):
    ours, _, options = RESUMABLE[name]
    model = nn.Linear(D, C, dtype=np_dtype, generator=np.random.default_rng(0))
    params = (
        [{"params": [model.weight]}, {"params": [model.bias], "lr": 0.01}]
        if groups
        else model.parameters()
    )
    opt = ours(params, **options)
    _train(model, opt, *_data(np_dtype), steps)
    return model, opt


@pytest.mark.parametrize("name", RESUMABLE.keys())
def test_state_dict_has_pytorchs_layout(name):
    _, theirs, options = RESUMABLE[name]
    _, opt = _state_after(name, 2, groups=True)
    reference = _models(np.float64, torch.float64)[1]
    torch_opt = theirs(
        [{"params": [reference.weight]}, {"params": [reference.bias], "lr": 0.01}], **options
    )
    _train_torch(reference, torch_opt, *_data(np.float64), 2)
    ours, theirs = opt.state_dict(), torch_opt.state_dict()
    assert set(ours) == {"state", "param_groups"}
    assert [g["params"] for g in ours["param_groups"]] == [[0], [1]]
    switches = {"foreach", "fused", "capturable", "differentiable", "maximize"}
    for group, torch_group in zip(ours["param_groups"], theirs["param_groups"]):
        assert set(group) == set(torch_group) - switches
        assert {k: group[k] for k in group} == {k: torch_group[k] for k in group}
    assert list(ours["state"]) == list(theirs["state"]) == [0, 1]
    for index, state in ours["state"].items():
        assert set(state) == set(theirs["state"][index])
        for key, value in state.items():
            if key == "step":
                assert value == 2 and isinstance(value, int)
            else:
                assert isinstance(value, np.ndarray)
                np.testing.assert_allclose(value, theirs["state"][index][key].numpy(), rtol=1e-9)


def test_state_dict_leaves_out_parameters_with_nothing_remembered_as_pytorch_does():
    w = tensor(np.ones(2), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = tensor(np.ones(2))
    opt.step()
    assert opt.state_dict()["state"] == {}


def test_state_dict_holds_copies_not_views():
    model, opt = _state_after("adamw", 2)
    saved = opt.state_dict()
    exp_avg = saved["state"][0]["exp_avg"].copy()
    _train(model, opt, *_data(np.float64), 1)
    np.testing.assert_array_equal(saved["state"][0]["exp_avg"], exp_avg)
    saved["state"][0]["exp_avg"][...] = 0
    saved["param_groups"][0]["lr"] = 123.0
    assert opt.state[model.weight]["exp_avg"].any() and opt.param_groups[0]["lr"] == 0.05

    fresh_model, fresh = _state_after("adamw", 0)
    fresh.load_state_dict(saved)
    saved["state"][0]["exp_avg"][...] = 7
    assert not (fresh.state[fresh_model.weight]["exp_avg"] == 7).any()


def _resume(ours, options, np_dtype, saved_model, saved_opt, x, y, steps):
    model = nn.Linear(D, C, dtype=np_dtype, generator=np.random.default_rng(99))
    model.load_state_dict(saved_model)
    opt = ours(model.parameters(), **options)
    opt.load_state_dict(saved_opt)
    _train(model, opt, x, y, steps)
    return model


@pytest.mark.parametrize("precision", PRECISION.keys())
@pytest.mark.parametrize("name", RESUMABLE.keys())
def test_training_resumed_from_a_state_dict_continues_exactly(name, precision):
    """5 steps, save, a new model and optimizer load both, 5 more: the same as 10 steps without
    a break, and as PyTorch doing the same."""
    ours, theirs, options = RESUMABLE[name]
    np_dtype, torch_dtype, tol = PRECISION[precision]
    x, y = _data(np_dtype)
    model, reference = _models(np_dtype, torch_dtype)
    opt = ours(model.parameters(), **options)
    _train(model, opt, x, y, 5)
    resumed = _resume(ours, options, np_dtype, model.state_dict(), opt.state_dict(), x, y, 5)
    _train(model, opt, x, y, 5)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)

    torch_opt = theirs(reference.parameters(), **options)
    _train_torch(reference, torch_opt, x, y, 5)
    torch_resumed = torch.nn.Linear(D, C, dtype=torch_dtype)
    torch_resumed.load_state_dict(reference.state_dict())
    torch_resumed_opt = theirs(torch_resumed.parameters(), **options)
    torch_resumed_opt.load_state_dict(torch_opt.state_dict())
    _train_torch(torch_resumed, torch_resumed_opt, x, y, 5)
    _assert_same_weights(resumed, torch_resumed, tol, f"resumed ({name}, {precision})")


@pytest.mark.parametrize("name", RESUMABLE.keys())
def test_a_pytorch_optimizer_state_dict_loads_and_training_continues_as_pytorchs(name):
    ours, theirs, options = RESUMABLE[name]
    x, y = _data(np.float64)
    reference = _models(np.float64, torch.float64)[1]
    torch_opt = theirs(reference.parameters(), **options)
    _train_torch(reference, torch_opt, x, y, 5)
    saved = {k: v.numpy().copy() for k, v in reference.state_dict().items()}
    resumed = _resume(ours, options, np.float64, saved, torch_opt.state_dict(), x, y, 5)
    _train_torch(reference, torch_opt, x, y, 5)
    _assert_same_weights(resumed, reference, 1e-12, name)


def test_loaded_state_is_cast_to_the_parameters_dtype_as_pytorch_casts_it():
    _, opt64 = _state_after("adamw", 3)
    model32, opt32 = _state_after("adamw", 0, np_dtype=np.float32)
    opt32.load_state_dict(opt64.state_dict())
    assert opt32.state[model32.weight]["exp_avg"].dtype == np.float32
    assert opt32.state[model32.weight]["step"] == 3


def test_loaded_options_replace_the_optimizers_own():
    _, opt = _state_after("adamw", 1, groups=True)
    opt.param_groups[1]["initial_lr"] = 0.01  # as a scheduler would add it
    _, fresh = _state_after("adamw", 0, groups=True)
    fresh.param_groups[0]["lr"] = 0.5
    fresh.load_state_dict(opt.state_dict())
    assert [g["lr"] for g in fresh.param_groups] == [0.05, 0.01]
    assert fresh.param_groups[1]["initial_lr"] == 0.01


def test_a_state_dict_with_another_number_of_groups_is_refused_as_pytorch_refuses_it():
    _, opt = _state_after("adamw", 1, groups=True)
    _, other = _state_after("adamw", 0)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        other.load_state_dict(opt.state_dict())


def test_a_group_of_another_size_is_refused_with_pytorchs_message():
    message = "loaded state dict contains a parameter group that doesn't match the size"
    a, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=message):
        torch.optim.AdamW([a]).load_state_dict(torch.optim.AdamW([a, b]).state_dict())

    model, opt = _state_after("adamw", 2)
    before = opt.state[model.weight]["exp_avg"].copy()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(optim.AdamW([model.weight]).state_dict())
    np.testing.assert_array_equal(opt.state[model.weight]["exp_avg"], before)


def test_state_of_the_wrong_shape_is_refused_naming_the_parameter():
    _, opt = _state_after("adamw", 1)
    saved = opt.state_dict()
    saved["state"][1]["exp_avg"] = np.zeros(7)
    _, fresh = _state_after("adamw", 0)
    with pytest.raises(ValueError, match="parameter 1: 'exp_avg' has shape"):
        fresh.load_state_dict(saved)
    assert fresh.state == {}


def test_pytorchs_maximize_is_refused_rather_than_ignored():
    w = torch.zeros(2, requires_grad=True)
    saved = torch.optim.SGD([w], lr=0.1, maximize=True).state_dict()
    with pytest.raises(ValueError, match="maximize"):
        optim.SGD([tensor(np.zeros(2), requires_grad=True)], lr=0.1).load_state_dict(saved)


def test_something_else_than_a_state_dict_is_refused():
    _, opt = _state_after("adamw", 0)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 0.1})
