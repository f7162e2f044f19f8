"""Modules: finding parameters, training helpers, Linear, state dicts and CrossEntropyLoss.

Wherever PyTorch defines the behaviour, the test holds tinygrad_lr against torch.nn directly.
"""

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_lr
from tinygrad_lr import StateDictError, nn, tensor

# --- small models used throughout ------------------------------------------------------------


class TwoLayer(nn.Module):
    def __init__(self, generator=None):
        self.fc1 = nn.Linear(3, 4, generator=generator)
        self.fc2 = nn.Linear(4, 2, generator=generator)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


class TorchTwoLayer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 4)
        self.fc2 = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


def _torch_pair(seed=0):
    """A float64 torch model and a float64 tinygrad_lr model of the same shape (other weights)."""
    torch.manual_seed(seed)
    theirs = TorchTwoLayer().double()
    ours = TwoLayer(generator=np.random.default_rng(seed + 1)).double()
    return ours, theirs


def _same_values(ours, theirs_state):
    for key, value in theirs_state.items():
        np.testing.assert_array_equal(ours.state_dict()[key], value.detach().numpy(), err_msg=key)


# --- finding parameters ----------------------------------------------------------------------


def test_named_parameters_come_from_attributes_in_assignment_order():
    class Block(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 3)
            self.layers = [nn.Linear(3, 3), nn.Linear(3, 1, bias=False)]
            self.pair = (nn.Linear(1, 1),)

    names = [name for name, _ in Block().named_parameters()]
    assert names == [
        "fc.weight",
        "fc.bias",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "pair.0.weight",
        "pair.0.bias",
    ]


def test_named_parameters_include_direct_parameters_and_lists_and_tuples_of_them():
    class Free(nn.Module):
        def __init__(self):
            self.scale = nn.Parameter(np.ones(2))
            self.shifts = [nn.Parameter(np.zeros(2)), nn.Parameter(np.zeros(3))]
            self.gains = (nn.Parameter(np.ones(1)),)
            self.not_a_parameter = tensor([1.0, 2.0], requires_grad=True)
            self.numbers = [1, 2.0, "three"]
            self.array = np.ones(3)

    model = Free()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "shifts.0", "shifts.1", "gains.0"]
    assert next(model.named_parameters())[1] is model.scale


def test_own_parameters_come_before_those_of_children_as_in_torch():
    class Ours(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
            self.scale = nn.Parameter(np.ones(1))

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 2)
            self.scale = torch.nn.Parameter(torch.ones(1))

    ours = [name for name, _ in Ours().named_parameters()]
    theirs = [name for name, _ in Theirs().named_parameters()]
    assert ours == theirs == ["scale", "fc.weight", "fc.bias"]


