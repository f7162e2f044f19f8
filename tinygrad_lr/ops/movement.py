"""Movement: the same elements, arranged differently (reshape, permute, expand, repeat, flip,
cat)."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Op


class Reshape(Op):
    """z = x with a new shape, same elements in the same order;  dx = g reshaped back"""

    returns_view = True

    torch_name = "ViewBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return g.reshape(ctx.shape)


class Permute(Op):
    """z = x with its dims reordered (z's dim i is x's dim `dims[i]`);  dx = g, dims put back"""

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.transpose(g, np.argsort(ctx.dims))


class Expand(Op):
    """z = x broadcast to `shape` (size-1 dims repeated, dims added in front);  dx = g summed
    back to x's shape (the engine's unbroadcast does it)"""

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return g


class Repeat(Op):
    """z = x tiled `repeats` times along each dim (PyTorch's `repeat`);  dx = the sum of g over
    the copies: g seen as (r₀, s₀, r₁, s₁, …) summed over every rᵢ"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, repeats: tuple[int, ...]) -> np.ndarray:
        ctx.shape = (1,) * (len(repeats) - x.ndim) + x.shape
        return np.tile(x.reshape(ctx.shape), repeats)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        split = []
        for copies, size in zip(g.shape, ctx.shape):
            split += [copies // size, size]
        return ctx.xp.sum(g.reshape(split), tuple(range(0, len(split), 2)))


class Flip(Op):
    """z = x with the order of its elements reversed along each of `dims`;  dx = g flipped back

    A copy, as in PyTorch (NumPy's flip would be a view).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        ctx.dims = dims
        return np.flip(x, dims).copy()

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.flip(g, ctx.dims)


class Cat(Op):
    """z = the inputs joined along `dim`;  each input's dx = its own slice of g"""

    @staticmethod
    def forward(ctx: Context, *xs: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        bounds = np.cumsum(ctx.sizes)[:-1]
        return tuple(ctx.xp.split(g, bounds, ctx.dim))
