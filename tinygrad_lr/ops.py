"""Every primitive op of tinygrad_lr, its forward and its backward side by side.

Each op is a `Op`: `forward` computes on NumPy arrays, `backward` takes `g`, the gradient of
the loss with respect to the op's output, and returns the gradient with respect to each input
(the chain rule: dL/dx = dL/dz · dz/dx). The docstring's first line is the math.

Backward rules may return gradients in the broadcast shape of the output; the engine sums them
back to each input's shape in one place (`autograd.unbroadcast`). A rule returns `None` for an
input that needs no gradient (`ctx.needs_input_grad`), so no work is spent on it; and, as in
PyTorch, an op saves an input only when a rule that will run needs it (x·y saves y only when x
needs a gradient): memory is not spent on it, and changing that input in place afterwards is
harmless, since no gradient is computed from it.

Groups, top to bottom: elementwise binary, elementwise unary (functions, step functions,
activations), reductions (and the running sum, cumsum), movement, matmul, indexing. Everything
else (mean, softmax, cross-entropy, linear, square, relu6, ...) is built from these.
"""

from __future__ import annotations

import math

import numpy as np

from .autograd import Context, Op


# --- elementwise binary ----------------------------------------------------------------------
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
        dx = dy = None
        with np.errstate(divide="ignore", invalid="ignore"):  # the masked entries may be inf
            if ctx.needs_input_grad[0]:
                dx = np.where(y == 0, 0.0, g * y * x ** (y - 1))
            if ctx.needs_input_grad[1]:
                dy = np.where((x == 0) & (y >= 0), 0.0, g * z * np.log(x))
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
        share = np.where(x == y, 0.5, 1.0)  # a tie sends half the gradient each way
        return g * share * (x >= y), g * share * (y >= x)


class Minimum(Op):
    """z = min(x, y) elementwise;  dx = g where x < y,  dy = g where y < x, and g/2 each at ties"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x, y)
        return np.minimum(x, y)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, y = ctx.saved_tensors
        share = np.where(x == y, 0.5, 1.0)
        return g * share * (x <= y), g * share * (y <= x)


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
        c = ctx.condition
        dx, dy = ctx.needs_input_grad
        zero = np.zeros((), g.dtype)
        return (np.where(c, g, zero) if dx else None), (np.where(c, zero, g) if dy else None)


# --- elementwise unary -----------------------------------------------------------------------
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


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x), from e^(−|x|) so that no exp overflows: for x < 0, σ(x) = eˣ / (1 + eˣ)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class Sigmoid(Op):
    """z = σ(x) = 1 / (1 + e⁻ˣ);  dx = g · z · (1 − z)

    Computed by `_sigmoid` from e^(−|x|), so that no exp overflows.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        z = _sigmoid(x)
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
        return g * np.sign(x)


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
        inside = np.ones(x.shape, dtype=bool)
        if ctx.low is not None:
            inside &= x >= ctx.low
        if ctx.high is not None:
            inside &= x <= ctx.high
        return g * inside


# Trigonometric and hyperbolic functions, powers and logarithms in other bases. Constants are
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
        return g * np.cos(x)


class Cos(Op):
    """z = cos x;  dx = −g · sin x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return -g * np.sin(x)


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
        return g / np.sqrt(1 - x * x)


class Acos(Op):
    """z = arccos x;  dx = −g / √(1 − x²)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return -g / np.sqrt(1 - x * x)


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
        return g * np.cosh(x)


class Cosh(Op):
    """z = cosh x = (eˣ + e⁻ˣ) / 2;  dx = g · sinh x"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        return g * np.sinh(x)


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
        return np.zeros_like(g)


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
        return np.where(x > 0, g, g * ctx.slope)


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
        return np.where(x > 0, g, g * ctx.alpha * np.exp(np.minimum(x, 0)))


_erf = np.vectorize(math.erf, otypes=[np.float64])  # NumPy has no erf; math.erf, elementwise


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) = (1 + erf(x/√2)) / 2, in x's dtype as PyTorch computes it (so float32 results
    agree with PyTorch's, rounding in the far left tail included)."""
    return 0.5 * (1 + _erf(x / math.sqrt(2)).astype(x.dtype))


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
        return x * _normal_cdf(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            c = math.sqrt(2 / math.pi)
            t = np.tanh(c * (x + 0.044715 * x**3))
            du = c * (1 + 3 * 0.044715 * x * x)
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return g * (_normal_cdf(x) + x * pdf)


class SiLU(Op):
    """z = x·σ(x) (also called swish);  dx = g·σ(x)·(1 + x·(1 − σ(x)))"""

    torch_name = "SiluBackward0"

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(x)
        return x * _sigmoid(x)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        s = _sigmoid(x)
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
        return np.where(bx > ctx.threshold, g, g * _sigmoid(bx))


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
        return g * _sigmoid(-x)


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
        t = np.tanh(np.logaddexp(0, x))
        return g * (t + x * _sigmoid(x) * (1 - t * t))


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
        return g.astype(ctx.input_dtype)


# --- reductions ------------------------------------------------------------------------------
def _expand_reduced(g: np.ndarray, ctx: Context) -> np.ndarray:
    """Give `g` back the reduced dims as size 1, so that it broadcasts against the input."""
    return g if ctx.keepdim else np.expand_dims(g, ctx.axes)


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
        return x.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return np.broadcast_to(_expand_reduced(g, ctx), ctx.shape)


class Max(Op):
    """z = max over `axes` of x;  dx = g / k at each of the k elements equal to the max, else 0

    Ties share the gradient evenly, as in PyTorch's `amax` (and in `max()` without a dim, except
    that with a NaN present PyTorch's `max()` sends the gradient to the NaN, and this gives NaN).
    """

    torch_name = "AmaxBackward0"

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
    """

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
        return np.flip(np.cumsum(np.flip(g, ctx.dim), axis=ctx.dim), ctx.dim)


class Trace(Op):
    """z = Σᵢ xᵢᵢ, the sum of a matrix's diagonal;  dx = g on the diagonal, 0 elsewhere (g·I)"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ctx.shape = x.shape
        return np.asarray(np.trace(x))

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return g * np.eye(*ctx.shape, dtype=g.dtype)


# --- movement --------------------------------------------------------------------------------
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
        return np.transpose(g, np.argsort(ctx.dims))


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
        return g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))


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
        return np.flip(g, ctx.dims)


class Cat(Op):
    """z = the inputs joined along `dim`;  each input's dx = its own slice of g"""

    @staticmethod
    def forward(ctx: Context, *xs: np.ndarray, dim: int) -> np.ndarray:
        ctx.dim, ctx.sizes = dim, [x.shape[dim] for x in xs]
        return np.concatenate(xs, axis=dim)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        bounds = np.cumsum(ctx.sizes)[:-1]
        return tuple(np.split(g, bounds, axis=ctx.dim))


# --- matmul ----------------------------------------------------------------------------------
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
