"""Every primitive op of tinygrad_lr, its forward and its backward side by side.

Each op is a `Function`: `forward` computes on NumPy arrays, `backward` takes `g`, the gradient of
the loss with respect to the op's output, and returns the gradient with respect to each input
(the chain rule: dL/dx = dL/dz · dz/dx). The docstring's first line is the math.

Backward rules may return gradients in the broadcast shape of the output; the engine sums them
back to each input's shape in one place (`autograd.unbroadcast`). A rule returns `None` for an
input that needs no gradient (`ctx.needs_input_grad`), so no work is spent on it; and, as in
PyTorch, an op saves an input only when a rule that will run needs it (x·y saves y only when x
needs a gradient): memory is not spent on it, and changing that input in place afterwards is
harmless, since no gradient is computed from it.

Groups, top to bottom: elementwise binary, elementwise unary, reductions, movement, matmul,
indexing. Everything else (mean, softmax, cross-entropy, linear, ...) is built from these.
"""

from __future__ import annotations

import numpy as np

from .autograd import Context, Function


# --- elementwise binary ----------------------------------------------------------------------
class Add(Function):
    """z = x + y;  dx = g,  dy = g"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x + y

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        return g, g


class Sub(Function):
    """z = x − y;  dx = g,  dy = −g"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x - y

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Function):
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


class Div(Function):
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


class Pow(Function):
    """z = xʸ;  dx = g · y · xʸ⁻¹,  dy = g · xʸ · ln x

    As in PyTorch, dx is 0 where y = 0, and dy is 0 where x = 0 and y ≥ 0 (the limit of
    xʸ ln x there), so `x ** 0` and `0 ** y` have finite gradients.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        z = x**y
        ctx.save_for_backward(x, y, z if ctx.needs_input_grad[1] else None)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y, z = ctx.saved_tensors
        dx = dy = None
        with np.errstate(divide="ignore", invalid="ignore"):  # the masked entries may be inf
            if ctx.needs_input_grad[0]:
                dx = np.where(y == 0, 0.0, g * y * x ** (y - 1))
            if ctx.needs_input_grad[1]:
                dy = np.where((x == 0) & (y >= 0), 0.0, g * z * np.log(x))
        return dx, dy


# --- elementwise unary -----------------------------------------------------------------------
class Neg(Function):
    """z = −x;  dx = −g"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return -g


class Exp(Function):
    """z = eˣ;  dx = g · z"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.exp(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * z


class Log(Function):
    """z = ln x;  dx = g / x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g / x


class ReLU(Function):
    """z = max(x, 0);  dx = g where z > 0, else 0 (PyTorch's choice at x = 0)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.maximum(x, 0)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * (z > 0)


class Cast(Function):
    """z = x converted to `dtype`;  dx = g converted back to x's dtype"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.input_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return g.astype(ctx.input_dtype)


# --- reductions ------------------------------------------------------------------------------
def _expand_reduced(g: np.ndarray, ctx: Context) -> np.ndarray:
    """Give `g` back the reduced dims as size 1, so that it broadcasts against the input."""
    return g if ctx.keepdim else np.expand_dims(g, ctx.axes)


class Sum(Function):
    """z = Σ over `axes` of x;  dx = g copied along the summed axes"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        ctx.axes, ctx.keepdim, ctx.shape = axes, keepdim, x.shape
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return np.broadcast_to(_expand_reduced(g, ctx), ctx.shape)


class Max(Function):
    """z = max over `axes` of x;  dx = g / k at each of the k elements equal to the max, else 0

    Ties share the gradient evenly, as in PyTorch's `amax` (and in `max()` without a dim, except
    that with a NaN present PyTorch's `max()` sends the gradient to the NaN, and this gives NaN).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, axes: tuple[int, ...], keepdim: bool) -> np.ndarray:
        z = x.max(axis=axes, keepdims=True)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x == z)
        return z if keepdim else np.squeeze(z, axis=axes)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (is_max,) = ctx.saved_tensors
        count = is_max.sum(axis=ctx.axes, keepdims=True)
        return is_max * (_expand_reduced(g, ctx) / count)


# --- movement --------------------------------------------------------------------------------
class Reshape(Function):
    """z = x with a new shape, same elements in the same order;  dx = g reshaped back"""

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return g.reshape(ctx.shape)


class Permute(Function):
    """z = x with its dims reordered (z's dim i is x's dim `dims[i]`);  dx = g, dims put back"""

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        ctx.dims = dims
        return np.transpose(x, dims)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return np.transpose(g, np.argsort(ctx.dims))


# --- matmul ----------------------------------------------------------------------------------
class MatMul(Function):
    """Z = X @ Y;  dX = G @ Yᵀ,  dY = Xᵀ @ G   (ᵀ swaps the last two dims)

    NumPy/PyTorch semantics: a 1-D X is a row vector and a 1-D Y a column vector, whose added dim
    is dropped from Z; leading (batch) dims broadcast. Backward restores the dropped dims of G,
    applies the rule, and leaves the summing over broadcast batch dims to the engine.
    """

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
        if y_ndim == 1:  # y first: when both are 1-D, g is 0-d and becomes (1, 1)
            g = np.expand_dims(g, -1)
        if x_ndim == 1:
            g = np.expand_dims(g, -2)
        dx = dy = None
        if ctx.needs_input_grad[0]:
            y2 = y[:, None] if y_ndim == 1 else y
            dx = g @ np.swapaxes(y2, -1, -2)
            dx = dx[..., 0, :] if x_ndim == 1 else dx
        if ctx.needs_input_grad[1]:
            x2 = x[None, :] if x_ndim == 1 else x
            dy = np.swapaxes(x2, -1, -2) @ g
            dy = dy[..., 0] if y_ndim == 1 else dy
        return dx, dy


# --- indexing --------------------------------------------------------------------------------
class Index(Function):
    """z = x[index];  dx = zeros like x, with g added at `index` (repeated positions accumulate)

    `index` is anything NumPy accepts: integers, slices, integer or boolean arrays. With integer
    arrays, `x[rows, cols]` gathers one element per row, as cross-entropy does to pick the
    log-probability of each target class.
    """

    returns_view = True

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, index: object) -> np.ndarray:
        ctx.index, ctx.shape = index, x.shape
        return x[index]

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        dx = np.zeros(ctx.shape, dtype=g.dtype)
        np.add.at(dx, ctx.index, g)
        return dx
