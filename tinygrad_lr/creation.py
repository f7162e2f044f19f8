"""Making tensors, as PyTorch's top-level functions do: `zeros`, `arange`, `randn`, `cat`, ...

Each takes the shape as separate ints or one sequence (`zeros(2, 3)` or `zeros((2, 3))`), and
`dtype=` (float32 by default for floating values, as in PyTorch) and `requires_grad=`. The
random ones draw from `tinygrad_lr.random`, PyTorch's own generator, so after `manual_seed(s)`
they give PyTorch's numbers. `cat`, `stack` and `where` are recorded: gradients flow through
them.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import ops, random
from .device import check_cpu
from .dtypes import DEFAULT_FLOAT, as_array, is_floating
from .errors import DtypeError, ShapeError
from .tensor import Tensor, result_type, tensor


def _shape(size: tuple[Any, ...]) -> tuple[int, ...]:
    """`(2, 3)` from `zeros(2, 3)` or `zeros((2, 3))`, checked."""
    if len(size) == 1 and isinstance(size[0], Sequence | np.ndarray):
        size = tuple(size[0])
    if not all(isinstance(n, np.integer | int) and not isinstance(n, bool) for n in size):
        raise TypeError(f"a size must be ints, got {size!r}")
    if any(n < 0 for n in size):
        raise ShapeError(f"a size cannot be negative, got {tuple(size)}")
    return tuple(int(n) for n in size)


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    return tensor(array, dtype=array.dtype, requires_grad=requires_grad)


def _accepts_device(function: Callable[..., Tensor]) -> Callable[..., Tensor]:
    """PyTorch's `device=` keyword on a creation function: the CPU is accepted (there is no
    other here), any other device is refused by name."""

    @functools.wraps(function)
    def with_device(*args: Any, device: Any = None, **kwargs: Any) -> Tensor:
        if device is not None:
            check_cpu(device)
        return function(*args, **kwargs)

    return with_device


def _float_dtype(dtype: Any) -> np.dtype:
    return DEFAULT_FLOAT if dtype is None else np.dtype(dtype)


# a·b + c rounded once, in float32 and float64, as PyTorch's kernels compute it (see `random`)
_FMA = {np.dtype(np.float32): random.fma32, np.dtype(np.float64): random.fma64}


@_accepts_device
def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """`data` as a tensor, sharing memory where it can (a NumPy array of that dtype, a tensor),
    as `torch.as_tensor`."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return Tensor.from_numpy(data)
    return tensor(data, dtype=dtype)


@_accepts_device
def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad)


@_accepts_device
def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape(size), _float_dtype(dtype)), requires_grad)


@_accepts_device
def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros, where PyTorch leaves the memory uninitialised (the values are unspecified there)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


@_accepts_device
def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value (float32 for a
    float, int64 for an int, bool for a bool), as in PyTorch."""
    shape = _shape((size,))
    if dtype is None:
        dtype = as_array(fill_value).dtype
    return _make(np.full(shape, fill_value, np.dtype(dtype)), requires_grad)


@_accepts_device
def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


@_accepts_device
def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


@_accepts_device
def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


@_accepts_device
def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, t.dtype if dtype is None else dtype, requires_grad)


@_accepts_device
def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """start, start + step, ... up to `end` (excluded); int64 when all are ints, else float32.

    Floats are PyTorch's to the last bit on an x86-64 CPU: its kernel fills vectors of 32 bytes
    (8 float32 or 4 float64), two at a time. Each vector starts at start + step·i, computed in
    float64 and rounded to the dtype, and counts on from there by step; the elements after the
    last pair of vectors are each start + step·i. All of it is in float64, with fused
    multiply-adds. (Beyond 32,768 elements PyTorch splits the work between threads, and the
    vectors start where each thread's share does: there we match a one-thread PyTorch.)"""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ShapeError(
            f"arange: upper bound and larger bound inconsistent with step sign (start {start}, "
            f"end {end}, step {step})"
        )
    if dtype is None:
        ints = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = np.int64 if ints else DEFAULT_FLOAT
    count = max(int(np.ceil((end - start) / step)), 0)
    dtype = np.dtype(dtype)
    if dtype not in _FMA:  # integers: PyTorch truncates start, end and step first
        first, last, stride = int(start), int(end), int(step)
        if dtype == np.int64:  # and counts in integers too
            if stride == 0:
                raise ValueError(f"arange: step {step} must be nonzero once made an integer")
            span = last - first + stride - (1 if stride > 0 else -1)  # ceil, in integers
            count = abs(span) // abs(stride) if (span > 0) == (stride > 0) else 0
        values = first + stride * np.arange(count, dtype=np.int64)
        return _make(values.astype(dtype), requires_grad)
    i = np.arange(count)
    lanes = 32 // dtype.itemsize
    fma = random.fma64  # every step in float64, whatever the dtype
    vector_start = fma(step, i - i % lanes, start).astype(dtype)
    in_vector = fma(i % lanes, step, vector_start)
    alone = fma(step, i, start)
    in_pairs = i < count - count % (2 * lanes)
    return _make(np.where(in_pairs, in_vector, alone).astype(dtype), requires_grad)


