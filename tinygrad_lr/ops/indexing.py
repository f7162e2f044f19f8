"""Indexing: picking elements out (x[index], gather), their gradient scattered back."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Op


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
        return x[index]

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        dx = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(dx, ctx.index, g)
        return dx


class Gather(Op):
    """z[i][j] = x[i][index[i][j]] along `dim` (PyTorch's `gather`, NumPy's take_along_axis);
    dx = zeros like x, with g added where it was taken from (repeats accumulate)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
        ctx.index, ctx.dim, ctx.shape = index, dim, x.shape
        return np.take_along_axis(x, index, axis=dim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        dx = np.zeros(ctx.shape, dtype=g.dtype)
        where = list(np.indices(ctx.index.shape, sparse=True))
        where[ctx.dim] = ctx.index
        np.add.at(dx, tuple(where), g)
        return dx
