"""Second derivatives of every primitive op, held against PyTorch, central differences and
`gradgradcheck` (float64).

Each case below is an expression f of one to three float64 inputs in a safe domain (away from
kinks, steps and bounds; positive where a log or a root needs it). With fixed random upstream
gradients v (shaped like f's output) and u (one per input, shaped like it), never ones:

    g(x, v) = d/dx Σ v·f(x)        the first derivative, recorded (grad(..., create_graph=True))
    s(x, v) = Σₖ gₖ · uₖ           a number, so its gradient is one backward through g
    ds/dx (per input), ds/dv       the second derivatives: Hessian-vector-ish products

Three properties, one parametrized test each:
(a) g and the second derivatives equal PyTorch's double backward of the same expression (1e-9);
(b) ds/dx equals central differences of s, s computed from a plain first-order backward at
    x ± eps·eᵢ (so the recorded backward is held against the ordinary one);
(c) `gradgradcheck` passes.

Piecewise-linear and linear ops (relu, clamp, movement, indexing, sums, ...) are followed by a
smooth op, so that the gradient flowing into their backward rule depends on x and the recorded
rule itself is differentiated. One test proves the table complete: every name in
`tinygrad_lr.ops.__all__` appears in the graph of some case, or is listed in
`NOT_TWICE_DIFFERENTIABLE` with the reason, and create_graph through those raises a GraphError
naming the op. Then: third derivatives of a scalar chain, custom `Function`s, step functions,
and what `backward(create_graph=True)` leaves in `.grad`, each against PyTorch.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import tinygrad_lr as tg
import tinygrad_lr.nn.functional as F
from tinygrad_lr import fused, ops
from tinygrad_lr.autograd import Context, Function, grad, topological_order
from tinygrad_lr.errors import GradcheckError, GraphError
from tinygrad_lr.gradcheck import gradgradcheck, numeric_gradient

TORCH_TOL = {"rtol": 1e-9, "atol": 1e-9}
# PyTorch warns that backward(create_graph=True) makes a reference cycle: these tests do it on
# purpose, to compare what it leaves in .grad
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph:UserWarning")


def OURS64(data: Any, **kwargs: Any) -> tg.Tensor:  # noqa: N802
    return tg.tensor(data, dtype=tg.float64, **kwargs)


def TORCH64(data: Any, **kwargs: Any) -> torch.Tensor:  # noqa: N802
    return torch.tensor(data, dtype=torch.float64, **kwargs)


# ---------------------------------------------------------------------------------------------
# Inputs in safe domains (one seeded generator: the table is the same on every run)
# ---------------------------------------------------------------------------------------------
RNG = np.random.default_rng(15)


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def positive(*shape: int) -> np.ndarray:
    """In [0.5, 2): for log, sqrt, rsqrt, fractional powers."""
    return RNG.uniform(0.5, 2.0, shape)


def inside_unit(*shape: int) -> np.ndarray:
    """In [−0.9, 0.9]: where tan, asin and acos are smooth."""
    return RNG.uniform(-0.9, 0.9, shape)


def away_from(points: tuple[float, ...], *shape: int, low: float = -2.5, high: float = 2.5):
    """Uniform in [low, high), at least 0.1 from each of `points` (kinks, bounds, zero), which
    must be at least 0.5 apart: a value within 0.1 of one is moved 0.25 past it."""
    x = RNG.uniform(low, high, shape)
    for p in points:
        near = np.abs(x - p) < 0.1
        x[near] += 0.25
    return x


def nonzero(*shape: int) -> np.ndarray:
    return away_from((0.0,), *shape, low=-2.0, high=2.0)


def away_from_steps(*shape: int) -> np.ndarray:
    """Integers plus a fraction 0.15 to 0.85 away from them and from the halves: where floor,
    ceil, trunc and round are flat."""
    return RNG.integers(-3, 4, shape) + RNG.choice([0.15, 0.3, 0.7, 0.85], shape)


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    ours: Callable[..., Any]  # on tinygrad_lr tensors
    theirs: Callable[..., Any]  # the same expression on torch tensors
    inputs: tuple[np.ndarray, ...]
    eps: float = 1e-6  # the central-difference step of (b) and (c)
    fd_tol: float = 1e-6  # the tolerance of (b)
    gradgradcheck_tol: float = 1e-5  # gradgradcheck's atol (its rtol is 1e-3)


def same(fn: Callable[..., Any], *inputs: np.ndarray, **options: Any) -> Case:
    """One expression for both libraries (it uses only names they share)."""
    return Case(fn, fn, inputs, **options)


def pair(ours: Callable, theirs: Callable, *inputs: np.ndarray, **options: Any) -> Case:
    return Case(ours, theirs, inputs, **options)


def functional(name: str, *inputs: np.ndarray, then: Callable = lambda t: t, **kwargs: Any):
    """F.name(x, **kwargs) here and in torch.nn.functional, followed by `then`."""
    return pair(
        lambda x: then(getattr(F, name)(x, **kwargs)),
        lambda x: then(getattr(torch_F, name)(x, **kwargs)),
        *inputs,
    )


def torch_index(index: tuple) -> tuple:
    """An index for torch: NumPy arrays in it as torch tensors."""
    return tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)


def indexed(index: tuple, *inputs: np.ndarray) -> Case:
    """x[index], then sin (the gradient scattered back then depends on x)."""
    return pair(
        lambda x: x[index].sin(),
        lambda x: x[torch_index(index)].sin(),
        *inputs,
    )


# Custom Functions, with their rules written with tensor ops, and PyTorch's equivalents
class Cube(Function):
    """x³, saving its input: dx = g·3x²"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


