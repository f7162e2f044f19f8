"""Every op added for PyTorch's API, against PyTorch and central differences (float64), with its
derivative in its docstring: tanh, sigmoid, sqrt, abs, clamp, clone, where, maximum, minimum,
amin, prod, expand, repeat, cat, stack, gather, max/min along a dim, std, var."""

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
from tinygrad_lr import ops
from tinygrad_lr.testing import check_op

RNG = np.random.default_rng(5)
POSITIVE = RNG.uniform(0.5, 2.0, (3, 4))
AWAY_FROM_ZERO = RNG.choice([-1.0, 1.0], (3, 4)) * RNG.uniform(0.2, 2.0, (3, 4))
# name: (expression with names both libraries share, its inputs)
CASES = {
    "tanh": (lambda x: x.tanh(), [(3, 4)]),
    "sigmoid": (lambda x: x.sigmoid(), [(3, 4)]),
    "sigmoid huge": (lambda x: (x * 1e3).sigmoid(), [(3, 4)]),
    "sqrt": (lambda x: x.sqrt(), [POSITIVE]),
    "abs": (lambda x: x.abs(), [AWAY_FROM_ZERO]),
    "clamp both": (lambda x: x.clamp(-0.5, 0.5), [AWAY_FROM_ZERO]),
    "clamp min": (lambda x: x.clamp(min=0.3), [AWAY_FROM_ZERO]),
    "clone": (lambda x: x.clone() * 2, [(3, 4)]),
    "maximum": (lambda a, b: a.max(b), [(3, 4), (4,)]),
    "minimum": (lambda a, b: a.min(b), [(3, 4), (3, 1)]),
    "amin dims": (lambda x: x.amin(dim=(0, 2)), [(2, 3, 4)]),
    "prod all": (lambda x: x.prod(), [(2, 3)]),
    "prod dim": (lambda x: x.prod(dim=1), [(2, 3, 4)]),
    "prod keepdim": (lambda x: x.prod(0, keepdim=True), [(3, 4)]),
    "expand": (lambda x: x.expand(2, 3, 4), [(3, 1)]),
    "expand -1": (lambda x: x.expand(-1, 5), [(3, 1)]),
    "repeat": (lambda x: x.repeat(2, 1, 3), [(3, 2)]),
    "max dim values": (lambda x: x.max(dim=1).values, [(3, 4)]),
    "min dim keepdim": (lambda x: x.min(0, keepdim=True)[0], [(3, 4)]),
    "std": (lambda x: x.std(dim=1), [(3, 4)]),
    "var unbiased false": (lambda x: x.var(unbiased=False), [(3, 4)]),
    "var correction 0 keepdim": (lambda x: x.var(0, keepdim=True, correction=0), [(3, 4)]),
    "softmax method": (lambda x: x.softmax(dim=0), [(3, 4)]),
    "log_softmax method": (lambda x: x.log_softmax(dim=-1), [(3, 4)]),
}


@pytest.mark.parametrize("name", CASES)
def test_new_op_matches_pytorch_and_central_differences(name):
    fn, inputs = CASES[name]
    check_op(fn, *inputs)


def test_prod_with_zeros_has_the_right_gradient():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    check_op(lambda t: t.prod(dim=1), x)
    check_op(lambda t: t.prod(), x)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat_and_stack_match_pytorch(dim):
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    check_op(
        lambda x, y: tg.cat([x, y], dim=dim), a, b, torch_fn=lambda x, y: torch.cat([x, y], dim)
    )
    check_op(
        lambda x, y: tg.stack([x, y], dim=dim), a, b, torch_fn=lambda x, y: torch.stack([x, y], dim)
    )


def test_where_matches_pytorch_and_sends_no_gradient_to_the_other_side():
    c = RNG.standard_normal((3, 4)) > 0
    check_op(
        lambda x, y: tg.where(tg.tensor(c), x, y),
        (3, 4),
        (4,),
        torch_fn=lambda x, y: torch.where(torch.tensor(c), x, y),
    )


def test_gather_matches_pytorch_with_repeated_indices():
    index = np.array([[0, 0, 2], [1, 3, 3]])
    check_op(
        lambda x: x.gather(1, index), (2, 4), torch_fn=lambda x: x.gather(1, torch.tensor(index))
    )


@pytest.mark.parametrize("op", [ops.Tanh, ops.Sigmoid, ops.Sqrt, ops.Abs, ops.Clamp, ops.Prod])
def test_every_new_op_states_its_derivative_in_its_docstring(op):
    first = op.__doc__.strip().splitlines()[0]
    assert "dx" in first and "=" in first


def test_max_and_min_with_a_dim_return_values_and_indices_as_pytorch():
    x = RNG.standard_normal((3, 4))
    for name in ("max", "min"):
        ours, theirs = getattr(tg.tensor(x), name)(1), getattr(torch.tensor(x), name)(1)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert tg.tensor(x).argmin(dim=0).tolist() == torch.tensor(x).argmin(dim=0).tolist()
