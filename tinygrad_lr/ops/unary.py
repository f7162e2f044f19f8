"""Elementwise ops of one input that a model is built from: neg, exp, log, relu, tanh, sigmoid,
sqrt, abs, clamp, clone, cast."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Op
from ..autograd.xp import sigmoid as sigmoid_values


class Neg(Op):
    """z = −x;  dx = −g"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return -x

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return -g


class Exp(Op):
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


class Log(Op):
    """z = ln x;  dx = g / x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g / x


class ReLU(Op):
    """z = max(x, 0);  dx = g where z > 0, else 0 (PyTorch's choice at x = 0)"""

    torch_name = "ReluBackward0"  # what PyTorch prints as grad_fn

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.maximum(x, 0)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * (z > 0)


class Tanh(Op):
    """z = tanh x;  dx = g · (1 − z²)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.tanh(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * (1 - z * z)


class Sigmoid(Op):
    """z = σ(x) = 1 / (1 + e⁻ˣ);  dx = g · z · (1 − z)

    Computed by `sigmoid_values` from e^(−|x|), so that no exp overflows.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = sigmoid_values(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * z * (1 - z)


class Sqrt(Op):
    """z = √x;  dx = g / (2z)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g / (2 * z)


class Abs(Op):
    """z = |x|;  dx = g · sign(x), with sign(0) = 0 (PyTorch's choice)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * ctx.xp.sign(x)


class Clamp(Op):
    """z = min(max(x, low), high);  dx = g where low ≤ x ≤ high, else 0 (bounds included, as in
    PyTorch). Either bound may be None."""

    torch_name = "ClampBackward1"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, low: float | None, high: float | None) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return np.clip(x, low, high)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        if ctx.low is not None:
            g = g * (x >= ctx.low)
        if ctx.high is not None:
            g = g * (x <= ctx.high)
        return g


# Trigonometric and hyperbolic functions, powers and logarithms in other bases. Constants are


class Clone(Op):
    """z = a copy of x;  dx = g"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return x.copy()

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return g


class Cast(Op):
    """z = x converted to `dtype`;  dx = g converted back to x's dtype"""

    torch_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        ctx.input_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.astype(g, ctx.input_dtype)
