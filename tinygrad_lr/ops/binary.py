"""Elementwise ops of two inputs: add, sub, mul, div, pow, maximum, minimum, where."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Op


class Add(Op):
    """z = x + y;  dx = g,  dy = g"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x + y

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        return g, g


class Sub(Op):
    """z = x − y;  dx = g,  dy = −g"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x - y

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """z = x · y;  dx = g · y,  dy = g · x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        dx, dy = ctx.needs_input_grad
        ctx.save_for_backward(x if dy else None, y if dx else None)
        return x * y

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return (g * y if dx else None), (g * x if dy else None)


class Div(Op):
    """z = x / y;  dx = g / y,  dy = −g · x / y²"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, y)
        return x / y

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y = ctx.saved_tensors
        dx, dy = ctx.needs_input_grad
        return (g / y if dx else None), (-g * x / (y * y) if dy else None)


class Pow(Op):
    """z = xʸ;  dx = g · y · xʸ⁻¹,  dy = g · xʸ · ln x

    As in PyTorch, dx is 0 where y = 0, and dy is 0 where x = 0 and y ≥ 0 (the limit of
    xʸ ln x there), so `x ** 0` and `0 ** y` have finite gradients.
    """

    torch_name = staticmethod(lambda ctx: f"PowBackward{int(ctx.needs_input_grad[1])}")

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = x**y
        ctx.save_for_backward(x, y, z if ctx.needs_input_grad[1] else None)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y, z = ctx.saved_tensors
        xp, dx, dy = ctx.xp, None, None
        with np.errstate(divide="ignore", invalid="ignore"):  # the masked entries may be inf
            if ctx.needs_input_grad[0]:
                dx = xp.where(y == 0, 0.0, g * y * x ** (y - 1))
            if ctx.needs_input_grad[1]:
                # g outside the mask, as PyTorch computes it: a NaN arriving where x = 0 stays
                # NaN (and so does the second derivative there: 0 · ln 0 in the product rule)
                dy = g * xp.where((x == 0) & (y >= 0), 0.0, z * xp.log(x))
        return dx, dy


class Maximum(Op):
    """z = max(x, y) elementwise;  dx = g where x > y,  dy = g where y > x, and g/2 each at ties
    (PyTorch's `torch.maximum`; `Minimum` is the same with the comparison turned around)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        return np.maximum(x, y)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y = ctx.saved_tensors
        share = ctx.xp.where(x == y, g * 0.5, g)  # a tie sends half the gradient each way
        return share * (x >= y), share * (y >= x)


class Minimum(Op):
    """z = min(x, y) elementwise;  dx = g where x < y,  dy = g where y < x, and g/2 each at ties"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        return np.minimum(x, y)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y = ctx.saved_tensors
        share = ctx.xp.where(x == y, g * 0.5, g)
        return share * (x <= y), share * (y <= x)


class Where(Op):
    """z = x where `condition`, else y;  dx = g where condition, dy = g elsewhere

    The condition is data (a bool array), not an input: it has no gradient.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray, condition: np.ndarray) -> np.ndarray:
        ctx.condition = condition
        return np.where(condition, x, y)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        c, xp = ctx.condition, ctx.xp
        dx, dy = ctx.needs_input_grad
        return (xp.where(c, g, 0.0) if dx else None), (xp.where(c, 0.0, g) if dy else None)