class ExpOut(Function):
    """eˣ, saving its output: dx = g·z"""

    @staticmethod
    def forward(ctx, x):
        z = x.exp()
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * z


class ScaledMul(Function):
    """x·y·c for a number c: dx = g·y·c, dy = g·x·c (no gradient for c)"""

    @staticmethod
    def forward(ctx, x, y, c):
        ctx.save_for_backward(x, y)
        ctx.c = c
        return x * y * c

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * ctx.c, g * x * ctx.c, None


class TorchCube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x**2


class TorchExpOut(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        z = x.exp()
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx, g):
        (z,) = ctx.saved_tensors
        return g * z


class TorchScaledMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, y, c):
        ctx.save_for_backward(x, y)
        ctx.c = c
        return x * y * c

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y * ctx.c, g * x * ctx.c, None


# name: case. Binary ops are added below for several broadcasting shape pairs.
CASES: dict[str, Case] = {
    # elementwise, one input
    "neg": same(lambda x: (-x).exp(), normal(3, 4)),
    "exp": same(lambda x: x.exp(), normal(3, 4)),
    "log": same(lambda x: x.log(), positive(3, 4)),
    "sqrt": same(lambda x: x.sqrt(), positive(3, 4)),
    "tanh": same(lambda x: x.tanh(), normal(3, 4)),
    "sigmoid": same(lambda x: x.sigmoid(), normal(3, 4)),
    "relu": same(lambda x: x.relu() ** 3, nonzero(3, 4)),
    "abs": same(lambda x: x.abs() ** 3, nonzero(3, 4)),
    "clamp both": same(lambda x: x.clamp(-0.5, 0.5).exp(), away_from((-0.5, 0.5), 3, 4)),
    "clamp min": same(lambda x: x.clamp(min=0.5).log(), away_from((0.5,), 3, 4)),
    "clone": same(lambda x: x.clone() ** 3, normal(3, 4)),
    "cast float32 and back": same(
        lambda x: x.float().double() ** 3,
        normal(3, 4),
        eps=1e-3,  # float32 rounding (1e-7) over a 1e-6 step would be noise
        fd_tol=1e-2,
        gradgradcheck_tol=1e-2,
    ),
    "cast to float32 and back, mixed": same(
        lambda x, y: (x.float() * y.float()).double().sin(),
        normal(3, 4),
        normal(4),
        eps=1e-3,
        fd_tol=1e-2,
        gradgradcheck_tol=1e-2,
    ),
    "sin": same(lambda x: x.sin(), normal(3, 4)),
    "cos": same(lambda x: x.cos(), normal(3, 4)),
    "tan": same(lambda x: x.tan(), inside_unit(3, 4)),
    "asin": same(lambda x: x.asin(), inside_unit(3, 4)),
    "acos": same(lambda x: x.acos(), inside_unit(3, 4)),
    "atan": same(lambda x: x.atan(), normal(3, 4)),
    "sinh": same(lambda x: x.sinh(), normal(3, 4)),
    "cosh": same(lambda x: x.cosh(), normal(3, 4)),
    "exp2": same(lambda x: x.exp2(), normal(3, 4)),
    "expm1": same(lambda x: x.expm1(), normal(3, 4)),
    "log2": same(lambda x: x.log2(), positive(3, 4)),
    "log10": same(lambda x: x.log10(), positive(3, 4)),
    "log1p": same(lambda x: x.log1p(), positive(3, 4) - 0.4),
    "erf": same(lambda x: x.erf(), normal(3, 4)),
    "rsqrt": same(lambda x: x.rsqrt(), positive(3, 4)),
    "reciprocal": same(lambda x: x.reciprocal(), nonzero(3, 4)),
    "square": same(lambda x: x.square(), normal(3, 4)),
    # step functions: flat, so only the smooth factor has a second derivative
    "sign": same(lambda x: x.sign() * x.sin(), nonzero(3, 4)),
    "floor": same(lambda x: x.floor() * x.sin(), away_from_steps(3, 4)),
    "ceil": same(lambda x: x.ceil() * x.sin(), away_from_steps(3, 4)),
    "trunc": same(lambda x: x.trunc() * x.sin(), away_from_steps(3, 4)),
    "round": same(lambda x: x.round() * x.sin(), away_from_steps(3, 4)),
    # powers with a number: the exponent is a constant
    "pow 3": same(lambda x: x**3, normal(3, 4)),
    "pow 2": same(lambda x: x**2, normal(3, 4)),
    "pow 0.5": same(lambda x: x**0.5, positive(3, 4)),
    "pow -1.5": same(lambda x: x**-1.5, positive(3, 4)),
    "pow reflected": same(lambda x: 2.5**x, normal(3, 4)),
    "mul itself": same(lambda x: x * x, normal(3, 4)),
    "div by number": same(lambda x: (x / 3.0).sin(), normal(3, 4)),
    "number over": same(lambda x: 2.0 / x, nonzero(3, 4)),
    # matmul: 1-D, 2-D and batched (broadcast batch dims)
    "matmul 2d @ 2d": same(lambda a, b: (a @ b).tanh(), normal(3, 4), normal(4, 5)),
    "matmul 1d @ 2d": same(lambda a, b: (a @ b).tanh(), normal(4), normal(4, 5)),
    "matmul 2d @ 1d": same(lambda a, b: (a @ b).tanh(), normal(3, 4), normal(4)),
    "matmul 1d @ 1d": same(lambda a, b: (a @ b).tanh(), normal(4), normal(4)),
    "matmul batched @ 2d": same(lambda a, b: (a @ b).tanh(), normal(2, 3, 4), normal(4, 2)),
    "matmul 2d @ batched": same(lambda a, b: (a @ b).tanh(), normal(3, 4), normal(2, 4, 2)),
    "matmul broadcast batches": same(
        lambda a, b: (a @ b).tanh(), normal(2, 1, 3, 4), normal(2, 4, 2)
    ),
    "matmul batched @ 1d": same(lambda a, b: (a @ b).tanh(), normal(2, 3, 4), normal(4)),
    "matmul 1d @ batched": same(lambda a, b: (a @ b).tanh(), normal(4), normal(2, 4, 3)),
    "matmul x @ x.T": same(lambda x: (x @ x.T).sin(), normal(3, 4)),
    # reductions
    "sum all": same(lambda x: x.sum().sin(), normal(3, 4)),
    "sum dim": same(lambda x: x.sum(dim=1).sin(), normal(3, 4)),
    "sum dims keepdim": same(lambda x: x.sum(dim=(0, 2), keepdim=True).sin(), normal(2, 3, 4)),
    "mean all": same(lambda x: x.mean().exp(), normal(3, 4)),
    "mean dim": same(lambda x: x.mean(dim=0).sin(), normal(3, 4)),
    "mean dims": same(lambda x: x.mean(dim=(-1, 0)).sin(), normal(2, 3, 4)),
    "amax dim": same(lambda x: x.amax(dim=1).exp(), normal(3, 4)),
    "amax dims keepdim": same(lambda x: x.amax(dim=(0, 2), keepdim=True).exp(), normal(2, 3, 4)),
    "max all": same(lambda x: x.max().exp(), normal(3, 4)),
    "max dim values": same(lambda x: x.max(dim=1).values.exp(), normal(3, 4)),
    "amin dim": same(lambda x: x.amin(dim=0).exp(), normal(3, 4)),
    "amin dims": same(lambda x: x.amin(dim=(1, 2)).exp(), normal(2, 3, 4)),
    "min all": same(lambda x: x.min().exp(), normal(3, 4)),
    "min dim values": same(lambda x: x.min(dim=0).values.exp(), normal(3, 4)),
    "cumsum": same(lambda x: x.cumsum(1).sin(), normal(3, 4)),
    "cumsum dim 0 of 3-d": same(lambda x: x.cumsum(0).sin(), normal(2, 3, 4)),
    "trace": same(lambda x: x.trace().sin(), normal(3, 4)),
    "trace square": same(lambda x: (x @ x).trace(), normal(4, 4)),
    "var": same(lambda x: x.var(dim=1), normal(3, 4)),
    "std": same(lambda x: x.std(), normal(3, 4)),
    # movement
    "reshape": same(lambda x: x.reshape(4, 6).sin(), normal(2, 3, 4)),
    "view -1": same(lambda x: x.view(-1).sin(), normal(3, 4)),
    "unsqueeze squeeze flatten": same(
        lambda x: x.unsqueeze(1).flatten(0, 1).squeeze().sin(), normal(3, 4)
    ),
    "permute": same(lambda x: x.permute(2, 0, 1).sin(), normal(2, 3, 4)),
    "transpose": same(lambda x: x.transpose(0, -1).sin(), normal(2, 3, 4)),
    "T": same(lambda x: x.T.sin(), normal(3, 4)),
    "expand": same(lambda x: x.expand(2, 3, 4).sin(), normal(3, 1)),
    "expand -1": same(lambda x: x.expand(-1, 5).sin(), normal(3, 1)),
    "repeat": same(lambda x: x.repeat(2, 1, 3).sin(), normal(3, 2)),
    "flip": same(lambda x: x.flip(0, -1).sin(), normal(2, 3, 4)),
    "cat": pair(
        lambda a, b: tg.cat([a, b, a], dim=1).sin(),
        lambda a, b: torch.cat([a, b, a], dim=1).sin(),
        normal(3, 2),
        normal(3, 4),
    ),
    "cat dim 0": pair(
        lambda a, b: tg.cat([a, b], dim=0).sin(),
        lambda a, b: torch.cat([a, b], dim=0).sin(),
        normal(1, 4),
        normal(3, 4),
    ),
    "stack": pair(
        lambda a, b: tg.stack([a, b], dim=1).sin(),
        lambda a, b: torch.stack([a, b], dim=1).sin(),
        normal(3, 4),
        normal(3, 4),
    ),
    # indexing; repeated indices accumulate
    "index int": indexed((1,), normal(3, 4)),
    "index ints": indexed((-1, 2), normal(3, 4)),
    "index slices": indexed((slice(1, None), slice(None, None, 2)), normal(3, 4)),
    "index int array repeated": indexed((np.array([0, 2, 2, 1]),), normal(3, 4)),
    "index two arrays repeated": indexed((np.array([0, 2, 2]), np.array([1, 3, 3])), normal(3, 4)),
    "index slice and array": indexed((slice(None), np.array([0, 0, 3])), normal(3, 4)),
    "index int and array": indexed((0, slice(None), np.array([1, 1, 2])), normal(2, 3, 4)),
    "index bool mask": indexed((RNG.random((3, 4)) > 0.4,), normal(3, 4)),
    "index bool rows": indexed((np.array([True, False, True]),), normal(3, 4)),
    "index none ellipsis": indexed((Ellipsis, None), normal(3, 4)),
    "gather repeated": pair(
        lambda x: x.gather(1, np.array([[0, 0, 2], [1, 3, 3]])).sin(),
        lambda x: x.gather(1, torch.tensor([[0, 0, 2], [1, 3, 3]])).sin(),
        normal(2, 4),
    ),
    "gather dim 0": pair(
        lambda x: x.gather(0, np.array([[2, 0], [2, 2]])).sin(),
        lambda x: x.gather(0, torch.tensor([[2, 0], [2, 2]])).sin(),
        normal(3, 2),
    ),
    # the reverses of indexing and gather (what their recorded backward applies), on their own
    "index add (IndexAdd)": pair(
        lambda x: ops.IndexAdd.apply(x, index=(np.array([0, 2, 2, 1]),), shape=(3, 3)).sin(),
        lambda x: (
            torch.zeros(3, 3, dtype=x.dtype)
            .index_put((torch.tensor([0, 2, 2, 1]),), x, accumulate=True)
            .sin()
        ),
        normal(4, 3),
    ),
    "scatter add (ScatterAdd)": pair(
        lambda x: ops.ScatterAdd.apply(
            x, index=np.array([[0, 4, 4], [1, 1, 2]]), dim=1, shape=(2, 5)
        ).sin(),
        lambda x: (
            torch.zeros(2, 5, dtype=x.dtype)
            .scatter_add(1, torch.tensor([[0, 4, 4], [1, 1, 2]]), x)
            .sin()
        ),
        normal(2, 3),
    ),
    # activations
    "softplus": functional("softplus", away_from((0.0,), 3, 4, low=-4, high=4)),
    "softplus past threshold": functional("softplus", np.array([[-3.0, 0.5, 25.0, 40.0]])),
    "softplus beta threshold": functional(
        "softplus", away_from((1.25,), 3, 4), beta=2.0, threshold=2.5
    ),
    "elu": functional("elu", nonzero(3, 4)),
    "elu alpha": functional("elu", nonzero(3, 4), alpha=1.5),
    "leaky_relu": functional("leaky_relu", nonzero(3, 4), then=lambda t: t.exp()),
    "leaky_relu slope": functional(
        "leaky_relu", nonzero(3, 4), negative_slope=0.2, then=lambda t: t**3
    ),
    "gelu": functional("gelu", normal(3, 4) * 2),
    "gelu tanh": functional("gelu", normal(3, 4) * 2, approximate="tanh"),
    "silu": functional("silu", normal(3, 4) * 2),
    "mish": functional("mish", normal(3, 4) * 2),
    "logsigmoid": functional("logsigmoid", normal(3, 4) * 2),
    "hardtanh": functional("hardtanh", away_from((-1.0, 1.0), 3, 4), then=lambda t: t.exp()),
    "hardtanh bounds": functional(
        "hardtanh", away_from((-0.5, 2.0), 3, 4), min_val=-0.5, max_val=2.0, then=lambda t: t**3
    ),
    "relu6": functional(
        "relu6", away_from((0.0, 6.0), 3, 4, low=-2, high=8), then=lambda t: t.sin()
    ),
    "softmax": same(lambda x: x.softmax(dim=1), normal(3, 4)),
    "softmax dim 0": functional("softmax", normal(3, 4), dim=0),
    "log_softmax": same(lambda x: x.log_softmax(dim=-1), normal(3, 4)),
    "log_softmax dim 0": functional("log_softmax", normal(3, 4), dim=0),
    "cross_entropy": pair(
        lambda z: F.cross_entropy(z, np.array([0, 3, 3, 1, 2])),
        lambda z: torch_F.cross_entropy(z, torch.tensor([0, 3, 3, 1, 2])),
        normal(5, 4),
    ),
    "cross_entropy weighted": pair(
        lambda z: F.cross_entropy(z, np.array([0, 3, 3, 1, 2]), weight=np.array([0.5, 2, 1, 3])),
        lambda z: torch_F.cross_entropy(
            z,
            torch.tensor([0, 3, 3, 1, 2]),
            weight=torch.tensor([0.5, 2, 1, 3.0], dtype=torch.float64),
        ),
        normal(5, 4),
    ),
    "cross_entropy sum": pair(
        lambda z: F.cross_entropy(z, np.array([2, 0, 1]), reduction="sum"),
        lambda z: torch_F.cross_entropy(z, torch.tensor([2, 0, 1]), reduction="sum"),
        normal(3, 4),
    ),
    "cross_entropy none weighted": pair(
        lambda z: F.cross_entropy(
            z, np.array([2, 0, 1]), weight=np.array([2.0, 1, 3]), reduction="none"
        ),
        lambda z: torch_F.cross_entropy(
            z,
            torch.tensor([2, 0, 1]),
            weight=torch.tensor([2.0, 1, 3], dtype=torch.float64),
            reduction="none",
        ),
        normal(3, 3),
    ),
    "linear (functional, primitives)": pair(
        lambda x, w, b: F.linear(x, w, b).tanh(),
        lambda x, w, b: torch_F.linear(x, w, b).tanh(),
        normal(4, 3),
        normal(2, 3),
        normal(2),
    ),
    # custom Functions whose backward is written with tensor ops
    "Function saving its input": pair(
        lambda x: Cube.apply(x.sin()), lambda x: TorchCube.apply(x.sin()), normal(3, 4)
    ),
    "Function saving its output": pair(
        lambda x: ExpOut.apply(x).sin(), lambda x: TorchExpOut.apply(x).sin(), normal(3, 4)
    ),
    "Function of two tensors and a number": pair(
        lambda x, y: ScaledMul.apply(x.tanh(), y, 1.5).sin(),
        lambda x, y: TorchScaledMul.apply(x.tanh(), y, 1.5).sin(),
        normal(3, 4),
        normal(4),
    ),
    # a chain of several ops
    "chain tanh(sin·exp)": same(lambda x: (x.sin() * x.exp()).tanh(), normal(5)),
}

