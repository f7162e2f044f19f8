"""Which dtype a new tensor gets, and which dtype a binary op returns: PyTorch's rules.

- `Tensor(data)`: a NumPy array or NumPy scalar keeps its dtype; Python floats (and lists of
  them) become float32, PyTorch's default; Python ints become int64 and bools bool.
- A binary op: the highest category (bool < integer < floating) wins. Within it, dimensioned
  tensors outrank 0-d tensors, which outrank Python numbers, so `float32_tensor * 2.0` and
  `float32_tensor * float64_scalar_tensor` stay float32, where NumPy would give float64 for
  the second.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DtypeError, ShapeError

DEFAULT_FLOAT = np.dtype(np.float32)
_PYTHON_SCALAR_DTYPE = {0: np.dtype(bool), 1: np.dtype(np.int64), 2: DEFAULT_FLOAT}

# PyTorch's names for its CPU tensor types, which `Tensor.type()` returns and accepts.
TYPE_NAMES = {
    np.dtype(np.float32): "torch.FloatTensor",
    np.dtype(np.float64): "torch.DoubleTensor",
    np.dtype(np.float16): "torch.HalfTensor",
    np.dtype(np.int64): "torch.LongTensor",
    np.dtype(np.int32): "torch.IntTensor",
    np.dtype(np.int16): "torch.ShortTensor",
    np.dtype(np.int8): "torch.CharTensor",
    np.dtype(np.uint8): "torch.ByteTensor",
    np.dtype(bool): "torch.BoolTensor",
}

# How strongly an operand's dtype counts in a binary op.
SCALAR, ZERO_DIM, DIMENSIONED = 0, 1, 2


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floating point."""
    if dtype.kind == "b":
        return 0
    if dtype.kind in "iu":
        return 1
    if dtype.kind == "f":
        return 2
    raise DtypeError(f"tinygrad_lr supports bool, integer and floating dtypes, not {dtype}")


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def as_array(data: Any, dtype: Any = None) -> np.ndarray:
    """A new NumPy array holding `data`, with the dtype `Tensor(data)` should have."""
    try:
        if dtype is not None:
            dtype = np.dtype(dtype)
        elif not isinstance(data, np.ndarray | np.generic):
            kind = np.asarray(data).dtype
            dtype = DEFAULT_FLOAT if kind.kind == "f" else None
        array = np.array(data, dtype=dtype)
    except ValueError as error:  # a ragged nested list, most often
        raise ShapeError(f"cannot make a tensor from this {type(data).__name__}: {error}") from None
    except TypeError as error:
        raise DtypeError(f"cannot make a tensor from {type(data).__name__}: {error}") from None
    category(array.dtype)  # refuses object, string and complex arrays with a clear message
    return array


def to_numpy(value: Any) -> np.ndarray:
    """The values of a tinygrad_lr Tensor, a PyTorch tensor (detached, on the CPU) or anything
    array-like, as a NumPy array (shared where possible, not copied)."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a Tensor, ours or PyTorch's
        value = value.detach()
        return (value.cpu() if hasattr(value, "cpu") else value).numpy()
    return np.asarray(value)


def result_dtype(*operands: tuple[np.dtype, int]) -> np.dtype:
    """The dtype of a binary op's result, from each operand's (dtype, rank: SCALAR/ZERO_DIM/...)."""
    top = max(category(d) for d, _ in operands)
    rank = max(r for d, r in operands if category(d) == top)
    if rank == SCALAR:
        return _PYTHON_SCALAR_DTYPE[top]
    return np.result_type(*[d for d, r in operands if category(d) == top and r == rank])
