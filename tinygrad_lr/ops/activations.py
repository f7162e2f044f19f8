"""Activation functions beyond relu, tanh and sigmoid: leaky relu, elu, gelu, silu, softplus,
hardtanh, log-sigmoid, mish."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Context, Op
from ..autograd.xp import normal_cdf, sigmoid


class LeakyReLU(Op):
    """z = x where x > 0, else s·x (s the `negative_slope`);  dx = g where x > 0, else g·s
    (s at x = 0, PyTorch's choice)"""

    torch_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, negative_slope: float) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.slope = negative_slope
        return np.where(x > 0, x, x * negative_slope)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return ctx.xp.where(x > 0, g, g * ctx.slope)


class ELU(Op):
    """z = x where x > 0, else α(eˣ − 1);  dx = g where x > 0, else g·α·eˣ = g·(z + α)
    (α at x = 0, as PyTorch)"""

    torch_name = "EluBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, alpha: float) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        return xp.where(x > 0, g, g * ctx.alpha * xp.exp(xp.minimum(x, 0)))


class GELU(Op):
    """z = x·Φ(x), Φ the standard normal CDF;  dx = g·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2) / √(2π)

    With `approximate="tanh"`, Φ(x) ≈ (1 + tanh u) / 2 with u = √(2/π)·(x + 0.044715x³), and
    dx = g·((1 + tanh u) / 2 + x·(1 − tanh² u)·u′ / 2), u′ = √(2/π)·(1 + 3·0.044715x²).
    """

    torch_name = "GeluBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, approximate: str) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            u = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
            return 0.5 * x * (1 + np.tanh(u))
        return x * normal_cdf(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        if ctx.approximate == "tanh":
            c = math.sqrt(2 / math.pi)
            t = xp.tanh(c * (x + 0.044715 * x**3))
            du = c * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = xp.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return g * (xp.normal_cdf(x) + x * pdf)


class SiLU(Op):
    """z = x·σ(x) (also called swish);  dx = g·σ(x)·(1 + x·(1 − σ(x)))"""

    torch_name = "SiluBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x * sigmoid(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        s = ctx.xp.sigmoid(x)
        return g * s * (1 + x * (1 - s))


class Softplus(Op):
    """z = ln(1 + e^(βx)) / β, or x where βx > `threshold`;  dx = g·σ(βx), or g past the threshold

    Past the threshold ln(1 + e^(βx)) / β equals x to float precision, as PyTorch reasons.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.beta, ctx.threshold = beta, threshold
        bx = x * beta
        return np.where(bx > threshold, x, np.logaddexp(0, bx) / beta)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        bx = x * ctx.beta
        return ctx.xp.where(bx > ctx.threshold, g, g * ctx.xp.sigmoid(bx))


class Hardtanh(Op):
    """z = min(max(x, low), high);  dx = g where low < x < high, else 0

    Unlike `clamp`, the bounds themselves get 0, as in PyTorch's `hardtanh` (and `relu6`).
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, low: float, high: float) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.low, ctx.high = low, high
        return np.clip(x, low, high).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * ((x > ctx.low) & (x < ctx.high))


class LogSigmoid(Op):
    """z = ln σ(x) = min(x, 0) − ln(1 + e^(−|x|));  dx = g·(1 − σ(x)) = g·σ(−x)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * ctx.xp.sigmoid(-x)


class Mish(Op):
    """z = x·tanh(softplus x);  dx = g·(t + x·σ(x)·(1 − t²)), t = tanh(softplus x)
    (softplus′ = σ)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x * np.tanh(np.logaddexp(0, x))

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        xp = ctx.xp
        t = xp.tanh(xp.softplus(x))
        return g * (t + x * xp.sigmoid(x) * (1 - t * t))