# Binary ops, for each input, with broadcasting: (expression, domain of each input)
BINARY: dict[str, tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]] = {
    "add": (lambda a, b: (a + b).sin(), normal, normal),
    "sub": (lambda a, b: (a - b).sin(), normal, normal),
    "mul": (lambda a, b: a * b, normal, normal),
    "mul then sin": (lambda a, b: (a * b).sin(), normal, normal),
    "div": (lambda a, b: a / b, normal, nonzero),
    "pow": (lambda a, b: a**b, positive, normal),
    "maximum": (lambda a, b: a.maximum(b).exp(), normal, normal),
    "minimum": (lambda a, b: a.minimum(b) ** 3, normal, normal),
}
BROADCAST_PAIRS = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 4), (3, 1)), ((3, 1), (4,)), ((2, 3), ())]
for _name, (_fn, _a, _b) in BINARY.items():
    for _sa, _sb in BROADCAST_PAIRS:
        CASES[f"{_name} {_sa} {_sb}"] = same(_fn, _a(*_sa), _b(*_sb))
for _sa, _sb in BROADCAST_PAIRS:
    _c = RNG.random(np.broadcast_shapes(_sa, _sb)) > 0.5
    CASES[f"where {_sa} {_sb}"] = pair(
        lambda a, b, c=_c: tg.where(c, a, b).exp(),
        lambda a, b, c=_c: torch.where(torch.tensor(c), a, b).exp(),
        normal(*_sa),
        normal(*_sb),
    )

