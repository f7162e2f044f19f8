"""`torch.nn.init`: fill a tensor in place with initial values, PyTorch's numbers bit for bit
(`orthogonal_`'s to rounding: NumPy's QR and PyTorch's round differently).

After `manual_seed(s)` here and `torch.manual_seed(s)` in PyTorch, the same calls in the same
order fill tensors with the same values: the draws are `tinygrad_lr.random`'s `init_*`
functions, which reproduce PyTorch's generator. Each function writes into the tensor's array
(allowed on a parameter, as under PyTorch's `no_grad`), counts the change in its version (a
graph that saved the old values refuses to run backward) and returns the tensor.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import random
from ..autograd import no_grad
from ..tensor import Tensor


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.array[...] = values
    tensor.version.bump()
    return tensor


def _draw(tensor: Tensor, method: str, *args: float, generator: Any) -> Tensor:
    """`tensor.uniform_(...)` or `tensor.normal_(...)`, allowed on a parameter, as PyTorch's
    init functions call them: the numbers are laid down along the tensor's memory, so a
    transposed view gets PyTorch's numbers too."""
    with no_grad():
        return getattr(tensor, method)(*args, generator=generator)


def _contiguous(tensor: Tensor, name: str) -> None:
    """Refuse a view for an init that draws the whole tensor more than once (its redraws and
    zeroed places would have to follow the view's memory): say so instead of differing."""
    if not tensor.array.flags.c_contiguous:
        raise NotImplementedError(
            f"{name} on a non-contiguous tensor (shape {tuple(tensor.shape)}) is not "
            "reproduced: fill a contiguous tensor and copy it in"
        )


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain the init functions multiply by for a layer followed by `nonlinearity`: 1 for
    linear and sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu."""
    return random.calculate_gain(nonlinearity, param)


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: random.Generator | None = None
) -> Tensor:
    """Fill with values from U(a, b)."""
    return _draw(tensor, "uniform_", a, b, generator=generator)


def normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    generator: random.Generator | None = None,
) -> Tensor:
    """Fill with values from N(mean, std²)."""
    return _draw(tensor, "normal_", mean, std, generator=generator)


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: random.Generator | None = None,
) -> Tensor:
    """Fill with values from N(mean, std²) restricted to [a, b]: redrawn until they fall
    inside, or, when [a, b] holds at most 30% of the normal, drawn from U(a, b) and accepted
    with probability proportional to the normal's density (see `random.init_trunc_normal`).
    A non-contiguous view is refused (NotImplementedError) rather than filled differently."""
    _contiguous(tensor, "trunc_normal_")
    values = random.init_trunc_normal(tensor.shape, mean, std, a, b, tensor.dtype, generator)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val` (draws nothing)."""
    return _fill(tensor, random.init_constant(tensor.shape, val, tensor.dtype))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (draws nothing)."""
    return constant_(tensor, 0.0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1 (draws nothing)."""
    return constant_(tensor, 1.0)


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-d tensor with the identity matrix: a `Linear` weight that passes as many inputs
    through as it can (draws nothing)."""
    return _fill(tensor, random.init_eye(tensor.shape, tensor.dtype))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-d convolution weight with Dirac deltas: a 1 at the kernel's centre
    for output channel g·(out / groups) + d and input channel d, so each group passes as many
    channels through as it can (draws nothing)."""
    return _fill(tensor, random.init_dirac(tensor.shape, groups, tensor.dtype))


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: random.Generator | None = None
) -> Tensor:
    """Glorot: U(−a, a) with a = gain · √(6 / (fan_in + fan_out)), so the variance of the
    activations stays about the same forward and backward. Needs at least 2 dims."""
    bound = random.xavier_bound(tensor.shape, gain)
    return _draw(tensor, "uniform_", -bound, bound, generator=generator)


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: random.Generator | None = None
) -> Tensor:
    """Glorot: N(0, std²) with std = gain · √(2 / (fan_in + fan_out)). Needs at least 2 dims."""
    return _draw(tensor, "normal_", 0.0, random.xavier_std(tensor.shape, gain), generator=generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: random.Generator | None = None,
) -> Tensor:
    """He: U(−bound, bound), bound = gain · √(3 / fan), gain = `calculate_gain(nonlinearity,
    a)`, fan = fan_in (the default) or fan_out as `mode` says. Needs at least 2 dims; an empty
    tensor is left as it is, with PyTorch's warning."""
    bound = random.kaiming_bound(tensor.shape, a, mode, nonlinearity)
    if bound is None:  # no elements: nothing to draw
        return tensor
    return _draw(tensor, "uniform_", -bound, bound, generator=generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: random.Generator | None = None,
) -> Tensor:
    """He: N(0, std²), std = gain / √fan (see `kaiming_uniform_`)."""
    std = random.kaiming_std(tensor.shape, a, mode, nonlinearity)
    if std is None:  # no elements: nothing to draw
        return tensor
    return _draw(tensor, "normal_", 0.0, std, generator=generator)


def orthogonal_(
    tensor: Tensor, gain: float = 1.0, generator: random.Generator | None = None
) -> Tensor:
    """Fill with gain times a (semi-)orthogonal matrix: the Q of a QR factorisation of a
    N(0, 1) matrix, rows the first dim and columns the others flattened. Needs at least 2 dims;
    an empty tensor is left as it is. Agrees with PyTorch to rounding, not bit for bit (the
    two QRs round differently); the random stream stays PyTorch's exactly."""
    return _fill(tensor, random.init_orthogonal(tensor.shape, gain, tensor.dtype, generator))


def sparse_(
    tensor: Tensor,
    sparsity: float,
    std: float = 0.01,
    generator: random.Generator | None = None,
) -> Tensor:
    """Fill a 2-d tensor from N(0, std²), then zero ⌈sparsity · rows⌉ random entries in each
    column. As in PyTorch, those positions come from the default generator even when
    `generator` is given. A non-contiguous view is refused (NotImplementedError)."""
    _contiguous(tensor, "sparse_")
    values = random.init_sparse(tensor.shape, sparsity, std, tensor.dtype, generator)
    return _fill(tensor, values)


def _deprecated(function: Any, old: str) -> Any:
    """PyTorch's old names without the trailing underscore, which it still accepts with a
    warning (Made With ML's notebooks use `init.xavier_normal`)."""

    def alias(*args: Any, **kwargs: Any) -> Tensor:
        warnings.warn(
            f"nn.init.{old} is now deprecated in favor of nn.init.{function.__name__}.",
            FutureWarning,
            stacklevel=2,
        )
        return function(*args, **kwargs)

    alias.__name__ = old
    return alias


uniform = _deprecated(uniform_, "uniform")
normal = _deprecated(normal_, "normal")
constant = _deprecated(constant_, "constant")
eye = _deprecated(eye_, "eye")
dirac = _deprecated(dirac_, "dirac")
xavier_uniform = _deprecated(xavier_uniform_, "xavier_uniform")
xavier_normal = _deprecated(xavier_normal_, "xavier_normal")
kaiming_uniform = _deprecated(kaiming_uniform_, "kaiming_uniform")
kaiming_normal = _deprecated(kaiming_normal_, "kaiming_normal")
orthogonal = _deprecated(orthogonal_, "orthogonal")
sparse = _deprecated(sparse_, "sparse")

__all__ = [
    "calculate_gain",
    "constant",
    "constant_",
    "dirac",
    "dirac_",
    "eye",
    "eye_",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "normal",
    "normal_",
    "ones_",
    "orthogonal",
    "orthogonal_",
    "sparse",
    "sparse_",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
    "zeros_",
]
