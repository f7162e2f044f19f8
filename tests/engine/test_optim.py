"""Optimizers validate what they are given as PyTorch does, hold parameter groups, and refuse a
gradient that does not fit its parameter."""

import math

import numpy as np
import pytest
import torch

from tinygrad_lr import nn, optim, tensor

OPTIMIZERS = [(optim.SGD, torch.optim.SGD), (optim.Adam, torch.optim.Adam)]


def _params():
    return list(nn.Linear(2, 2, dtype=np.float64).parameters())


@pytest.mark.parametrize(("ours", "theirs"), OPTIMIZERS, ids=["SGD", "Adam"])
@pytest.mark.parametrize(
    "options",
    [dict(lr=-0.1), dict(weight_decay=-1.0)],
    ids=["negative lr", "negative weight decay"],
)
def test_invalid_common_options_are_refused_as_pytorch_refuses_them(ours, theirs, options):
    with pytest.raises(ValueError):
        theirs([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError, match="Invalid"):
        ours(_params(), **options)


@pytest.mark.parametrize(
    "options",
    [dict(eps=-1.0), dict(betas=(0.9, 1.0)), dict(betas=(-0.1, 0.999)), dict(betas=(1.0, 0.9))],
    ids=str,
)
def test_invalid_adam_options_are_refused_as_pytorch_refuses_them(options):
    with pytest.raises(ValueError):
        torch.optim.Adam([torch.zeros(2, requires_grad=True)], **options)
    with pytest.raises(ValueError, match="Invalid"):
        optim.Adam(_params(), **options)


@pytest.mark.parametrize("factory", [optim.SGD, optim.Adam], ids=["SGD", "Adam"])
@pytest.mark.parametrize(
    "options",
    [dict(lr=math.nan), dict(lr=math.inf), dict(weight_decay=math.nan)],
    ids=["nan lr", "inf lr", "nan weight decay"],
)
def test_non_finite_options_are_refused_even_where_pytorch_lets_them_through(factory, options):
    """PyTorch's range checks (`lr < 0`) let NaN and inf through, and the model then trains on
    NaN; a non-finite step size is never meant."""
    with pytest.raises(ValueError, match="finite"):
        factory(_params(), **options)


@pytest.mark.parametrize(
    "options", [dict(eps=math.nan), dict(eps=math.inf), dict(betas=(math.nan, 0.9))], ids=str
)
def test_non_finite_adam_options_are_refused(options):
    with pytest.raises(ValueError, match="finite"):
        optim.Adam(_params(), **options)


@pytest.mark.parametrize(
    "options",
    [dict(momentum=-0.5), dict(nesterov=True), dict(nesterov=True, momentum=0.9, dampening=0.1)],
    ids=str,
)
def test_invalid_sgd_options_are_refused_as_pytorch_refuses_them(options):
    with pytest.raises(ValueError):
        torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, **options)
    with pytest.raises(ValueError):
        optim.SGD(_params(), lr=0.1, **options)


def test_a_bare_tensor_is_refused_as_pytorch_refuses_it():
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        torch.optim.SGD(torch.zeros(2, requires_grad=True), lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(tensor(np.zeros(2), requires_grad=True), lr=0.1)


@pytest.mark.parametrize("params", [[], iter([])], ids=["list", "iterator"])
def test_an_empty_parameter_list_is_refused(params):
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam(params)


def test_items_that_are_not_tensors_are_refused():
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([np.zeros(2)], lr=0.1)


def test_a_non_leaf_tensor_is_refused_as_pytorch_refuses_it():
    w = tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        torch.optim.SGD([torch.ones(2, requires_grad=True) * 2], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([w * 2], lr=0.1)


def test_a_set_of_parameters_is_refused_its_order_would_change():
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD([{"params": set(_params())}], lr=0.1)


def test_a_parameter_in_two_groups_is_refused():
    a, b = _params()
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a, b]}, {"params": [a]}], lr=0.1)


def test_parameter_groups_take_their_own_options_and_match_pytorch_step_by_step():
    rng = np.random.default_rng(0)
    a0, b0 = rng.standard_normal(3), rng.standard_normal(2)
    a, b = tensor(a0, requires_grad=True), tensor(b0, requires_grad=True)
    ta, tb = torch.tensor(a0, requires_grad=True), torch.tensor(b0, requires_grad=True)
    ours = optim.Adam([{"params": [a]}, {"params": b, "lr": 0.01, "betas": (0.5, 0.9)}], lr=0.1)
    theirs = torch.optim.Adam(
        [{"params": [ta]}, {"params": tb, "lr": 0.01, "betas": (0.5, 0.9)}], lr=0.1
    )
    assert [g["lr"] for g in ours.param_groups] == [0.1, 0.01]
    assert ours.param_groups[1]["betas"] == (0.5, 0.9) and ours.param_groups[0]["eps"] == 1e-8
    for _ in range(5):
        for opt, x, y in ((ours, a, b), (theirs, ta, tb)):
            opt.zero_grad()
            ((x * x).sum() + (y * y * y).sum()).backward()
            opt.step()
    np.testing.assert_allclose(a.numpy(), ta.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-12)


def test_a_group_option_out_of_range_is_refused():
    a, b = _params()
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD([{"params": [a]}, {"params": [b], "lr": math.nan}], lr=0.1)


def test_duplicate_parameters_in_a_group_warn_and_are_updated_once():
    (w, _) = _params()
    before = w.numpy().copy()
    with pytest.warns(UserWarning, match="duplicate parameters"):
        opt = optim.SGD([w, w], lr=1.0)
    w.grad = tensor(np.ones_like(before))
    opt.step()
    np.testing.assert_allclose(w.numpy(), before - 1.0)


@pytest.mark.parametrize(
    "grad", [np.ones(2), np.ones((2, 2), dtype=np.float32)], ids=["shape", "dtype"]
)
def test_a_gradient_that_does_not_fit_its_parameter_is_an_error_naming_it(grad):
    model = nn.Linear(2, 2, dtype=np.float64)
    opt = optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.numpy().copy()
    model.weight.grad = tensor(grad)
    with pytest.raises(ValueError, match="parameter weight has a gradient of shape"):
        opt.step()
    np.testing.assert_array_equal(model.weight.numpy(), before)  # nothing was broadcast into it


def test_optimizer_state_is_kept_per_parameter_as_in_pytorch():
    model = nn.Linear(2, 2, dtype=np.float64)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(tensor(np.ones((1, 2)))).sum().backward()
    opt.step()
    assert opt.state[model.weight]["step"] == 1
    assert opt.state[model.weight]["exp_avg"].shape == (2, 2)


def test_optimizer_repr_lists_its_groups_as_pytorch_does():
    text = repr(optim.SGD(_params(), lr=0.5, momentum=0.9))
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.5" in text and "    momentum: 0.9" in text and text.endswith(")")