def test_nested_modules_give_dotted_names_like_torch():
    class Inner(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    class Outer(nn.Module):
        def __init__(self):
            self.body = Inner()
            self.layers = [Inner(), Inner()]

    class TorchInner(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(2, 2)

    class TorchOuter(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = TorchInner()
            self.layers = torch.nn.ModuleList([TorchInner(), TorchInner()])

    ours = [name for name, _ in Outer().named_parameters()]
    theirs = [name for name, _ in TorchOuter().named_parameters()]
    assert ours == theirs
    assert "layers.1.fc.bias" in ours


def test_a_shared_parameter_is_listed_once_under_its_first_name():
    class Tied(nn.Module):
        def __init__(self):
            self.encoder = nn.Linear(3, 3)
            self.decoder = nn.Linear(3, 3)
            self.decoder.weight = self.encoder.weight

    model = Tied()
    named = list(model.named_parameters())
    assert [name for name, _ in named] == ["encoder.weight", "encoder.bias", "decoder.bias"]
    assert len(list(model.parameters())) == 3


def test_a_module_shared_by_two_attributes_gives_its_parameters_once():
    class Shared(nn.Module):
        def __init__(self):
            self.first = nn.Linear(2, 2)
            self.second = self.first

    assert [name for name, _ in Shared().named_parameters()] == ["first.weight", "first.bias"]


def test_parameters_yields_the_parameter_objects_themselves():
    model = TwoLayer()
    params = list(model.parameters())
    expected = [model.fc1.weight, model.fc1.bias, model.fc2.weight, model.fc2.bias]
    assert len(params) == len(expected)
    assert all(p is e for p, e in zip(params, expected))
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params)


def test_modules_yields_self_first_then_children_depth_first():
    class Inner(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    class Outer(nn.Module):
        def __init__(self):
            self.body = Inner()
            self.layers = [nn.Linear(2, 2)]

    model = Outer()
    assert list(model.modules()) == [model, model.body, model.body.fc, model.layers[0]]


def test_modules_yields_a_shared_module_once_as_torch_does():
    class Ours(nn.Module):
        def __init__(self):
            self.first = nn.Linear(2, 2)
            self.second = self.first

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = torch.nn.Linear(2, 2)
            self.second = self.first

    assert len(list(Theirs().modules())) == 2
    model = Ours()
    assert list(model.modules()) == [model, model.first]


def test_a_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(tensor([1.0]))


# --- training helpers ------------------------------------------------------------------------


def _backward_once(model):
    x = tensor(np.random.default_rng(0).standard_normal((5, 3)), dtype=np.float32)
    model(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_zero_grad_sets_every_grad_to_none_by_default():
    model = TwoLayer()
    _backward_once(model)
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_without_set_to_none_fills_the_same_grad_tensors_with_zeros():
    model = TwoLayer()
    _backward_once(model)
    grads = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=False)
    for p, g in zip(model.parameters(), grads):
        assert p.grad is g
        assert p.grad.shape == p.shape
        np.testing.assert_array_equal(p.grad.numpy(), 0)


def test_zero_grad_without_set_to_none_leaves_missing_grads_missing():
    model = TwoLayer()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_set_training_on_every_module_and_return_the_model():
    class Outer(nn.Module):
        def __init__(self):
            self.body = TwoLayer()
            self.layers = [nn.Linear(2, 2)]

    model = Outer()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    assert model.train() is model
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not any(m.training for m in model.modules())


def test_repr_prints_children_like_torch():
    class Model(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 3)

    assert repr(Model()) == ("Model(\n  (fc): Linear(in_features=2, out_features=3, bias=True)\n)")


def test_repr_of_nested_modules_equals_torchs():
    def build(lib, base):
        class Block(base):
            def __init__(self):
                if base is torch.nn.Module:
                    super().__init__()
                self.fc = lib.Linear(4, 5)
                self.out = lib.Linear(5, 1, bias=False)

        class Model(base):
            def __init__(self):
                if base is torch.nn.Module:
                    super().__init__()
                self.block = Block()
                self.head = lib.Linear(1, 2)

        return Model()

    assert repr(build(nn, nn.Module)) == repr(build(torch.nn, torch.nn.Module))


def test_repr_of_a_leaf_module():
    assert repr(nn.Linear(7, 1, bias=False)) == "Linear(in_features=7, out_features=1, bias=False)"

    class Empty(nn.Module):
        pass

    assert repr(Empty()) == "Empty()"


@pytest.mark.parametrize("convert", ["to", "double"])
def test_to_float64_converts_the_same_parameter_objects_in_place(convert):
    model = TwoLayer()
    before = list(model.parameters())
    values = [p.numpy().copy() for p in before]
    out = model.to(np.float64) if convert == "to" else model.double()
    assert out is model
    after = list(model.parameters())
    assert all(a is b for a, b in zip(after, before))
    assert model.fc1.weight is before[0]
    for p, v in zip(after, values):
        assert p.dtype == np.float64
        assert p.requires_grad
        np.testing.assert_array_equal(p.numpy(), v.astype(np.float64))
    assert model(tensor(np.ones((2, 3)))).dtype == np.float64


def test_float_converts_back_to_float32():
    model = TwoLayer().double().float()
    assert all(p.dtype == np.float32 for p in model.parameters())


# --- Linear ----------------------------------------------------------------------------------


def test_linear_has_torchs_parameter_layout_and_default_dtype():
    layer = nn.Linear(5, 3)
    assert (layer.in_features, layer.out_features) == (5, 3)
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter)
    assert layer.weight.shape == (3, 5) == tuple(torch.nn.Linear(5, 3).weight.shape)
    assert layer.bias.shape == (3,)
    assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]


def test_linear_without_bias_has_no_bias_parameter():
    layer = nn.Linear(5, 3, bias=False)
    assert layer.bias is None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(layer(tensor(x)).numpy(), x @ layer.weight.numpy().T, rtol=1e-5)


def test_linear_output_is_x_times_w_transposed_plus_b():
    layer = nn.Linear(5, 3, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((4, 5))
    expected = x @ layer.weight.numpy().T + layer.bias.numpy()
    np.testing.assert_allclose(layer(tensor(x)).numpy(), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("shape", [(4, 5), (5,), (2, 3, 5)], ids=["batch", "vector", "3d"])
def test_linear_matches_torch_functional_linear_with_the_same_weights(shape):
    layer = nn.Linear(5, 3, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal(shape)
    xt = tensor(x, requires_grad=True)
    out = layer(xt)
    upstream = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(upstream)

    w = torch.tensor(layer.weight.numpy(), requires_grad=True)
    b = torch.tensor(layer.bias.numpy(), requires_grad=True)
    x_torch = torch.tensor(x, requires_grad=True)
    expected = TF.linear(x_torch, w, b)
    expected.backward(torch.tensor(upstream))

    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad.numpy(), w.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), x_torch.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("in_features", [1, 7, 400])
def test_linear_initialisation_stays_within_one_over_sqrt_in_features(in_features):
    layer = nn.Linear(in_features, 30, dtype=np.float64, generator=np.random.default_rng(0))
    bound = 1 / np.sqrt(in_features)
    for p in (layer.weight, layer.bias):
        assert np.all(np.abs(p.numpy()) <= bound)
    default = nn.Linear(in_features, 30)  # float32: compare with the bound rounded to float32
    for p in (default.weight, default.bias):
        assert np.all(np.abs(p.numpy()) <= np.float32(bound))


def test_linear_initialisation_is_uniform_over_the_bound_like_torchs():
    layer = nn.Linear(400, 300, generator=np.random.default_rng(123))
    bound = 1 / np.sqrt(400)
    w = layer.weight.numpy().astype(np.float64).ravel()
    assert w.size == 120_000
    assert -bound <= w.min() < -0.999 * bound
    assert 0.999 * bound < w.max() <= bound
    assert abs(w.mean()) < 0.01 * bound  # the mean's standard error is about 0.0017·bound
    assert w.std() == pytest.approx(bound / np.sqrt(3), rel=0.01)
    counts, _ = np.histogram(w, bins=10, range=(-bound, bound))
    np.testing.assert_allclose(counts, w.size / 10, rtol=0.05)
    # the bias also uses 1/sqrt(in_features), as torch.nn.Linear.reset_parameters does
    b = layer.bias.numpy()
    assert np.all(np.abs(b) <= np.float32(bound)) and b.std() > 0.4 * bound


def test_manual_seed_makes_initialisation_reproducible():
    tinygrad_lr.manual_seed(1234)
    first = [nn.Linear(6, 4), nn.Linear(4, 2)]
    tinygrad_lr.manual_seed(1234)
    second = [nn.Linear(6, 4), nn.Linear(4, 2)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
        np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    # consecutive layers draw different values, and another seed gives other values
    assert not np.array_equal(first[0].weight.numpy()[:2, :2], first[1].weight.numpy()[:2, :2])
    tinygrad_lr.manual_seed(4321)
    assert not np.array_equal(nn.Linear(6, 4).weight.numpy(), first[0].weight.numpy())


def test_a_generator_makes_initialisation_reproducible_and_leaves_the_default_alone():
    a = nn.Linear(6, 4, generator=np.random.default_rng(99))
    tinygrad_lr.manual_seed(0)
    b = nn.Linear(6, 4, generator=np.random.default_rng(99))
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    np.testing.assert_array_equal(a.bias.numpy(), b.bias.numpy())
    other = nn.Linear(6, 4, generator=np.random.default_rng(98))
    assert not np.array_equal(other.weight.numpy(), a.weight.numpy())
    # drawing from an explicit generator does not advance the seeded default one
    tinygrad_lr.manual_seed(5)
    expected = nn.Linear(6, 4).weight.numpy()
    tinygrad_lr.manual_seed(5)
    nn.Linear(6, 4, generator=np.random.default_rng(1))
    np.testing.assert_array_equal(nn.Linear(6, 4).weight.numpy(), expected)


# --- state_dict ------------------------------------------------------------------------------


def test_state_dict_is_an_ordered_dict_of_numpy_arrays_named_like_torchs():
    model = TwoLayer()
    state = model.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == list(TorchTwoLayer().state_dict())
    for name, p in model.named_parameters():
        assert type(state[name]) is np.ndarray
        assert state[name].dtype == p.dtype
        np.testing.assert_array_equal(state[name], p.numpy())


def test_state_dict_holds_copies_that_later_changes_to_the_model_do_not_touch():
    model = TwoLayer()
    state = model.state_dict()
    saved = {k: v.copy() for k, v in state.items()}
    for p in model.parameters():
        p.numpy()[...] += 1.0
    model.fc1.weight.data = np.zeros_like(model.fc1.weight.numpy())
    for key, value in state.items():
        np.testing.assert_array_equal(value, saved[key])
    state["fc2.bias"][...] = 42.0  # and changing the copy does not change the model
    assert not np.any(model.fc2.bias.numpy() == 42.0)


def test_state_dict_of_tied_weights_has_every_key_torch_has():
    class Tied(nn.Module):
        def __init__(self):
            self.encoder = nn.Linear(3, 3)
            self.decoder = nn.Linear(3, 3)
            self.decoder.weight = self.encoder.weight

    class TorchTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Linear(3, 3)
            self.decoder = torch.nn.Linear(3, 3)
            self.decoder.weight = self.encoder.weight

    theirs = TorchTied().double()
    ours = Tied().double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())  # strict: a torch checkpoint of the same model


def test_load_state_dict_from_numpy_arrays_and_lists():
    source, target = TwoLayer(), TwoLayer()
    target.load_state_dict(source.state_dict())
    for key, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[key], value)

    as_lists = {k: v.tolist() for k, v in TwoLayer().state_dict().items()}
    target.load_state_dict(as_lists)
    for key, value in target.state_dict().items():
        np.testing.assert_array_equal(value, np.asarray(as_lists[key], dtype=np.float32))


def test_load_state_dict_copies_the_values_in():
    source, target = TwoLayer(), TwoLayer()
    state = source.state_dict()
    target.load_state_dict(state)
    state["fc1.weight"][...] = 7.0
    assert not np.any(target.fc1.weight.numpy() == 7.0)


def test_load_state_dict_accepts_tinygrad_tensors_as_values():
    source, target = TwoLayer(), TwoLayer()
    target.load_state_dict(dict(source.named_parameters()))
    for (_, a), (_, b) in zip(source.named_parameters(), target.named_parameters()):
        assert a is not b
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("form", ["torch-tensors", "numpy"])
def test_load_a_torch_models_state_dict_and_reproduce_its_outputs(form):
    ours, theirs = _torch_pair()
    state = theirs.state_dict()
    if form == "numpy":
        state = {k: v.numpy() for k, v in state.items()}
    result = ours.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []

    x = np.random.default_rng(3).standard_normal((8, 3))
    expected = theirs(torch.tensor(x)).detach().numpy()
    out = ours(tensor(x))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_load_a_torch_state_dict_holding_tensors_that_require_grad():
    ours, theirs = _torch_pair()
    ours.load_state_dict(theirs.state_dict(keep_vars=True))
    _same_values(ours, theirs.state_dict())


def test_load_state_dict_keeps_each_parameters_dtype_and_identity():
    ours = TwoLayer()  # float32
    torch.manual_seed(0)
    theirs = TorchTwoLayer().double()
    before = list(ours.parameters())
    data_before = [p.numpy() for p in before]
    ours.load_state_dict(theirs.state_dict())
    assert all(a is b for a, b in zip(ours.parameters(), before))
    assert all(p.numpy() is d for p, d in zip(ours.parameters(), data_before))
    assert all(p.dtype == np.float32 for p in ours.parameters())
    for key, value in theirs.state_dict().items():
        np.testing.assert_array_equal(ours.state_dict()[key], value.numpy().astype(np.float32))


def test_strict_loading_refuses_a_missing_key_and_names_it():
    model = TwoLayer()
    state = model.state_dict()
    del state["fc2.bias"]
    with pytest.raises(StateDictError, match=r"missing.*fc2\.bias"):
        TwoLayer().load_state_dict(state)


def test_strict_loading_refuses_an_unexpected_key_and_names_it():
    state = TwoLayer().state_dict()
    state["fc3.weight"] = np.zeros((1, 2), dtype=np.float32)
    with pytest.raises(StateDictError, match=r"unexpected.*fc3\.weight"):
        TwoLayer().load_state_dict(state)


def test_strict_loading_names_all_missing_and_unexpected_keys_together():
    state = TwoLayer().state_dict()
    del state["fc1.weight"], state["fc2.weight"]
    state["extra"] = np.zeros(1)
    with pytest.raises(StateDictError) as info:
        TwoLayer().load_state_dict(state)
    message = str(info.value)
    for key in ("fc1.weight", "fc2.weight", "extra"):
        assert key in message


def test_a_state_dict_error_is_a_runtime_error_as_in_torch():
    with pytest.raises(RuntimeError):
        TwoLayer().load_state_dict({})
    with pytest.raises(RuntimeError):
        TorchTwoLayer().load_state_dict({})


def test_a_refused_load_changes_no_parameter():
    model = TwoLayer()
    before = model.state_dict()
    state = TwoLayer().state_dict()
    state["unexpected"] = np.zeros(1)
    with pytest.raises(StateDictError):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


@pytest.mark.parametrize("strict", [True, False])
def test_a_wrong_shape_is_refused_naming_the_key_and_both_shapes(strict):
    model = TwoLayer()  # fc1.weight has shape (4, 3)
    state = model.state_dict()
    state["fc1.weight"] = np.zeros((3, 4), dtype=np.float32)
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(state, strict=strict)
    message = str(info.value)
    assert "fc1.weight" in message
    assert "(3, 4)" in message and "(4, 3)" in message


def test_a_broadcastable_but_different_shape_is_still_refused():
    model = TwoLayer()
    state = model.state_dict()
    state["fc1.bias"] = np.zeros((1, 4), dtype=np.float32)
    with pytest.raises(StateDictError, match=r"fc1\.bias"):
        model.load_state_dict(state, strict=False)


def test_non_strict_loading_returns_missing_and_unexpected_keys_and_loads_the_rest():
    model = TwoLayer()
    source = TwoLayer()
    state = source.state_dict()
    del state["fc2.weight"]
    state["head.weight"] = np.zeros((2, 2))
    old_fc2_weight = model.fc2.weight.numpy().copy()

    result = model.load_state_dict(state, strict=False)

    assert result.missing_keys == ["fc2.weight"]
    assert result.unexpected_keys == ["head.weight"]
    assert result == (["fc2.weight"], ["head.weight"])
    assert result._fields == ("missing_keys", "unexpected_keys")
    np.testing.assert_array_equal(model.fc2.weight.numpy(), old_fc2_weight)
    for key in ("fc1.weight", "fc1.bias", "fc2.bias"):
        np.testing.assert_array_equal(model.state_dict()[key], state[key])


def test_strict_loading_of_a_matching_state_dict_returns_empty_key_lists():
    result = TwoLayer().load_state_dict(TwoLayer().state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []


# --- CrossEntropyLoss ------------------------------------------------------------------------

LOGITS = np.random.default_rng(11).standard_normal((7, 4)) * 2
TARGET = np.array([0, 3, 3, 1, 2, 0, 3])
CLASS_WEIGHT = np.array([0.3, 1.0, 2.5, 0.6])


def test_cross_entropy_loss_is_a_module_without_parameters():
    loss_fn = nn.CrossEntropyLoss(weight=CLASS_WEIGHT)
    assert isinstance(loss_fn, nn.Module)
    assert list(loss_fn.parameters()) == []
    assert loss_fn.reduction == "mean"


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_cross_entropy_loss_equals_torchs_in_float64(reduction, weighted):
    weight = CLASS_WEIGHT if weighted else None
    logits = tensor(LOGITS, requires_grad=True)
    loss = nn.CrossEntropyLoss(weight=weight, reduction=reduction)(logits, TARGET)

    torch_logits = torch.tensor(LOGITS, requires_grad=True)
    torch_weight = None if weight is None else torch.tensor(weight)
    expected = torch.nn.CrossEntropyLoss(weight=torch_weight, reduction=reduction)(
        torch_logits, torch.tensor(TARGET)
    )

    assert loss.dtype == np.float64
    assert loss.shape == tuple(expected.shape)
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = np.random.default_rng(5).standard_normal(loss.shape)
    loss.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(
        logits.grad.numpy(), torch_logits.grad.numpy(), rtol=1e-12, atol=1e-12
    )


def test_cross_entropy_loss_accepts_a_torch_weight_and_tensor_targets():
    weight = torch.tensor(CLASS_WEIGHT)
    loss = nn.CrossEntropyLoss(weight=weight)(tensor(LOGITS), tensor(TARGET))
    expected = torch.nn.CrossEntropyLoss(weight=weight)(torch.tensor(LOGITS), torch.tensor(TARGET))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12, atol=1e-12)


def test_cross_entropy_loss_trains_a_linear_layer_like_torch():
    ours, theirs = nn.Linear(3, 4, dtype=np.float64), torch.nn.Linear(3, 4).double()
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(8).standard_normal((7, 3))
    loss = nn.CrossEntropyLoss(weight=CLASS_WEIGHT)(ours(tensor(x)), TARGET)
    expected = torch.nn.CrossEntropyLoss(weight=torch.tensor(CLASS_WEIGHT))(
        theirs(torch.tensor(x)), torch.tensor(TARGET)
    )
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12, atol=1e-12)
    for name, p in ours.named_parameters():
        their_grad = getattr(theirs, name).grad.numpy()
        np.testing.assert_allclose(p.grad.numpy(), their_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", ["avg", "", None, "MEAN"])
def test_cross_entropy_loss_refuses_an_unknown_reduction(reduction):
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction=reduction)
