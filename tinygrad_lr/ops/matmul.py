"""Matrix multiplication."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Op


class MatMul(Op):
    """Z = X @ Y;  dX = G @ Yᵀ,  dY = Xᵀ @ G   (ᵀ swaps the last two dims)

    NumPy/PyTorch semantics: a 1-D X is a row vector and a 1-D Y a column vector, whose added dim
    is dropped from Z; leading (batch) dims broadcast. Backward restores the dropped dims of G,
    applies the rule, and leaves the summing over broadcast batch dims to the engine.
    """

    torch_name = staticmethod(
        lambda ctx: {(2, 2): "MmBackward0", (2, 1): "MvBackward0", (1, 1): "DotBackward0"}.get(
            ctx.ndims, "MatmulBackward0"
        )
    )

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dx, dy = ctx.needs_input_grad
        ctx.save_for_backward(x if dy else None, y if dx else None)
        ctx.ndims = x.ndim, y.ndim
        return x @ y

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y = ctx.saved_tensors
        x_ndim, y_ndim = ctx.ndims
        xp = ctx.xp
        if y_ndim == 1:  # y first: when both are 1-D, g is 0-d and becomes (1, 1)
            g = xp.expand_dims(g, -1)
        if x_ndim == 1:
            g = xp.expand_dims(g, -2)
        dx = dy = None
        if ctx.needs_input_grad[0]:
            y2 = xp.expand_dims(y, 0) if y_ndim == 1 else y  # the column y as a row: its yᵀ
            dx = g @ (y2 if y_ndim == 1 else xp.swapaxes(y2, -1, -2))
            dx = xp.take(dx, (..., 0, slice(None))) if x_ndim == 1 else dx
        if ctx.needs_input_grad[1]:
            x2 = xp.expand_dims(x, -1) if x_ndim == 1 else xp.swapaxes(x, -1, -2)  # xᵀ
            dy = x2 @ g
            dy = xp.take(dy, (..., 0)) if y_ndim == 1 else dy
        return dx, dy