# Ops whose backward rule cannot be recorded, and why: create_graph through them is an error.
NOT_TWICE_DIFFERENTIABLE = {
    "Prod": "its rule multiplies running products of the other elements computed in NumPy "
    "(exact where x has zeros), not from ops",
}
# Outside ops.__all__: the fused speed path, hand-written closed forms on arrays
FUSED_NOT_TWICE_DIFFERENTIABLE = {
    "Linear": "its closed form is written on arrays (functional.linear is differentiable)",
    "CrossEntropy": "it saves the softmax it computed (functional.cross_entropy is)",
}


# ---------------------------------------------------------------------------------------------
# The machinery: the same computation in both libraries
# ---------------------------------------------------------------------------------------------
def upstream(name: str, case: Case) -> tuple[np.ndarray, list[np.ndarray]]:
    """(v, u): random, seeded by the case's name, v shaped like the output, u like each input."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    out_shape = tuple(case.ours(*[tg.tensor(a) for a in case.inputs]).shape)
    return rng.standard_normal(out_shape), [rng.standard_normal(a.shape) for a in case.inputs]


def zeros_for_none(grads: Any, like: list[np.ndarray]) -> list[np.ndarray]:
    def as_array(g: Any) -> np.ndarray:
        return g.detach().numpy() if isinstance(g, torch.Tensor) else g.numpy()

    return [np.zeros(a.shape) if g is None else as_array(g) for g, a in zip(grads, like)]


def ours_double_backward(case: Case, v: np.ndarray, u: list[np.ndarray]):
    """(first derivatives g, second derivatives ds/dx for each input then ds/dv), by
    tinygrad_lr's recorded backward."""
    xs = [tg.tensor(a, requires_grad=True) for a in case.inputs]
    vt = tg.tensor(v, requires_grad=True)
    firsts = grad(case.ours(*xs), xs, vt, create_graph=True, allow_unused=True)
    s = sum((g * tg.tensor(ui)).sum() for g, ui in zip(firsts, u) if g is not None)
    seconds = grad(s, [*xs, vt], allow_unused=True)
    return zeros_for_none(firsts, case.inputs), zeros_for_none(seconds, [*case.inputs, v])


