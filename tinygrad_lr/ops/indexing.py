"""Indexing: picking elements out (x[index], gather), their gradient scattered back."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Op
from ..autograd.xp import Arrays


def _index_name(index: object) -> str:
    """What PyTorch calls indexing's backward: a select (an int), a slice, or an index."""
    entries = index if isinstance(index, tuple) else (index,)
    if any(isinstance(e, np.ndarray) for e in entries):
        return "IndexBackward0"
    return (
        "SelectBackward0"
        if any(isinstance(e, int | np.integer) for e in entries)
        else ("SliceBackward0")
    )


class Index(Op):
    """z = x[index];  dx = zeros like x, with g added at `index` (repeated positions accumulate)

    `index` is anything NumPy accepts: integers, slices, integer or boolean arrays. With integer
    arrays, `x[rows, cols]` gathers one element per row, as cross-entropy does to pick the
    log-probability of each target class.
    """

    returns_view = True

    torch_name = staticmethod(lambda ctx: _index_name(ctx.index))

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: object) -> np.ndarray:
        ctx.index, ctx.shape = index, x.shape
        out = x[index]
        if not out.flags.c_contiguous and not np.may_share_memory(out, x):
            out = np.ascontiguousarray(out)  # a gathered copy is laid out in rows, as PyTorch's
        return out

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.scatter_add(ctx.shape, ctx.index, g)


class Gather(Op):
    """z[i][j] = x[i][index[i][j]] along `dim` (PyTorch's `gather`, NumPy's take_along_axis);
    dx = zeros like x, with g added where it was taken from (repeats accumulate)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
        ctx.index, ctx.dim, ctx.shape = index, dim, x.shape
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.scatter_add_along(ctx.shape, ctx.index, ctx.dim, g)


# The reverses of the two above, which their backward rules apply: recorded (create_graph), a
# backward of Index or Gather is one of these ops, and their own backward picks elements out again.
class IndexAdd(Op):
    """z = zeros of `shape` with x added at `index` (repeats accumulate);  dx = g[index]"""

    torch_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: object, shape: tuple[int, ...]) -> np.ndarray:
        ctx.index = index
        return Arrays.scatter_add(shape, index, x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.take(g, ctx.index)


class ScatterAdd(Op):
    """z = zeros of `shape` with x added along `dim` where `index` says (PyTorch's scatter_add
    into zeros);  dx = g gathered back from those places"""

    @staticmethod
    def forward(
        ctx: Context, x: np.ndarray, index: np.ndarray, dim: int, shape: tuple[int, ...]
    ) -> np.ndarray:
        ctx.index, ctx.dim = index, dim
        return Arrays.scatter_add_along(shape, index, dim, x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.take_along(g, ctx.index, ctx.dim)
