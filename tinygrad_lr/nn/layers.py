"""Layers: `Linear`, the activations (`ReLU`, `Tanh`, `Sigmoid`, `Softmax`, `LeakyReLU`, `ELU`,
`GELU`, `SiLU`, `Mish`, `Softplus`, `Hardtanh`, `ReLU6`, `LogSigmoid`), and `Dropout`.

Each `forward` is one call into `functional`, so autograd derives the gradients; each prints
itself as PyTorch does (`Linear(in_features=2, out_features=2, bias=True)`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
from .. import random
from ..errors import ShapeError
from ..tensor import Tensor
from .module import Module, Parameter


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features), as `torch.nn.Linear`.

    Initialised exactly as PyTorch: W from `kaiming_uniform_(a=√5)` and b from U(±1/√in), which
    both come to U(−1/√in_features, 1/√in_features), drawn from the default generator, so that
    `manual_seed(s); Linear(i, o)` holds the numbers of `torch.manual_seed(s);
    torch.nn.Linear(i, o)` (see `random.linear_init`). `generator` may be a
    `tinygrad_lr.random.Generator` (the same numbers as a torch.Generator seeded alike), or a
    NumPy `Generator`, drawing the same bounds from NumPy's own stream.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = np.float32,
        generator: random.Generator | np.random.Generator | None = None,
    ) -> None:
        if in_features < 0 or out_features < 0:
            raise ShapeError(
                f"Linear needs sizes of at least 0, got in_features={in_features}, "
                f"out_features={out_features}"
            )
        self.in_features, self.out_features = in_features, out_features
        dtype = np.float32 if dtype is None else dtype
        if isinstance(generator, np.random.Generator):
            weight, bias_values = _numpy_init(generator, in_features, out_features, bias, dtype)
        else:
            weight, bias_values = random.linear_init(
                in_features, out_features, bias, dtype, generator
            )
        self.weight = Parameter(weight)
        self.bias = None if bias_values is None else Parameter(bias_values)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _numpy_init(
    rng: np.random.Generator, in_features: int, out_features: int, bias: bool, dtype: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """PyTorch's bounds, U(±1/√in_features), drawn from a NumPy generator: weight, then bias."""
    bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
    weight = rng.uniform(-bound, bound, (out_features, in_features)).astype(dtype)
    if not bias:
        return weight, None
    return weight, rng.uniform(-bound, bound, out_features).astype(dtype)


class ReLU(Module):
    """max(x, 0) elementwise (`F.relu`)."""

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x, inplace=self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Module):
    """tanh x elementwise (`F.tanh`)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """σ(x) = 1 / (1 + e⁻ˣ) elementwise (`F.sigmoid`)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


def _inplace_repr(inplace: bool) -> str:
    return ", inplace=True" if inplace else ""


class LeakyReLU(Module):
    """x where x > 0, else negative_slope·x (`F.leaky_relu`)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_repr(self.inplace)}"


class ELU(Module):
    """x where x > 0, else α(eˣ − 1) (`F.elu`)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_repr(self.inplace)}"


class GELU(Module):
    """x·Φ(x), exact or with `approximate="tanh"` (`F.gelu`)."""

    def __init__(self, approximate: str = "none") -> None:
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x·σ(x) (`F.silu`)."""

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Mish(Module):
    """x·tanh(softplus x) (`F.mish`)."""

    def __init__(self, inplace: bool = False) -> None:
        self.inplace = inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.mish(x, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Softplus(Module):
    """ln(1 + e^(βx)) / β, x itself past the threshold (`F.softplus`)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x limited to [min_val, max_val] (`F.hardtanh`)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> None:
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) is greater than max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace_repr(self.inplace)}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6) (`F.relu6`): a `Hardtanh` with bounds 0 and 6, as in PyTorch."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LogSigmoid(Module):
    """ln σ(x) (`F.logsigmoid`)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.logsigmoid(x)


class Softmax(Module):
    """softmax along `dim` (`F.softmax`): each slice along `dim` becomes probabilities."""

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Dropout(Module):
    """In training mode, `F.dropout(x, p)`: zero each element with probability p, scale the
    rest by 1/(1 − p). In eval mode (`model.eval()`), x unchanged."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
