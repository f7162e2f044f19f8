"""More elementwise functions: trigonometric and hyperbolic ones, exp/log variants, rsqrt,
reciprocal, and the step functions (sign, floor, ceil, trunc, round), whose gradient is zero."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Context, Op
from ..autograd.xp import erf


# Python floats (math.log(2)), so that a float32 array stays float32 under NumPy's rules.
class Sin(Op):
    """z = sin x;  dx = g · cos x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * ctx.xp.cos(x)


class Cos(Op):
    """z = cos x;  dx = −g · sin x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return -g * ctx.xp.sin(x)


class Tan(Op):
    """z = tan x;  dx = g · (1 + z²)   (1 + tan² x = 1 / cos² x)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.tan(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * (1 + z * z)


class Asin(Op):
    """z = arcsin x;  dx = g / √(1 − x²)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g / ctx.xp.sqrt(1 - x * x)


class Acos(Op):
    """z = arccos x;  dx = −g / √(1 − x²)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return -g / ctx.xp.sqrt(1 - x * x)


class Atan(Op):
    """z = arctan x;  dx = g / (1 + x²)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)


class Sinh(Op):
    """z = sinh x = (eˣ − e⁻ˣ) / 2;  dx = g · cosh x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * ctx.xp.cosh(x)


class Cosh(Op):
    """z = cosh x = (eˣ + e⁻ˣ) / 2;  dx = g · sinh x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * ctx.xp.sinh(x)


class Exp2(Op):
    """z = 2ˣ;  dx = g · z · ln 2"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.exp2(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * z * math.log(2)


class Expm1(Op):
    """z = eˣ − 1 (exact for tiny x, where exp(x) − 1 loses every digit);  dx = g · (z + 1)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = np.expm1(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return g * (z + 1)


class Log2(Op):
    """z = log₂ x;  dx = g / (x · ln 2)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g / (x * math.log(2))


class Log10(Op):
    """z = log₁₀ x;  dx = g / (x · ln 10)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g / (x * math.log(10))


class Log1p(Op):
    """z = ln(1 + x) (exact for tiny x);  dx = g / (1 + x)"""

    torch_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g / (1 + x)


class Erf(Op):
    """z = erf x = (2/√π) ∫₀ˣ e^(−t²) dt;  dx = g · (2/√π) · e^(−x²)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return erf(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * ctx.xp.exp(-x * x)


class Rsqrt(Op):
    """z = 1 / √x = x^(−1/2);  dx = −g · z³ / 2"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = 1 / np.sqrt(x)
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return -0.5 * g * z * z * z


class Reciprocal(Op):
    """z = 1 / x;  dx = −g · z²   (−1/x² written with the saved output)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = 1 / x
        ctx.save_for_backward(z)
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return -g * z * z


# Step functions: flat between their jumps, so their derivative is 0 wherever it exists, and
# PyTorch passes back 0 everywhere, at the jumps too.
class _Step(Op):
    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return ctx.xp.zeros_like(g)


class Sign(_Step):
    """z = −1, 0 or 1 as x < 0, x = 0, x > 0;  dx = 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return x.copy() if x.dtype == np.bool_ else np.sign(x)


class Floor(_Step):
    """z = ⌊x⌋, the largest integer ≤ x;  dx = 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.floor(x)


class Ceil(_Step):
    """z = ⌈x⌉, the smallest integer ≥ x;  dx = 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.ceil(x)


class Trunc(_Step):
    """z = x with its fractional part dropped (rounded towards 0);  dx = 0"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return np.trunc(x)


class Round(_Step):
    """z = x rounded to `decimals` decimal places, halves to even (2.5 → 2), as PyTorch;  dx = 0

    PyTorch names the node RoundBackward1 when `decimals` is given (another overload).
    """

    torch_name = staticmethod(lambda ctx: f"RoundBackward{int(ctx.decimals is not None)}")

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, decimals: int | None) -> np.ndarray:
        ctx.decimals = decimals
        return np.round(x, decimals or 0)


# Activations beyond ReLU, tanh and sigmoid, as `torch.nn.functional` has them.