@_accepts_device
def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included, PyTorch's to the last
    bit: with step = (end − start) / (steps − 1) rounded in the dtype, the first half counts up
    from start, start + step·i, and the second half down from end, end − step·(steps − 1 − i),
    each a fused multiply-add (one rounding), as PyTorch's CPU kernel computes them."""
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    dtype = _float_dtype(dtype)
    # integers: the ends truncated to integers first, then stepped in float64 and truncated
    step_dtype = dtype if dtype in _FMA else np.dtype(np.float64)
    first, last = step_dtype.type(start), step_dtype.type(end)
    if step_dtype != dtype:
        first, last = step_dtype.type(int(start)), step_dtype.type(int(end))
    step = (last - first) / step_dtype.type(max(steps - 1, 1))
    i = np.arange(steps, dtype=step_dtype)
    up = _FMA[step_dtype](step, i, first)
    down = _FMA[step_dtype](-step, (steps - 1) - i, last)
    half = steps // 2 if steps > 1 else 1  # one step: just start
    return _make(np.where(i < half, up, down).astype(dtype), requires_grad)


@_accepts_device
def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


# --- random: PyTorch's generator, PyTorch's numbers --------------------------------------------
@_accepts_device
def rand(
    *size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform in [0, 1), PyTorch's numbers after `manual_seed`."""
    return _make(random.rand(_shape(size), _float_dtype(dtype), generator), requires_grad)


@_accepts_device
def randn(
    *size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal, PyTorch's numbers after `manual_seed`."""
    return _make(random.randn(_shape(size), _float_dtype(dtype), generator), requires_grad)


def _empty_like_layout(t: Tensor, dtype: Any) -> Tensor:
    """A new tensor of t's shape laid out in memory as t is (a transposed t gives a transposed
    result), as PyTorch's `*_like` functions make them: their random numbers follow it."""
    return Tensor.wrap(np.zeros_like(t.array, dtype=t.dtype if dtype is None else dtype))


@_accepts_device
def rand_like(t: Tensor, dtype: Any = None) -> Tensor:
    return _empty_like_layout(t, dtype).uniform_()


@_accepts_device
def randn_like(t: Tensor, dtype: Any = None) -> Tensor:
    return _empty_like_layout(t, dtype).normal_()


@_accepts_device
def randint(*args: Any, generator: Any = None, dtype: Any = None) -> Tensor:
    """`randint(high, size)` or `randint(low, high, size)`: integers in [low, high), int64."""
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError("randint(high, size) or randint(low, high, size)")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dtype = np.int64 if dtype is None else dtype
    return Tensor.wrap(random.randint(low, high, _shape((size,)), np.dtype(dtype), generator))


@_accepts_device
def randint_like(t: Tensor, *bounds: int, dtype: Any = None, generator: Any = None) -> Tensor:
    """`randint_like(t, high)` or `randint_like(t, low, high)`: integers in [low, high) in t's
    shape and dtype, as `randint`."""
    if len(bounds) not in (1, 2):
        raise TypeError("randint_like(input, high) or randint_like(input, low, high)")
    low, high = (0, *bounds) if len(bounds) == 1 else bounds
    if high <= low:
        raise ValueError(f"randint_like: high ({high}) must be greater than low ({low})")
    return _empty_like_layout(t, dtype).random_(low, high, generator=generator)


@_accepts_device
def normal(
    mean: Any,
    std: Any = 1.0,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal values, PyTorch's after `manual_seed`: `normal(mean, std, size)` with two numbers
    is N(mean, std²) of that size; with a tensor for `mean` or `std` (or both), one value per
    element of their broadcast shape, z · std + mean with z standard normal, each step rounded
    in the result's dtype, as PyTorch computes it. Not recorded: where `mean` or `std` requires
    grad, PyTorch records the draw with a zero gradient; we give a tensor without one."""
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal(mean, std, size): with two numbers, give the size")
        if not std >= 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        values = random.normal(_shape((size,)), mean, std, _float_dtype(dtype), generator)
        return _make(values, requires_grad)
    if size is not None:
        raise TypeError("normal(mean, std): with a tensor for mean or std, the size is theirs")
    given = [x for x in (mean, std) if isinstance(x, Tensor)]
    if not all(is_floating(x.dtype) for x in given):
        raise NotImplementedError(
            f"normal: mean and std must be float tensors, got {[str(x.dtype) for x in given]}"
        )
    out_dtype = given[0].dtype  # mean's when it is a tensor, else std's, as in PyTorch
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    if not np.all(np.asarray(s) >= 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    except ValueError:
        raise ShapeError(
            f"normal: mean of shape {np.shape(m)} and std of shape {np.shape(s)} do not broadcast"
        ) from None
    z = random.normal(shape, 0.0, 1.0, out_dtype, generator)
    scaled = (z * s).astype(out_dtype)  # PyTorch's output.mul_(std), then .add_(mean)
    return Tensor.wrap((scaled + m).astype(out_dtype))


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:
    """1 with probability `input` (a float tensor of probabilities), else 0, PyTorch's numbers
    after `manual_seed`; with a number `p`, 1 with probability p in input's shape and dtype."""
    return input.bernoulli(p, generator=generator)


@_accepts_device
def randperm(n: int, generator: Any = None, dtype: Any = None) -> Tensor:
    """A random ordering of 0 … n − 1, PyTorch's after `manual_seed`."""
    dtype = np.int64 if dtype is None else dtype
    return Tensor.wrap(random.randperm(n, np.dtype(dtype), generator))


# --- joining and choosing: recorded ops ---------------------------------------------------------
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors joined along `dim` (all other sizes must agree); dtypes promote as in `+`."""
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    dtype = tensors[0].dtype
    for t in tensors[1:]:  # PyTorch's promotion: int64 with float32 gives float32
        dtype = result_type(tensor(np.zeros(1, dtype)), t)
    tensors = [t.to(dtype) for t in tensors]
    first = tensors[0]
    if not -first.ndim <= dim < max(first.ndim, 1):
        raise IndexError(
            f"cat: dim {dim} is out of range for tensors of shape {tuple(first.shape)}"
        )
    axis = dim % first.ndim if first.ndim else 0
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(
            a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis
        ):
            raise ShapeError(
                f"cat: sizes of tensors must match except in dim {dim}: got "
                f"{tuple(first.shape)} and "
                f"{tuple(t.shape)}"
            )
    return ops.Cat.apply(*tensors, dim=axis)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """The tensors (all of one shape) along a new dim `dim`."""
    tensors = [t if isinstance(t, Tensor) else tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    if any(t.shape != tensors[0].shape for t in tensors):
        shapes = sorted({t.shape for t in tensors})
        raise ShapeError(f"stack expects each tensor to be equal size, got shapes {shapes}")
    axis = dim if dim >= 0 else dim + tensors[0].ndim + 1
    return cat([t.unsqueeze(axis) for t in tensors], dim=axis)


def where(condition: Any, input: Any = None, other: Any = None) -> Tensor:
    """`input` where `condition` holds, else `other` (broadcast together); gradients flow to the
    chosen elements. With the condition alone, the indices where it holds (a tuple)."""
    c = np.asarray(condition.array if isinstance(condition, Tensor) else condition)
    if c.dtype.kind != "b":
        raise DtypeError(f"where: the condition must hold bools, got {c.dtype}")
    if input is None and other is None:
        return tuple(Tensor.wrap(i.astype(np.int64)) for i in np.nonzero(c))
    x = input if isinstance(input, Tensor) else tensor(input)
    y = other if isinstance(other, Tensor) else tensor(other)
    dtype = result_type(x, other)
    a, b = x.to(dtype), y.to(dtype)
    shape = np.broadcast_shapes(c.shape, a.shape, b.shape)
    return ops.Where.apply(a.expand(shape), b.expand(shape), condition=np.broadcast_to(c, shape))


class _LegacyType(type):
    """What makes `isinstance(x, FloatTensor)` ask x's dtype, as PyTorch's legacy types do."""

    dtype: np.dtype

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype


# The legacy constructors take data or a shape, as `Tensor` does: `LongTensor([1, 2])` holds
# 1 and 2, `FloatTensor(2, 3)` is 2 × 3 (zeros here; PyTorch leaves the memory uninitialised).
# Each knows its dtype, so `x.type(FloatTensor)` converts.
class _LegacyTensor(metaclass=_LegacyType):
    def __new__(cls, *data: Any) -> Tensor:  # type: ignore[misc]
        return Tensor(*data, dtype=cls.dtype)


class LongTensor(_LegacyTensor):
    dtype = np.dtype(np.int64)


class FloatTensor(_LegacyTensor):
    dtype = np.dtype(np.float32)


class DoubleTensor(_LegacyTensor):
    dtype = np.dtype(np.float64)


class _AnyTensor(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)  # every tensor is a Variable, as in PyTorch


class Variable(metaclass=_AnyTensor):
    """`autograd.Variable`: PyTorch's name, before version 0.4, for a tensor that records the
    ops applied to it. Since then every tensor can, so a Variable is a tensor; old code (and
    libraries such as torchsummary) still import the name.

    `Variable(t, requires_grad=False)` is `t` detached (the same data, not a copy), with
    `requires_grad` as given, as PyTorch returns it; `Variable()` is an empty tensor. The old
    `volatile=` is accepted with a warning and does nothing (use `no_grad`)."""

    def __new__(
        cls, data: Any = None, requires_grad: bool = False, volatile: bool | None = None
    ) -> Any:
        if volatile is not None:
            warnings.warn(
                "Variable's volatile= has no effect any more: use `with no_grad():`",
                UserWarning,
                stacklevel=2,
            )
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
        if data is None:
            data = Tensor()
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> bool:
    return is_floating(t.dtype)
