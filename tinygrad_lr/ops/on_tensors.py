"""`Tensors`: the names the backward rules are written with (`autograd/xp.py`), on tensors.

While a backward pass is recorded (`backward(create_graph=True)`, `grad(create_graph=True)`),
the engine hands each rule tensors instead of arrays and sets `ctx.xp` to this namespace: every
function below applies the engine's ops, so each step of the backward becomes part of a new
graph, and the gradient it returns can be differentiated again. The names and arguments are
NumPy's, as in `Arrays`, so the same rule runs unchanged in both modes.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .activations import Softplus
from .binary import Minimum, Where
from .elementary import Cos, Cosh, Erf, Sign, Sin, Sinh
from .indexing import Gather, Index, IndexAdd, ScatterAdd
from .movement import Expand, Flip, Permute, Reshape
from .reductions import Cumsum, Sum
from .unary import Cast, Exp, Log, Sigmoid, Sqrt, Tanh

Tensor = Any  # a tinygrad_lr Tensor (this module uses only its ops and `wrap`)


def constant(like: Tensor, value: Any) -> Tensor:
    """`value` (a number or an array) as a tensor of `like`'s dtype that needs no gradient."""
    return like.wrap(np.asarray(value, dtype=like.array.dtype))


def _data(x: Any) -> Any:
    """The array of a tensor (a condition, an index), or `x` itself."""
    return getattr(x, "array", x)


class Tensors:
    """The backward rules' names on tensors (see the module's docstring)."""

    # elementwise
    exp, log, sqrt, tanh = Exp.apply, Log.apply, Sqrt.apply, Tanh.apply
    sin, cos, sinh, cosh, sign = Sin.apply, Cos.apply, Sinh.apply, Cosh.apply, Sign.apply
    sigmoid = Sigmoid.apply

    @staticmethod
    def minimum(x: Tensor, y: Any) -> Tensor:
        return Minimum.apply(x, y if hasattr(y, "array") else constant(x, y))

    @staticmethod
    def where(condition: Any, x: Any, y: Any) -> Tensor:
        like = x if hasattr(x, "array") else y
        x = x if hasattr(x, "array") else constant(like, x)
        y = y if hasattr(y, "array") else constant(like, y)
        return Where.apply(x, y, condition=np.asarray(_data(condition), dtype=bool))

    @staticmethod
    def normal_cdf(x: Tensor) -> Tensor:
        """Φ(x) = (1 + erf(x/√2)) / 2"""
        return (Erf.apply(x * (1 / math.sqrt(2))) + 1) * 0.5

    @staticmethod
    def softplus(x: Tensor) -> Tensor:
        """ln(1 + eˣ): `Softplus` with no threshold, so the value is exact everywhere"""
        return Softplus.apply(x, beta=1.0, threshold=math.inf)

    # shape and movement
    @staticmethod
    def broadcast_to(x: Tensor, shape: tuple[int, ...]) -> Tensor:
        return x if tuple(x.shape) == tuple(shape) else Expand.apply(x, shape=tuple(shape))

    @staticmethod
    def expand_dims(x: Tensor, axis: int | tuple[int, ...]) -> Tensor:
        shape = np.expand_dims(np.empty(x.array.shape, dtype=bool), axis).shape
        return Reshape.apply(x, shape=shape)

    @staticmethod
    def transpose(x: Tensor, axes: Any) -> Tensor:
        return Permute.apply(x, dims=tuple(int(a) for a in axes))

    @staticmethod
    def swapaxes(x: Tensor, a: int, b: int) -> Tensor:
        dims = list(range(x.ndim))
        dims[a], dims[b] = dims[b], dims[a]
        return Permute.apply(x, dims=tuple(dims))

    @staticmethod
    def flip(x: Tensor, axis: Any) -> Tensor:
        return Flip.apply(x, dims=axis)

    @staticmethod
    def split(x: Tensor, bounds: Any, axis: int) -> tuple[Tensor, ...]:
        edges = [0, *(int(b) for b in bounds), x.shape[axis]]
        before = (slice(None),) * (axis % x.ndim)
        return tuple(
            Index.apply(x, index=(*before, slice(a, b))) for a, b in itertools.pairwise(edges)
        )

    @staticmethod
    def zeros_like(x: Tensor) -> Tensor:
        return x.wrap(np.zeros_like(x.array))

    @staticmethod
    def sum(x: Tensor, axis: int | tuple[int, ...], keepdims: bool = False) -> Tensor:
        axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
        axes = tuple(sorted(int(a) % max(x.ndim, 1) for a in axes))
        return Sum.apply(x, axes=axes, keepdim=keepdims)

    @staticmethod
    def cumsum(x: Tensor, axis: int) -> Tensor:
        return Cumsum.apply(x, dim=axis)

    @staticmethod
    def astype(x: Tensor, dtype: Any) -> Tensor:
        return x if x.array.dtype == dtype else Cast.apply(x, dtype=np.dtype(dtype))

    # picking elements out, and adding them back into zeros
    @staticmethod
    def take(x: Tensor, index: object) -> Tensor:
        return Index.apply(x, index=index)

    @staticmethod
    def take_along(x: Tensor, index: np.ndarray, axis: int) -> Tensor:
        return Gather.apply(x, index=index, dim=axis)

    @staticmethod
    def scatter_add(shape: tuple[int, ...], index: object, values: Tensor) -> Tensor:
        return IndexAdd.apply(values, index=index, shape=shape)

    @staticmethod
    def scatter_add_along(
        shape: tuple[int, ...], index: np.ndarray, axis: int, values: Tensor
    ) -> Tensor:
        return ScatterAdd.apply(values, index=index, dim=axis, shape=shape)
