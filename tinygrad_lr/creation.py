"""Making tensors, as PyTorch's top-level functions do: `zeros`, `arange`, `randn`, `cat`, ...

Each takes the shape as separate ints or one sequence (`zeros(2, 3)` or `zeros((2, 3))`), and
`dtype=` (float32 by default for floating values, as in PyTorch) and `requires_grad=`. The
random ones draw from `tinygrad_lr.random`, PyTorch's own generator, so after `manual_seed(s)`
they give PyTorch's numbers. `cat`, `stack` and `where` are recorded: gradients flow through
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops, random
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


def _float_dtype(dtype: Any) -> np.dtype:
    return DEFAULT_FLOAT if dtype is None else np.dtype(dtype)


def as_tensor(data: Any, dtype: Any = None) -> Tensor:
    """`data` as a tensor, sharing memory where it can (a NumPy array of that dtype, a tensor),
    as `torch.as_tensor`."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return Tensor.from_numpy(data)
    return tensor(data, dtype=dtype)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_shape(size), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_shape(size), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros, where PyTorch leaves the memory uninitialised (the values are unspecified there)."""
    return zeros(*size, dtype=dtype, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `size` filled with `fill_value`; the dtype follows the value (float32 for a
    float, int64 for an int, bool for a bool), as in PyTorch."""
    shape = _shape((size,))
    if dtype is None:
        dtype = as_array(fill_value).dtype
    return _make(np.full(shape, fill_value, np.dtype(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=t.dtype if dtype is None else dtype, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, t.dtype if dtype is None else dtype, requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """start, start + step, ... up to `end` (excluded); int64 when all are ints, else float32."""
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
    values = start + step * np.arange(count, dtype=np.float64)
    return _make(values.astype(dtype), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """`steps` evenly spaced values from `start` to `end`, both included."""
    if steps < 0:
        raise ValueError(f"linspace: number of steps must be non-negative, got {steps}")
    return _make(np.linspace(start, end, steps).astype(_float_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


# --- random: PyTorch's generator, PyTorch's numbers --------------------------------------------
def rand(
    *size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Uniform in [0, 1), PyTorch's numbers after `manual_seed`."""
    return _make(random.rand(_shape(size), _float_dtype(dtype), generator), requires_grad)


def randn(
    *size: Any, generator: Any = None, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Standard normal, PyTorch's numbers after `manual_seed`."""
    return _make(random.randn(_shape(size), _float_dtype(dtype), generator), requires_grad)


def rand_like(t: Tensor, dtype: Any = None) -> Tensor:
    return rand(t.shape, dtype=t.dtype if dtype is None else dtype)


def randn_like(t: Tensor, dtype: Any = None) -> Tensor:
    return randn(t.shape, dtype=t.dtype if dtype is None else dtype)


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


def LongTensor(data: Any) -> Tensor:  # noqa: N802 - PyTorch's name
    return tensor(data, dtype=np.int64)


def FloatTensor(data: Any) -> Tensor:  # noqa: N802
    return tensor(data, dtype=np.float32)


def DoubleTensor(data: Any) -> Tensor:  # noqa: N802
    return tensor(data, dtype=np.float64)


# Each legacy constructor knows its dtype, as PyTorch's do: `x.type(FloatTensor)` converts.
LongTensor.dtype = np.dtype(np.int64)  # type: ignore[attr-defined]
FloatTensor.dtype = np.dtype(np.float32)  # type: ignore[attr-defined]
DoubleTensor.dtype = np.dtype(np.float64)  # type: ignore[attr-defined]


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(t: Tensor) -> bool:
    return is_floating(t.dtype)