def torch_double_backward(case: Case, v: np.ndarray, u: list[np.ndarray]):
    xs = [torch.tensor(a, requires_grad=True) for a in case.inputs]
    vt = torch.tensor(v, requires_grad=True)
    firsts = torch.autograd.grad(case.theirs(*xs), xs, vt, create_graph=True, allow_unused=True)
    s = sum((g * torch.tensor(ui)).sum() for g, ui in zip(firsts, u) if g is not None)
    seconds = torch.autograd.grad(s, [*xs, vt], allow_unused=True)
    return zeros_for_none(firsts, case.inputs), zeros_for_none(seconds, [*case.inputs, v])


def first_derivative_along(case: Case, arrays: list[np.ndarray], v: np.ndarray, u) -> float:
    """s = Σₖ gₖ·uₖ with g from a plain (not recorded) first-order backward at `arrays`."""
    xs = [tg.tensor(a, requires_grad=True) for a in arrays]
    grads = grad(case.ours(*xs), xs, v, allow_unused=True)
    return sum(float(np.sum(g.numpy() * ui)) for g, ui in zip(grads, u) if g is not None)


def check_against_torch(case: Case, v: np.ndarray, u: list[np.ndarray]) -> None:
    ours_first, ours_second = ours_double_backward(case, v, u)
    torch_first, torch_second = torch_double_backward(case, v, u)
    for i, (a, b) in enumerate(zip(ours_first, torch_first)):
        np.testing.assert_allclose(a, b, **TORCH_TOL, err_msg=f"first derivative, input {i}")
    names = [f"input {i}" for i in range(len(case.inputs))] + ["v"]
    for name, a, b in zip(names, ours_second, torch_second):
        np.testing.assert_allclose(a, b, **TORCH_TOL, err_msg=f"second derivative wrt {name}")


