"""Reductions: sum, max, min, prod, and the running sum (cumsum) and trace."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Op
from ..autograd.xp import max_over_last, sum_over


def _expand_reduced(g: np.ndarray, ctx: Context) -> np.ndarray:
    """Give `g` back the reduced dims as size 1, so that it broadcasts against the input."""
    return g if ctx.keepdim else ctx.xp.expand_dims(g, ctx.axes)


class Sum(Op):
    """z = Σ over `axes` of x;  dx = g copied along the summed axes"""

    torch_name = staticmethod(
        lambda ctx: (
            "SumBackward0"
            if not ctx.keepdim and len(ctx.axes) == len(ctx.shape)
            else "SumBackward1"
        )
    )

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        ctx.axes, ctx.keepdim, ctx.shape = axes, keepdim, x.shape
        return sum_over(x, axes, keepdim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.broadcast_to(_expand_reduced(g, ctx), ctx.shape)


class Max(Op):
    """z = max over `axes` of x;  dx = g / k at each of the k elements equal to the max, else 0

    Ties share the gradient evenly, as in PyTorch's `amax` (and in `max()` without a dim, except
    that with a NaN present PyTorch's `max()` sends the gradient to the NaN, and this gives NaN).
    """

    torch_name = "AmaxBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        z = max_over_last(x) if axes == (x.ndim - 1,) else x.max(axis=axes, keepdims=True)
        ctx.axes, ctx.keepdim = axes, keepdim
        if ctx.needs_input_grad[0]:  # the mask of maxima only when a backward will use it
            ctx.save_for_backward(x == z)
        return z if keepdim else np.squeeze(z, axis=axes)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (is_max,) = ctx.saved_tensors
        count = ctx.xp.sum(is_max, ctx.axes, True)
        return is_max * (_expand_reduced(g, ctx) / count)


class Min(Op):
    """z = min over `axes` of x;  dx = g / k at each of the k elements equal to the min, else 0"""

    torch_name = "AminBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        z = x.min(axis=axes, keepdims=True)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x == z)
        return z if keepdim else np.squeeze(z, axis=axes)

    backward = Max.backward


class Prod(Op):
    """z = Π over `axis` of x (one axis, or all when None);  dx = g · Π of the other elements

    "The other elements" is not z / x, which divides by zero: it is the product of everything
    before the element times everything after it, two running products (exclusive cumprods).
    Those are computed in NumPy, not from ops, so this rule cannot be differentiated again.
    """

    backward_is_differentiable = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axis: int | None, keepdim: bool) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.axis, ctx.keepdim = axis, keepdim
        return np.prod(x, axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        axis = ctx.axis
        flat = x.reshape(-1) if axis is None else np.moveaxis(x, axis, -1)
        ones = np.ones_like(flat[..., :1])
        before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = before * after
        if axis is None:
            return g * others.reshape(x.shape)
        g = g if ctx.keepdim else np.expand_dims(g, axis)
        return g * np.moveaxis(others, -1, axis)


class Cumsum(Op):
    """z_i = x_0 + … + x_i along `dim`;  dx_j = g_j + … + g_last: g summed from the end back

    Each x_j appears in every z_i with i ≥ j, so its gradient is the sum of those g_i: a cumsum
    of g run backwards (flip, cumsum, flip).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim = dim
        return np.cumsum(x, axis=dim, dtype=x.dtype) if x.ndim else x.copy()

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        if g.ndim == 0:
            return g
        xp = ctx.xp
        return xp.flip(xp.cumsum(xp.flip(g, ctx.dim), ctx.dim), ctx.dim)


class Trace(Op):
    """z = Σᵢ xᵢᵢ, the sum of a matrix's diagonal;  dx = g on the diagonal, 0 elsewhere (g·I)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.shape = x.shape
        return np.asarray(np.trace(x))

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return g * np.eye(*ctx.shape, dtype=g.dtype)
