"""The math functions, step functions, scans and activations learners reach for, each against
PyTorch and central differences (float64), with PyTorch's result dtypes and grad_fn names:
sin, cos, tan, asin, acos, atan, sinh, cosh, exp2, expm1, log2, log10, log1p, rsqrt, reciprocal,
square, sign, floor, ceil, round, trunc, maximum, minimum, cumsum, flip, trace, and F.softplus,
leaky_relu, elu, gelu, silu, mish, hardtanh, relu6, logsigmoid with their nn modules."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import tinygrad_lr as tg
import tinygrad_lr.nn.functional as F
from tinygrad_lr import ops
from tinygrad_lr.testing import check_op

RNG = np.random.default_rng(11)
SHAPE = (3, 4)
SIGNS = RNG.choice([-1.0, 1.0], SHAPE)
POSITIVE = RNG.uniform(0.5, 2.0, SHAPE)
INSIDE_UNIT = RNG.uniform(-0.9, 0.9, SHAPE)  # where asin and acos are defined and smooth
AWAY_FROM_ZERO = SIGNS * RNG.uniform(0.2, 2.0, SHAPE)  # kinks of sign, leaky_relu, elu
# floor, ceil, trunc and round jump at integers and halves: stay 0.1 away from both
AWAY_FROM_STEPS = RNG.integers(-3, 4, SHAPE) + RNG.choice([0.15, 0.3, 0.7, 0.85], SHAPE)
AWAY_FROM_BOUNDS = np.array([[-3.0, -1.5, -0.6, 0.2], [0.5, 0.9, 1.3, 2.5], [4.0, 5.5, 6.7, 9.0]])
WIDE = np.array([[-40.0, -25.0, -3.0, -0.4], [0.3, 2.0, 15.0, 19.5], [20.5, 30.0, 50.0, 1e3]])


def same(expression):
    """One expression for both libraries (it only uses names they share)."""
    return expression, expression


def functional(name, **kwargs):
    """F.name(x, **kwargs) here and in PyTorch."""
    return (
        lambda x: getattr(F, name)(x, **kwargs),
        lambda x: getattr(torch_F, name)(x, **kwargs),
    )


# name: ((ours, PyTorch's), input)
CASES = {
    "sin": (same(lambda x: x.sin()), SHAPE),
    "cos": (same(lambda x: x.cos()), SHAPE),
    "tan": (same(lambda x: x.tan()), INSIDE_UNIT),
    "asin": (same(lambda x: x.asin()), INSIDE_UNIT),
    "acos": (same(lambda x: x.acos()), INSIDE_UNIT),
    "atan": (same(lambda x: x.atan()), SHAPE),
    "sinh": (same(lambda x: x.sinh()), SHAPE),
    "cosh": (same(lambda x: x.cosh()), SHAPE),
    "exp2": (same(lambda x: x.exp2()), SHAPE),
    "expm1": (same(lambda x: x.expm1()), SHAPE),
    "expm1 tiny": (same(lambda x: (x * 1e-9).expm1()), SHAPE),
    "log2": (same(lambda x: x.log2()), POSITIVE),
    "log10": (same(lambda x: x.log10()), POSITIVE),
    "log1p": (same(lambda x: x.log1p()), POSITIVE - 0.4),
    "rsqrt": (same(lambda x: x.rsqrt()), POSITIVE),
    "reciprocal": (same(lambda x: x.reciprocal()), AWAY_FROM_ZERO),
    "square": (same(lambda x: x.square()), SHAPE),
    "sign": (same(lambda x: x.sign()), AWAY_FROM_ZERO),
    "floor": (same(lambda x: x.floor()), AWAY_FROM_STEPS),
    "ceil": (same(lambda x: x.ceil()), AWAY_FROM_STEPS),
    "trunc": (same(lambda x: x.trunc()), AWAY_FROM_STEPS),
    "round": (same(lambda x: x.round()), AWAY_FROM_STEPS),
    "round decimals": (same(lambda x: x.round(decimals=1)), AWAY_FROM_STEPS / 10),
    "maximum": (same(lambda x: x.maximum(x.flip(0))), SHAPE),
    "minimum": (same(lambda x: x.minimum(x.flip(1))), SHAPE),
    "cumsum": (same(lambda x: x.cumsum(0)), SHAPE),
    "cumsum last dim": (same(lambda x: x.cumsum(dim=-1)), (2, 3, 4)),
    "flip": (same(lambda x: x.flip(0)), SHAPE),
    "flip two dims": (same(lambda x: x.flip(0, -1)), (2, 3, 4)),
    "flip list": (same(lambda x: x.flip([1])), SHAPE),
    "trace": (same(lambda x: x.trace()), SHAPE),
    "trace square": (same(lambda x: x.trace()), (4, 4)),
    "softplus": (functional("softplus"), WIDE / 10),
    "softplus beta threshold": (functional("softplus", beta=2.0, threshold=2.5), WIDE / 10),
    "leaky_relu": (functional("leaky_relu"), AWAY_FROM_ZERO),
    "leaky_relu slope": (functional("leaky_relu", negative_slope=0.2), AWAY_FROM_ZERO),
    "elu": (functional("elu"), AWAY_FROM_ZERO),
    "elu alpha": (functional("elu", alpha=1.5), AWAY_FROM_ZERO),
    "gelu": (functional("gelu"), AWAY_FROM_ZERO * 2),
    "gelu tanh": (functional("gelu", approximate="tanh"), AWAY_FROM_ZERO * 2),
    "silu": (functional("silu"), AWAY_FROM_ZERO * 3),
    "mish": (functional("mish"), AWAY_FROM_ZERO * 3),
    "hardtanh": (functional("hardtanh"), AWAY_FROM_BOUNDS),
    "hardtanh bounds": (functional("hardtanh", min_val=-0.5, max_val=2.0), AWAY_FROM_BOUNDS),
    "relu6": (functional("relu6"), AWAY_FROM_BOUNDS),
    "logsigmoid": (functional("logsigmoid"), AWAY_FROM_ZERO * 3),
}


@pytest.mark.parametrize("name", CASES)
def test_op_matches_pytorch_and_central_differences(name):
    (ours, theirs), x = CASES[name]
    check_op(ours, x, torch_fn=theirs)


# Ops whose function form is tinygrad_lr.name(x, ...), as torch.name(x, ...)
FUNCTION_FORMS = {
    "sin": (), "cos": (), "tan": (), "asin": (), "acos": (), "atan": (), "sinh": (), "cosh": (),
    "exp2": (), "expm1": (), "log2": (), "log10": (), "log1p": (), "rsqrt": (), "reciprocal": (),
    "square": (), "sign": (), "floor": (), "ceil": (), "trunc": (), "round": (),
    "cumsum": (1,), "flip": ((0, 1),), "trace": (),
}  # fmt: skip


@pytest.mark.parametrize("name", FUNCTION_FORMS)
def test_function_form_matches_pytorch(name):
    args = FUNCTION_FORMS[name]
    x = POSITIVE * 0.4
    ours = getattr(tg, name)(tg.tensor(x), *args).numpy()
    theirs = getattr(torch, name)(torch.tensor(x), *args).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


# name: (ours, PyTorch's), applied to int64, int32, bool and float32 inputs
DTYPE_CASES = {
    **{n: same(lambda x, n=n: getattr(x, n)()) for n in [
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "exp2", "expm1", "log2",
        "log10", "log1p", "rsqrt", "reciprocal", "square", "sign", "floor", "ceil", "trunc",
        "round", "trace",
    ]},
    "round decimals": same(lambda x: x.round(decimals=2)),
    "cumsum": same(lambda x: x.cumsum(0)),
    "cumsum dtype": same(lambda x: x.cumsum(0, dtype=x.dtype)),
    "flip": same(lambda x: x.flip(0)),
    "maximum": same(lambda x: x.maximum(x)),
    **{n: functional(n) for n in [
        "softplus", "leaky_relu", "elu", "gelu", "silu", "mish", "hardtanh", "relu6",
        "logsigmoid",
    ]},
    "hardtanh fractional bounds": functional("hardtanh", min_val=-0.5, max_val=2.5),
}  # fmt: skip
DTYPES = ["int64", "int32", "bool", "float32"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", DTYPE_CASES)
def test_result_dtype_matches_pytorch(name, dtype):
    """Floating functions of integers give float32; rounding, sign, cumsum, trace and hardtanh
    keep or widen integers; activations PyTorch refuses for integers are refused here too."""
    ours, theirs = DTYPE_CASES[name]
    values = np.array([[3, -5], [0, 1]]).astype(dtype)
    try:
        expected = theirs(torch.tensor(values))
    except (RuntimeError, NotImplementedError):
        with pytest.raises(tg.DtypeError), np.errstate(all="ignore"):
            ours(tg.tensor(values))
        return
    with np.errstate(all="ignore"):  # log of 0 and asin of 3 are -inf and NaN, in both
        got = ours(tg.tensor(values))
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    got, want = got.numpy().astype(np.float64), expected.numpy().astype(np.float64)
    assert np.array_equal(np.isnan(got), np.isnan(want)), (got, want)
    known = ~np.isnan(want)
    assert np.allclose(got[known], want[known], rtol=1e-6, atol=1e-6), (got, want)


# The grad_fn name PyTorch prints for each op, on a float32 input that requires grad
NAMED = {**{name: fns for name, (fns, _) in CASES.items()}}


@pytest.mark.parametrize("name", NAMED)
def test_printed_result_and_grad_fn_match_pytorch(name):
    ours, theirs = NAMED[name]
    x = np.array([[0.35, -0.62, 1.3, 0.8], [2.2, -1.7, 0.15, -0.45]], dtype=np.float32)
    if name in ("log2", "log10", "log1p", "rsqrt", "asin", "acos"):
        x = np.abs(x) / 2.5
    got = repr(ours(tg.tensor(x, requires_grad=True)))
    expected = repr(theirs(torch.tensor(x, requires_grad=True)))
    assert re.search(r"grad_fn=<\w+>", got)[0] == re.search(r"grad_fn=<\w+>", expected)[0]
    assert got == expected


def test_float32_values_match_pytorch_to_float32_precision():
    for name, ((ours, theirs), x) in CASES.items():
        x = RNG.standard_normal(x) if isinstance(x, tuple) else x
        x = x.astype(np.float32)
        got, expected = ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy()
        assert got.dtype == np.float32, name
        # atol: in gelu's left tail 1 + erf(x/√2) cancels, and float32 keeps few digits of it
        np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-6, err_msg=name)


# Each primitive, and a case that runs through it: scaling its backward rule by 1.01 must fail
# the check, or the check proves nothing about that rule.
GUARDED = {
    ops.Sin: "sin", ops.Cos: "cos", ops.Tan: "tan", ops.Asin: "asin", ops.Acos: "acos",
    ops.Atan: "atan", ops.Sinh: "sinh", ops.Cosh: "cosh", ops.Exp2: "exp2", ops.Expm1: "expm1",
    ops.Log2: "log2", ops.Log10: "log10", ops.Log1p: "log1p", ops.Rsqrt: "rsqrt",
    ops.Reciprocal: "reciprocal", ops.Cumsum: "cumsum last dim", ops.Flip: "flip two dims",
    ops.Trace: "trace", ops.LeakyReLU: "leaky_relu", ops.ELU: "elu", ops.GELU: "gelu",
    ops.SiLU: "silu", ops.Mish: "mish", ops.Softplus: "softplus beta threshold",
    ops.Hardtanh: "hardtanh", ops.LogSigmoid: "logsigmoid",
}  # fmt: skip
STEPS = [ops.Sign, ops.Floor, ops.Ceil, ops.Trunc, ops.Round]


@pytest.mark.parametrize("op", GUARDED, ids=lambda op: op.__name__)
def test_a_wrong_backward_rule_fails_the_check(op, monkeypatch):
    rule = op.backward
    monkeypatch.setattr(op, "backward", staticmethod(lambda ctx, g: rule(ctx, g) * 1.01))
    (ours, theirs), x = CASES[GUARDED[op]]
    with pytest.raises(AssertionError, match="gradient"):
        check_op(ours, x, torch_fn=theirs)


@pytest.mark.parametrize("op", [*GUARDED, *STEPS], ids=lambda op: op.__name__)
def test_every_new_op_states_its_derivative_in_its_docstring(op):
    first = op.__doc__.strip().splitlines()[0]
    assert "dx" in first and "=" in first


def test_step_functions_pass_back_zero_as_pytorch():
    for name in ("sign", "floor", "ceil", "trunc", "round"):
        x = tg.tensor(AWAY_FROM_STEPS, requires_grad=True)
        getattr(x, name)().sum().backward()
        assert (x.grad.numpy() == 0).all() and x.grad.shape == x.shape


def test_round_sends_halves_to_even_as_pytorch():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.125, 1.2345])
    assert tg.tensor(x).round().tolist() == torch.tensor(x).round().tolist()
    ours, theirs = tg.tensor(x).round(decimals=2), torch.tensor(x).round(decimals=2)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_hardtanh_and_relu6_pass_nothing_back_at_their_bounds_as_pytorch():
    x = np.array([-1.0, 1.0, 0.0, 6.0, 0.5])
    for ours, theirs in (functional("hardtanh"), functional("relu6")):
        a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        ours(a).sum().backward()
        theirs(b).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_leaky_relu_and_elu_gradients_at_zero_are_pytorchs():
    for ours, theirs in (functional("leaky_relu", negative_slope=0.3), functional("elu", alpha=2)):
        a, b = tg.tensor([0.0], requires_grad=True), torch.tensor([0.0], requires_grad=True)
        ours(a).sum().backward()
        theirs(b).sum().backward()
        assert a.grad.tolist() == b.grad.tolist()


def test_softplus_and_logsigmoid_stay_finite_for_large_inputs():
    x = np.array([-1e4, -800.0, -30.0, 0.0, 30.0, 800.0, 1e4])
    for name in ("softplus", "logsigmoid", "silu", "mish", "gelu"):
        ours, theirs = functional(name)
        a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        with np.errstate(over="raise", invalid="raise"):
            ours(a).sum().backward()
        theirs(b).sum().backward()
        np.testing.assert_allclose(ours(a).detach().numpy(), theirs(b).detach().numpy())
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-300)


def test_cumsum_flip_and_trace_edge_cases_match_pytorch():
    assert tg.tensor(3.0).cumsum(0).tolist() == torch.tensor(3.0).cumsum(0).tolist()
    assert tg.tensor(3.0).flip(0).tolist() == torch.tensor(3.0).flip(0).tolist()
    x = np.arange(6).reshape(2, 3)
    assert tg.tensor(x).flip([]).tolist() == torch.tensor(x).flip([]).tolist()
    ours = tg.tensor(x).cumsum(1, dtype=tg.float64)
    theirs = torch.tensor(x).cumsum(1, dtype=torch.float64)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype) == "float64"
    with pytest.raises(tg.ShapeError, match="matrix"):
        tg.ones(2, 2, 2).trace()
    with pytest.raises(tg.DimError):
        tg.ones(2, 2).flip(0, 0)


def test_flip_copies_as_pytorch():
    x = tg.tensor([1.0, 2.0, 3.0])
    y = x.flip(0)
    x.add_(10)
    assert y.tolist() == [3.0, 2.0, 1.0]


def test_in_place_activations_change_their_input_as_pytorch():
    for name in ("leaky_relu", "elu", "silu", "mish", "hardtanh", "relu6"):
        a, b = tg.tensor(AWAY_FROM_BOUNDS), torch.tensor(AWAY_FROM_BOUNDS)
        assert getattr(F, name)(a, inplace=True) is a
        getattr(torch_F, name)(b, inplace=True)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_gelu_refuses_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(tg.tensor([1.0]), approximate="erf")


# (our module, PyTorch's): reprs and outputs must agree
MODULES = [
    (tg.nn.LeakyReLU(), torch.nn.LeakyReLU()),
    (tg.nn.LeakyReLU(0.2, inplace=True), torch.nn.LeakyReLU(0.2, inplace=True)),
    (tg.nn.ELU(), torch.nn.ELU()),
    (tg.nn.ELU(alpha=2, inplace=True), torch.nn.ELU(alpha=2, inplace=True)),
    (tg.nn.GELU(), torch.nn.GELU()),
    (tg.nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
    (tg.nn.SiLU(), torch.nn.SiLU()),
    (tg.nn.SiLU(inplace=True), torch.nn.SiLU(inplace=True)),
    (tg.nn.Mish(), torch.nn.Mish()),
    (tg.nn.Softplus(), torch.nn.Softplus()),
    (tg.nn.Softplus(beta=2, threshold=10), torch.nn.Softplus(beta=2, threshold=10)),
    (tg.nn.Hardtanh(), torch.nn.Hardtanh()),
    (tg.nn.Hardtanh(-2, 3, inplace=True), torch.nn.Hardtanh(-2, 3, inplace=True)),
    (tg.nn.ReLU6(), torch.nn.ReLU6()),
    (tg.nn.ReLU6(inplace=True), torch.nn.ReLU6(inplace=True)),
    (tg.nn.LogSigmoid(), torch.nn.LogSigmoid()),
]


@pytest.mark.parametrize("ours, theirs", MODULES, ids=[repr(t) for _, t in MODULES])
def test_activation_module_prints_and_computes_as_pytorch(ours, theirs):
    assert repr(ours) == repr(theirs)
    assert repr(tg.nn.Sequential(ours)) == repr(torch.nn.Sequential(theirs))
    x = AWAY_FROM_BOUNDS
    np.testing.assert_allclose(
        ours(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-15
    )