def check_against_central_differences(case: Case, v: np.ndarray, u: list[np.ndarray]) -> None:
    _, analytic = ours_double_backward(case, v, u)
    arrays = [a.copy() for a in case.inputs]
    for i, x in enumerate(arrays):
        numeric = numeric_gradient(lambda: first_derivative_along(case, arrays, v, u), x, case.eps)
        np.testing.assert_allclose(
            analytic[i],
            numeric,
            rtol=case.fd_tol,
            atol=case.fd_tol,
            err_msg=f"second derivative wrt input {i} vs central differences",
        )


def check_gradgradcheck(case: Case, v: np.ndarray) -> None:
    assert gradgradcheck(
        case.ours, list(case.inputs), [v], eps=case.eps, atol=case.gradgradcheck_tol
    )


# ---------------------------------------------------------------------------------------------
# (a), (b), (c) for every case
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CASES)
def test_double_backward_matches_pytorch(name):
    case = CASES[name]
    check_against_torch(case, *upstream(name, case))


@pytest.mark.parametrize("name", CASES)
def test_double_backward_matches_central_differences_of_the_first_derivative(name):
    case = CASES[name]
    check_against_central_differences(case, *upstream(name, case))


@pytest.mark.parametrize("name", CASES)
def test_gradgradcheck_passes(name):
    case = CASES[name]
    v, _ = upstream(name, case)
    check_gradgradcheck(case, v)


def test_a_wrong_second_derivative_fails_all_three_checks(monkeypatch):
    """sin's first derivative is right but its second is 1% off (Cos's rule, which only runs
    when sin's recorded backward is differentiated): each check must notice."""
    name = "sin"
    case = CASES[name]
    v, u = upstream(name, case)
    rule = ops.Cos.backward
    monkeypatch.setattr(ops.Cos, "backward", staticmethod(lambda ctx, g: rule(ctx, g) * 1.01))
    with pytest.raises(AssertionError, match="second derivative"):
        check_against_torch(case, v, u)
    with pytest.raises(AssertionError, match="central differences"):
        check_against_central_differences(case, v, u)
    with pytest.raises(GradcheckError):
        check_gradgradcheck(case, v)


# ---------------------------------------------------------------------------------------------
# The table is complete
# ---------------------------------------------------------------------------------------------
def ops_in_graph(case: Case) -> set[str]:
    """The names of the ops in the graph of the case's output (those its double backward
    goes through)."""
    xs = [tg.tensor(a, requires_grad=True) for a in case.inputs]
    out = case.ours(*xs)
    return {node.name for node in topological_order(out) if isinstance(node, Context)}


def test_every_primitive_op_has_a_second_derivative_case_or_a_stated_reason():
    covered = set().union(*(ops_in_graph(case) for case in CASES.values()))
    listed = set(ops.__all__)
    assert not (covered & set(NOT_TWICE_DIFFERENTIABLE)), "a case goes through a listed op"
    missing = listed - covered - set(NOT_TWICE_DIFFERENTIABLE)
    assert not missing, f"ops without a second-derivative case or a reason: {sorted(missing)}"
    assert set(NOT_TWICE_DIFFERENTIABLE) <= listed
    for name in ops.__all__:
        differentiable = getattr(ops, name).backward_is_differentiable
        assert differentiable == (name not in NOT_TWICE_DIFFERENTIABLE), name
    for name in FUSED_NOT_TWICE_DIFFERENTIABLE:
        assert getattr(fused, name).backward_is_differentiable is False, name


# name: (a function through that op, its inputs)
THROUGH = {
    "Prod": (lambda x: x.prod(dim=1), [positive(3, 4)]),
    "Prod (all)": (lambda x: (x.sin().prod() * x).sum(), [positive(3, 4)]),
    "Linear": (
        lambda x, w, b: fused.linear(x, w, b).tanh(),
        [normal(4, 3), normal(2, 3), normal(2)],
    ),
    "CrossEntropy": (lambda z: fused.cross_entropy(z, np.array([0, 2, 1])), [normal(3, 4)]),
}


@pytest.mark.parametrize("label", THROUGH)
def test_create_graph_through_an_op_without_a_differentiable_rule_names_the_op(label):
    op = label.split()[0]
    assert op in {**NOT_TWICE_DIFFERENTIABLE, **FUSED_NOT_TWICE_DIFFERENTIABLE}
    fn, inputs = THROUGH[label]

    def fresh():
        xs = [tg.tensor(a, requires_grad=True) for a in inputs]
        return xs, fn(*xs)

    xs, out = fresh()
    v = np.random.default_rng(0).standard_normal(tuple(out.shape))
    assert all(g is not None for g in grad(out, xs, v))  # a plain backward is fine
    xs, out = fresh()
    with pytest.raises(GraphError, match=op):
        grad(out, xs, v, create_graph=True)
    xs, out = fresh()
    with pytest.raises(GraphError, match=op):
        out.backward(v, create_graph=True)
    with pytest.raises(GraphError, match=op):
        gradgradcheck(fn, inputs, [v])


# ---------------------------------------------------------------------------------------------
# Higher orders, step functions, custom Functions
# ---------------------------------------------------------------------------------------------
def chain(x):
    return (x.sin() * x.exp()).tanh()


