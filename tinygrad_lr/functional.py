"""Functions a model is made of, composed from primitive ops so autograd derives their gradients.

Import as `import tinygrad_lr.nn.functional as F`, like `torch.nn.functional`;
`tinygrad_lr.functional` is the same module under a shorter name.

Nothing here has a backward rule of its own. `relu`, `sigmoid`, `tanh` and the other
activations (`gelu`, `silu`, `elu`, ...) are primitives from `ops.py` (`relu6` is `hardtanh`);
`linear` is a matmul and an add; `cross_entropy` a max, sub, exp, sum, log, index, neg (mul)
and div; `mse_loss` a sub, a pow and a mean; and `backward()` applies each primitive's
rule in turn. The modules of `nn` call these. `linear` and `cross_entropy` as single graph nodes
with a hand-written closed-form backward, faster, are in `fused.py`: a second path you choose
explicitly, never the one called "autograd".
"""

from __future__ import annotations

import operator
import warnings
from typing import Any

import numpy as np

from . import ops, random
from .autograd import Op, is_grad_enabled, labelled, no_grad
from .dtypes import is_floating, to_numpy
from .errors import DtypeError, GraphError, ShapeError
from .tensor import Tensor, tensor

REDUCTIONS = ("mean", "sum", "none")


# --- activations -----------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0), the `ReLU` primitive: dx = g where x > 0, else 0."""
    if inplace:
        return _in_place(input, np.maximum(input.array, 0), "relu")
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e⁻ˣ), the `Sigmoid` primitive: dx = g · σ(x) · (1 − σ(x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh x, the `Tanh` primitive: dx = g · (1 − tanh² x)."""
    return input.tanh()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x > 0, else negative_slope·x: the `LeakyReLU` primitive."""
    return _activation(input, ops.LeakyReLU, "leaky_relu", inplace, negative_slope=negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else α(eˣ − 1): the `ELU` primitive."""
    return _activation(input, ops.ELU, "elu", inplace, alpha=alpha)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF (exact, through erf), or with `approximate="tanh"`
    its tanh approximation: the `GELU` primitive."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _activation(input, ops.GELU, "gelu", False, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x·σ(x) (swish): the `SiLU` primitive."""
    return _activation(input, ops.SiLU, "silu", inplace)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x·tanh(softplus x): the `Mish` primitive."""
    return _activation(input, ops.Mish, "mish", inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """ln(1 + e^(βx)) / β, a smooth relu; x itself where βx > threshold: the `Softplus`
    primitive."""
    return _activation(input, ops.Softplus, "softplus", False, beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """ln σ(x), computed without taking the log of an underflowed σ: the `LogSigmoid`
    primitive."""
    return _activation(input, ops.LogSigmoid, "logsigmoid", False)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """x limited to [min_val, max_val], gradient 0 at and beyond the bounds: the `Hardtanh`
    primitive. Integer inputs stay integers (the bounds truncated to integers), as in PyTorch."""
    if min_val > max_val:
        raise ValueError(
            f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})"
        )
    if input.dtype == np.bool_:
        raise DtypeError("hardtanh: bool inputs are not supported (nor in PyTorch)")
    if not is_floating(input.dtype):
        min_val, max_val = int(min_val), int(max_val)
    return _activation(input, ops.Hardtanh, "hardtanh", inplace, low=min_val, high=max_val)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6): `hardtanh(x, 0, 6)`, as PyTorch composes it (HardtanhBackward0)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _activation(input: Tensor, op: type[Op], name: str, inplace: bool, **params: Any) -> Tensor:
    """Apply `op`; as PyTorch, only to floating-point inputs (hardtanh excepted, checked by it)."""
    if not is_floating(input.dtype) and op is not ops.Hardtanh:
        raise DtypeError(
            f"{name} is not implemented for {input.dtype} inputs (nor in PyTorch): convert "
            "first, e.g. x.float()"
        )
    if inplace:
        with no_grad():
            values = op.apply(input, **params).array
        return _in_place(input, values, name)
    return op.apply(input, **params)


def softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m), with m = max x along `dim`.

    Subtracting m changes nothing mathematically (it cancels) but keeps exp from overflowing.
    m is detached: its gradient would be exactly zero for the same reason. (`Tensor.softmax`.)
    Without `dim`, PyTorch's old rule picks one (0 for 0-, 1- and 3-d inputs, else 1), with
    PyTorch's warning: pass `dim`.
    """
    return x.softmax(_softmax_dim(x, dim, "softmax"))


def log_softmax(x: Tensor, dim: int | None = None) -> Tensor:
    """log softmax(x)ᵢ = (xᵢ − m) − log Σⱼ exp(xⱼ − m), with m = max x along `dim`.

    Computed this way it stays finite for any finite logits (±1e4 included), where
    `softmax(x).log()` would take the log of an underflowed 0. (`Tensor.log_softmax`.)
    """
    return x.log_softmax(_softmax_dim(x, dim, "log_softmax"))


def _softmax_dim(x: Tensor, dim: int | None, name: str) -> int:
    if dim is not None:
        return dim
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to "
        "include dim=X as an argument.",
        stacklevel=3,
    )
    return 0 if x.ndim in (0, 1, 3) else 1


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """y = x · m in training, m = bernoulli(1 − p) / (1 − p): each element is zeroed with
    probability p and the others scaled so that the expected value stays x. dx = g · m, from
    the `Mul` primitive.

    m is `random.dropout_noise`, drawn from the default generator: after `manual_seed(s)` it is
    PyTorch's mask after `torch.manual_seed(s)`. Outside training, with p = 0 or for an empty
    input, `input` itself is returned and nothing is drawn, as in PyTorch.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0 or input.numel() == 0:
        return input
    if not is_floating(input.dtype):
        raise DtypeError(
            f"dropout needs a floating-point input, got {input.dtype}: convert it with .float()"
        )
    mask = random.dropout_noise(input.shape, p, input.dtype)
    if inplace:
        return _in_place(input, input.array * mask, "dropout")
    return input * Tensor.wrap(mask)


def _in_place(x: Tensor, values: np.ndarray, op: str) -> Tensor:
    """`inplace=True`: write `values` into x. The engine records no in-place op, so this is
    only for a tensor no gradient flows through (PyTorch would record it)."""
    if x.requires_grad and is_grad_enabled():
        raise GraphError(
            f"{op}(inplace=True) on a tensor that requires grad: tinygrad_lr does not record "
            "in-place ops. Use inplace=False (the default), or run it under no_grad()."
        )
    x.array[...] = values
    x.version.bump()
    return x


# --- linear ----------------------------------------------------------------------------------
def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, with PyTorch's weight layout (out_features, in_features).

    Three primitive ops, `Permute` (Wᵀ), `MatMul` and `Add`, so autograd derives dx = g W,
    dW = gᵀ x and db = Σ g (summed over the rows by undoing the bias's broadcast). The fused
    single-node version is `fused.linear`.
    """
    check_linear(x, weight)
    y = x @ weight.T
    if bias is None:
        return y
    return labelled(y + bias, "AddmmBackward0") if x.ndim == 2 else y + bias


def check_linear(x: Tensor, weight: Tensor) -> None:
    """Raise a ShapeError naming both shapes when x's last dim is not the weight's in_features."""
    xd, wd = x.array, weight.array
    if xd.shape[-1:] != wd.shape[-1:]:
        raise ShapeError(
            f"linear: input of shape {tuple(xd.shape)} has {xd.shape[-1] if xd.ndim else 0} "
            "features "
            f"but the weight of shape {tuple(wd.shape)} expects {wd.shape[-1]} (in_features)"
        )


# --- classification losses -------------------------------------------------------------------
def nll_loss(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood: loss_n = −w[y_n] · input[n, y_n], `input` holding log-probabilities.

    `target` holds class indices (a Tensor or array of ints, shape (N,)); `weight`, if given, one
    value per class. As in PyTorch, `reduction="mean"` with weights is the weighted mean
    Σ loss_n / Σ w[y_n], not a division by N.
    """
    check_reduction(reduction)
    if input.ndim not in (1, 2):
        raise ShapeError(
            f"nll_loss expects input of shape (N, C) or (C,), got {tuple(input.shape)}; move "
            "the class "
            "dim last and flatten the others first"
        )
    y = class_indices(target, input)
    # input[rows, y], the indices already checked: the Index op itself, not `input[...]` again
    index = (np.arange(len(y)), y) if input.ndim == 2 else y
    picked = ops.Index.apply(input, index=index)
    w = class_weights(weight, input)
    if w is None:
        losses = -picked
        total_weight: Tensor | float = y.size
    elif w.requires_grad:  # weights being learned: their gradient flows back through w[y]
        w_y = w[y]
        losses, total_weight = -picked * w_y, w_y.sum()
    else:  # weights as data, the usual case: picked and summed on arrays, nothing to record
        w_y = w.array[y]
        losses, total_weight = -picked * Tensor.wrap(w_y), float(w_y.sum())
    if reduction == "none":
        return losses
    if reduction == "sum":
        return labelled(losses.sum(), "NllLossBackward0")
    return labelled(losses.sum() / total_weight, "NllLossBackward0")


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Softmax cross-entropy from logits: `nll_loss(log_softmax(input, dim=-1), target, ...)`.

    Composed of primitives, so autograd derives its gradient. On paper, with p = softmax(z),
    d log pᵧ / dzⱼ = [j = y] − pⱼ, so for the weighted mean L = −Σₙ w[yₙ] log pₙ,yₙ / Σₙ w[yₙ]:

        dL/dzₙ = w[yₙ] (pₙ − onehot(yₙ)) / Σₖ w[yₖ]      (w = 1: (pₙ − onehot(yₙ)) / N)

    That closed form is the backward rule of the fused version, `fused.cross_entropy`; here it
    emerges from the chain rule through log_softmax's sub, exp, sum and log, the gather, the neg
    and the division.
    """
    return nll_loss(log_softmax(input, dim=-1), target, weight=weight, reduction=reduction)


def class_weights(weight: Any, input: Tensor) -> Tensor | None:
    """`weight` as a tensor of the logits' dtype, one value per class (checked), or None.
    Shared by `nll_loss` and `fused.cross_entropy`."""
    if weight is None:
        return None
    w = weight if isinstance(weight, Tensor) else tensor(weight)
    if w.dtype != input.dtype:
        w = w.to(input.dtype)  # class weights follow the logits' precision
    if w.shape != input.shape[-1:]:
        raise ShapeError(
            f"weight must hold one value per class, shape ({input.shape[-1]},); got "
            f"{tuple(w.shape)}"
        )
    return w


def class_indices(target: Any, input: Tensor) -> np.ndarray:
    """`target` as an int array of class indices, checked against `input`'s shape. Shared by
    `nll_loss` and `fused.cross_entropy`."""
    y = np.asarray(target.array if isinstance(target, Tensor) else target)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"target must hold integer class indices, got dtype {y.dtype}; (class probabilities "
            "as targets are not supported)"
        )
    expected = input.shape[:1] if input.ndim == 2 else ()
    if y.shape != expected:
        raise ShapeError(
            f"target of shape {tuple(y.shape)} does not match input of shape "
            f"{tuple(input.shape)}: expected "
            f"one class index per row, shape {expected}"
        )
    num_classes = input.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = (y < 0) | (y >= num_classes)
        raise IndexError(
            f"target {int(y[bad].flat[0])} is out of bounds for {num_classes} classes "
            f"(input shape {tuple(input.shape)})"
        )
    return y


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices of shape (*) to an int64 tensor of shape (*, num_classes) holding a 1 at
    each index and 0 elsewhere. With num_classes = −1 it is the largest index + 1.

    As in PyTorch, the indices must be int64 (convert with `.long()`); an index outside
    [0, num_classes) is an error. The result holds integers: nothing to differentiate.
    """
    indices = _as_tensor(tensor)
    num_classes = operator.index(num_classes)
    if indices.dtype != np.int64:
        raise DtypeError(
            f"one_hot needs int64 class indices (PyTorch's LongTensor), got {indices.dtype}: "
            "convert them with .long()"
        )
    y = indices.array
    if y.size == 0:
        if num_classes <= 0:
            raise RuntimeError(
                "one_hot cannot infer the number of classes from an empty tensor: pass num_classes"
            )
        return Tensor.wrap(np.zeros((*y.shape, num_classes), np.int64))
    if y.min() < 0:
        raise RuntimeError(f"one_hot: class values must be non-negative, got {y.min()}")
    if num_classes == -1:
        num_classes = int(y.max()) + 1
    elif y.max() >= num_classes:
        raise RuntimeError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, got {y.max()}"
        )
    return Tensor.wrap((y[..., None] == np.arange(num_classes)).astype(np.int64))


# --- regression and binary losses ------------------------------------------------------------
def mse_loss(input: Tensor, target: Any, reduction: str = "mean", weight: Any = None) -> Tensor:
    """Mean squared error: loss = (x − y)², then reduced; dx = 2 (x − y) · g (and −that for y).

    As in PyTorch: a target of another shape is broadcast against the input, with a warning
    (it is usually a mistake: (N, 1) against (N,) gives N × N losses). With `weight` (the
    input's shape), each squared error is multiplied by it, and the mean is Σ w·(x − y)² / Σ w.
    """
    check_reduction(reduction)
    target = _as_tensor(target)
    if target.shape != input.shape:
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to "
            "broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    squared = (input - target) ** 2
    if weight is None:
        return _reduce(squared, reduction)
    w = _as_tensor(weight)
    if w.shape != input.shape:
        raise ShapeError(
            f"mse_loss: weight of shape {tuple(w.shape)} must have the input's shape "
            f"{tuple(input.shape)}"
        )
    weighted = squared * w
    return weighted.sum() / w.sum() if reduction == "mean" else _reduce(weighted, reduction)


def binary_cross_entropy(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """loss = −w · (y · log x + (1 − y) · log(1 − x)), x a probability in [0, 1].

    As in PyTorch, each log is clamped at −100, so x = 0 or 1 gives a finite loss (100 when
    wrong). The gradient is autograd's, through that clamp: dx = g · w · (x − y) / (x (1 − x)),
    where a term whose log is clamped contributes nothing. PyTorch's hand-written rule divides
    by max(x (1 − x), 1e-12) instead, so the two differ where x is within about 1e-12 of 0 or 1:
    at x = y = 0 this gives g · w (the limit), PyTorch 0; at x = 0, y = 1 this gives 0, PyTorch
    −1e12 · g · w.

    Input and target must have the same shape and dtype and values in [0, 1] (checked, as in
    PyTorch); `weight` must broadcast to that shape. For logits, use
    `binary_cross_entropy_with_logits`, which is stable where this one saturates.
    """
    check_reduction(reduction)
    target = _as_tensor(target)
    if target.shape != input.shape:
        raise ShapeError(
            f"binary_cross_entropy: target of shape {tuple(target.shape)} differs from input "
            "of shape "
            f"{tuple(input.shape)}; give them the same shape (PyTorch refuses this too)"
        )
    if not is_floating(input.dtype) or target.dtype != input.dtype:
        raise DtypeError(
            f"binary_cross_entropy needs input and target of the same floating dtype, got "
            f"{input.dtype} and {target.dtype}: convert the target with .to(input.dtype)"
        )
    for name, values in (("input", input.array), ("target", target.array)):
        outside = ~((values >= 0) & (values <= 1))  # NaN is outside too
        if outside.any():
            raise RuntimeError(
                f"binary_cross_entropy: all elements of {name} should be between 0 and 1, got "
                f"{values[outside].flat[0]}"
                + (" (logits? use binary_cross_entropy_with_logits)" if name == "input" else "")
            )
    losses = -(target * _clamped_log(input) + (1 - target) * _clamped_log(1 - input))
    if weight is not None:
        losses = losses * _weight_for(weight, input, input.dtype, "weight")
    return _reduce(losses, reduction)


def _clamped_log(p: Tensor) -> Tensor:
    """max(log p, −100). The log's argument is first raised from 0 to the smallest positive
    number, which changes no other value but keeps the gradient at p = 0 a 0 rather than 0/0."""
    return p.clamp(min=np.finfo(p.dtype).smallest_subnormal).log().clamp(min=-100)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """Binary cross-entropy of σ(x), from the logit x, never computing σ(x) itself:

        loss = w · ((1 − y) · x + l · log(1 + e⁻ˣ)),   l = 1 + (pos_weight − 1) · y

    which for l = 1 is max(x, 0) − x·y + log(1 + e^(−|x|)). The softplus log(1 + e⁻ˣ) is
    computed as m + log(e⁻ᵐ + e^(−x−m)) with m = max(−x, 0) detached, so no exponent is positive
    (no overflow) and, since m cancels, autograd's dx = g · w · (l · (σ(x) − 1) + 1 − y) is
    exact everywhere: written with max and |x|, their kinks at x = 0 would give −y there
    instead of ½ − y.

    As in PyTorch: target must have the input's shape (its values are not checked), `weight`
    and `pos_weight` (one per class, the last dim) must broadcast to it, and the loss is
    computed in the target's dtype.
    """
    check_reduction(reduction)
    target = _as_tensor(target)
    if target.shape != input.shape:
        raise ShapeError(
            f"binary_cross_entropy_with_logits: target of shape {tuple(target.shape)} must "
            "have the "
            f"input's shape {tuple(input.shape)}"
        )
    if not is_floating(target.dtype):
        raise DtypeError(
            f"binary_cross_entropy_with_logits needs a floating-point target, got {target.dtype}:"
            " convert it with .float()"
        )
    x = input.to(target.dtype)
    softplus = _softplus(-x)  # −log σ(x)
    if pos_weight is not None:
        pos = _weight_for(pos_weight, input, target.dtype, "pos_weight")
        softplus = (1 + (pos - 1) * target) * softplus
    losses = (1 - target) * x + softplus
    if weight is not None:
        losses = losses * _weight_for(weight, input, target.dtype, "weight")
    return _reduce(losses, reduction)


def _softplus(z: Tensor) -> Tensor:
    """log(1 + eᶻ) = m + log(e⁻ᵐ + e^(z − m)) with m = max(z, 0), detached since it cancels."""
    m = z.relu().detach()
    return m + ((-m).exp() + (z - m).exp()).log()


# --- shared checks ---------------------------------------------------------------------------
def check_reduction(reduction: str) -> None:
    """Raise a ValueError unless `reduction` is "mean", "sum" or "none"."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def _as_tensor(value: Any) -> Tensor:
    """A Tensor as it is; anything else (array, list, PyTorch tensor) as a new tensor."""
    return value if isinstance(value, Tensor) else tensor(to_numpy(value))


def _weight_for(weight: Any, input: Tensor, dtype: np.dtype, name: str) -> Tensor:
    """`weight` in `dtype`, checked to broadcast to the input's shape."""
    w = _as_tensor(weight).to(dtype)
    try:
        fits = np.broadcast_shapes(w.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{name} of shape {tuple(w.shape)} does not broadcast to the input's shape "
            f"{tuple(input.shape)}"
        )
    return w