def test_third_derivatives_of_a_scalar_chain_match_pytorch():
    """Three recorded backwards in a row, each with its own random upstream gradient."""
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal(5)
    vs = [rng.standard_normal(5) for _ in range(3)]

    def derivatives(lib_tensor, lib_grad):
        x = lib_tensor(x0, requires_grad=True)
        out, results = chain(x), []
        for i, v in enumerate(vs):
            (out,) = lib_grad(out, x, lib_tensor(v), create_graph=i < 2)
            results.append(out.detach().numpy())
        return results

    ours = derivatives(tg.tensor, grad)
    theirs = derivatives(torch.tensor, torch.autograd.grad)
    for order, (a, b) in enumerate(zip(ours, theirs), start=1):
        np.testing.assert_allclose(a, b, **TORCH_TOL, err_msg=f"derivative of order {order}")


def test_derivatives_of_a_0d_chain_to_fourth_order_match_pytorch():
    def derivatives(lib_tensor, lib_grad):
        x = lib_tensor(0.7, requires_grad=True)
        out, results = chain(x), []
        for order in range(1, 5):
            (out,) = lib_grad(out, x, create_graph=order < 4)
            results.append(float(out.detach().numpy()))
        return results

    ours = derivatives(OURS64, grad)
    theirs = derivatives(TORCH64, torch.autograd.grad)
    np.testing.assert_allclose(ours, theirs, **TORCH_TOL)


def test_third_derivative_by_backward_create_graph_matches_pytorch():
    """The same with `backward(create_graph=True)` and `.grad`, as a learner writes it."""

    def third(lib_tensor):
        x = lib_tensor([0.3, -1.1, 0.8], requires_grad=True)
        w = lib_tensor([0.5, 2.0, -1.0])
        chain(x).mul(w).sum().backward(create_graph=True)
        g1 = x.grad
        x.grad = None
        (g1 * w).sum().backward(create_graph=True)
        g2 = x.grad
        x.grad = None
        (g2 * g2).sum().backward()
        return [g1.detach().numpy(), g2.detach().numpy(), x.grad.numpy()]

    ours, theirs = third(OURS64), third(TORCH64)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, **TORCH_TOL)


@pytest.mark.parametrize("step", ["sign", "floor", "ceil", "trunc", "round"])
def test_step_functions_have_zero_first_and_second_derivative_as_pytorch(step):
    """Their first derivative is a constant zero without a graph in both libraries (so the
    second is zero: nothing in it depends on x); next to a smooth factor they add nothing to
    its second derivative (the cases "sign", "floor", ... above)."""
    x0 = away_from_steps(3, 4)
    v = np.random.default_rng(1).standard_normal((3, 4))
    x, xt = tg.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    (g,) = grad(getattr(x, step)(), x, tg.tensor(v), create_graph=True)
    (gt,) = torch.autograd.grad(getattr(xt, step)(), xt, torch.tensor(v), create_graph=True)
    np.testing.assert_array_equal(g.numpy(), gt.numpy())
    assert (g.numpy() == 0).all()
    assert g.requires_grad == gt.requires_grad
    assert (g.grad_fn is None) == (gt.grad_fn is None)
    # through a smooth factor: d²/dx² [step(x)·x²] = 2·step(x), the step contributing nothing
    y, yt = getattr(x, step)() * x * x, getattr(xt, step)() * xt * xt
    (g,) = grad(y, x, tg.tensor(v), create_graph=True)
    (gt,) = torch.autograd.grad(yt, xt, torch.tensor(v), create_graph=True)
    (h,) = grad(g.sum(), x)
    (ht,) = torch.autograd.grad(gt.sum(), xt)
    np.testing.assert_allclose(h.numpy(), ht.numpy(), **TORCH_TOL)
    np.testing.assert_allclose(h.numpy(), 2 * v * getattr(np, step)(x0), **TORCH_TOL)


@pytest.mark.parametrize("name", [n for n in CASES if n.startswith("Function")])
def test_a_custom_function_records_its_backward_with_its_saved_tensors(name):
    """The first derivative through a Function is a tensor with a graph (its rule's ops were
    recorded on the saved tensors, which carry their own graph), as in PyTorch."""
    case = CASES[name]
    xs = [tg.tensor(a, requires_grad=True) for a in case.inputs]
    firsts = grad(case.ours(*xs).sum(), xs, create_graph=True)
    assert all(g.requires_grad and g.grad_fn is not None for g in firsts)


def test_a_detached_copy_sharing_memory_stays_a_constant_in_the_recorded_backward():
    """x · x.detach(): both operands are one array, only the first has a graph, so the second
    derivative is that of x·c, not of x², as in PyTorch. (Not a case of the table: central
    differences move both operands at once.)"""
    case = same(lambda x: (x * x.detach()).sin() * x.detach().exp(), normal(3, 4))
    check_against_torch(case, *upstream("detached", case))


# ---------------------------------------------------------------------------------------------
# What backward(create_graph=...) leaves in .grad, and retain_graph's default
# ---------------------------------------------------------------------------------------------
def leaves(lib_tensor):
    x = lib_tensor([0.3, -1.1, 0.8], requires_grad=True)
    w = lib_tensor([[0.5, 2.0, -1.0], [1.5, -0.3, 0.2]], requires_grad=True)
    return x, w


def model(x, w):
    return (w @ x.sin()).tanh() * x[:2].exp()


def grad_sequence(lib_tensor, second_create_graph: bool) -> list[Any]:
    """backward(create_graph=True), then a backward through x.grad (which accumulates into
    x.grad and w.grad); what is recorded after each step."""
    x, w = leaves(lib_tensor)
    v, u = lib_tensor([0.7, -1.3]), lib_tensor([1.2, 0.4, -0.9])
    model(x, w).backward(v, create_graph=True)
    seen = [(x.grad.detach().numpy().copy(), w.grad.detach().numpy().copy())]
    flags = [(x.grad.requires_grad, x.grad.grad_fn is not None, w.grad.requires_grad)]
    (x.grad * u).sum().backward(create_graph=second_create_graph, retain_graph=True)
    seen.append((x.grad.detach().numpy().copy(), w.grad.detach().numpy().copy()))
    flags.append((x.grad.requires_grad, x.grad.grad_fn is not None, w.grad.requires_grad))
    return [seen, flags]


@pytest.mark.parametrize("second_create_graph", [False, True])
def test_grad_after_backward_create_graph_has_a_graph_and_accumulates_as_pytorch(
    second_create_graph,
):
    (ours, our_flags) = grad_sequence(OURS64, second_create_graph)
    (theirs, their_flags) = grad_sequence(TORCH64, second_create_graph)
    assert our_flags[0] == (True, True, True)
    assert our_flags == their_flags
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for which, p, q in zip(("x", "w"), a, b):
            np.testing.assert_allclose(p, q, **TORCH_TOL, err_msg=f"{which}.grad after step {step}")


def test_the_accumulated_grad_can_be_differentiated_again_as_pytorch():
    """After two create_graph backwards, x.grad = g + Hu is a recorded sum; its own gradient
    (a third backward) matches PyTorch's."""

    def run(lib_tensor):
        x, w = leaves(lib_tensor)
        v, u = lib_tensor([0.7, -1.3]), lib_tensor([1.2, 0.4, -0.9])
        model(x, w).backward(v, create_graph=True)
        (x.grad * u).sum().backward(create_graph=True)
        total = x.grad
        x.grad, w.grad = None, None
        (total * total).sum().backward()
        return x.grad.numpy(), w.grad.numpy()

    for a, b in zip(run(OURS64), run(TORCH64)):
        np.testing.assert_allclose(a, b, **TORCH_TOL)


def test_plain_backward_leaves_gradients_without_a_graph():
    x, w = leaves(OURS64)
    model(x, w).backward(OURS64([0.7, -1.3]))
    for g in (x.grad, w.grad):
        assert not g.requires_grad and g.grad_fn is None
    x, w = leaves(OURS64)
    for g in grad(model(x, w).sum(), [x, w]):
        assert not g.requires_grad and g.grad_fn is None
    x, w = leaves(OURS64)
    for g in grad(model(x, w).sum(), [x, w], create_graph=True):
        assert g.requires_grad and g.grad_fn is not None


def test_retain_graph_defaults_to_create_graph_as_in_pytorch():
    for lib_tensor, error in ((OURS64, GraphError), (TORCH64, RuntimeError)):
        x, w = leaves(lib_tensor)
        y = model(x, w).sum()
        y.backward(create_graph=True)
        first = x.grad.detach().numpy().copy()
        y.backward(create_graph=True)  # the graph was kept
        np.testing.assert_allclose(x.grad.detach().numpy(), 2 * first, rtol=1e-12)
        y.backward()  # plain, so this one releases it
        with pytest.raises(error):
            y.backward()
        x, w = leaves(lib_tensor)
        y = model(x, w).sum()
        y.backward()
        with pytest.raises(error):
            y.backward()


def test_grad_retain_graph_defaults_to_create_graph():
    x, w = leaves(OURS64)
    y = model(x, w).sum()
    grad(y, [x, w], create_graph=True)
    grad(y, [x, w], create_graph=True)  # kept
    grad(y, [x, w])  # released
    with pytest.raises(GraphError, match="second time"):
        grad(y, [x, w])


# --- x ** y where the rule has special cases: x = 0, y = 0, negative x --------------------------
POW_EDGES = [(0.0, 0.0), (0.0, 1.0), (0.0, 2.0), (0.0, 0.5), (2.0, 0.0), (0.0, -1.0), (-1.0, 2.0)]


def _pow_derivatives(lib: Any, x0: float, y0: float) -> np.ndarray:
    """[dz/dx, dz/dy, and the four second derivatives] of z = x ** y at one point, float64."""
    x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
    y = lib.tensor(y0, dtype=lib.float64, requires_grad=True)
    gx, gy = lib.autograd.grad(x**y, (x, y), create_graph=True)
    second = [
        h
        for g in (gx, gy)
        for h in lib.autograd.grad(g, (x, y), retain_graph=True, allow_unused=True)
    ]
    return np.array([float(d) if d is not None else 0.0 for d in (gx, gy, *second)])


@pytest.mark.parametrize("x0, y0", POW_EDGES, ids=[f"{x}**{y}" for x, y in POW_EDGES])
def test_pow_at_its_special_points_gives_pytorchs_derivatives_nan_and_inf_included(x0, y0):
    # PyTorch computes dz/dy = g · where(x = 0 and y ≥ 0, 0, z ln x): a NaN or inf arriving
    # there is not masked, and the product rule's 0 · ln 0 makes ∂²z/∂y² NaN at x = 0
    ours, theirs = _pow_derivatives(tg, x0, y0), _pow_derivatives(torch, x0, y0)
    with np.errstate(invalid="ignore"):
        assert np.array_equal(np.isnan(ours), np.isnan(theirs)), (ours, theirs)
        same = ~np.isnan(theirs)
        assert np.array_equal(ours[same], theirs[same]), (ours, theirs)
