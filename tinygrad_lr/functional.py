"""Functions a model is made of, composed from primitive ops so autograd derives their gradients.

Import as `import tinygrad_lr.functional as F`, like `torch.nn.functional`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import fused
from .errors import ShapeError
from .tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def softmax(x: Tensor, dim: int) -> Tensor:
    """softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m), with m = max x along `dim`.

    Subtracting m changes nothing mathematically (it cancels) but keeps exp from overflowing.
    m is detached: its gradient would be exactly zero for the same reason.
    """
    e = (x - x.max(dim=dim, keepdim=True).detach()).exp()
    return e / e.sum(dim=dim, keepdim=True)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """log softmax(x)ᵢ = (xᵢ − m) − log Σⱼ exp(xⱼ − m), with m = max x along `dim`.

    Computed this way it stays finite for any finite logits (±1e4 included), where
    `softmax(x).log()` would take the log of an underflowed 0.
    """
    shifted = x - x.max(dim=dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, with PyTorch's weight layout (out_features, in_features).

    Runs as one fused node (`fused.Linear`); `linear_composite` is the same from primitives.
    """
    xd, wd = x.data, weight.data
    if xd.shape[-1:] != wd.shape[-1:]:
        raise ShapeError(
            f"linear: input of shape {xd.shape} has {xd.shape[-1] if xd.ndim else 0} features "
            f"but the weight of shape {wd.shape} expects {wd.shape[-1]} (in_features)"
        )
    if bias is None or not xd.dtype == wd.dtype == bias.data.dtype or bias.data.ndim != 1:
        return linear_composite(x, weight, bias)  # mixed dtypes promote, as the composite does
    return fused.Linear.apply(x, weight, bias)


def linear_composite(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`linear` from primitives, x @ Wᵀ + b: the reference the fused op is tested against."""
    y = x @ weight.T
    return y if bias is None else y + bias


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
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if input.ndim not in (1, 2):
        raise ShapeError(
            f"nll_loss expects input of shape (N, C) or (C,), got {input.shape}; move the class "
            "dim last and flatten the others first"
        )
    y = _class_indices(target, input)
    picked = input[np.arange(len(y)), y] if input.ndim == 2 else input[y]
    w = _class_weights(weight, input)
    if w is None:
        losses = -picked
        total_weight: Tensor | int = y.size
    else:
        w_y = w[y]
        losses = -picked * w_y
        total_weight = w_y.sum()
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / total_weight


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Softmax cross-entropy from logits: `nll_loss(log_softmax(input, dim=-1), target, ...)`.

    Its gradient with respect to the logits is w[y_n] · (softmax(input_n) − onehot(y_n)) /
    Σ w[y_n] for the weighted mean. For (N, C) logits it runs as one fused node
    (`fused.CrossEntropy`) whose backward is that closed form; `cross_entropy_composite` is the
    same loss from primitives, whose gradient autograd derives.
    """
    if input.ndim != 2 or reduction not in REDUCTIONS:
        return cross_entropy_composite(input, target, weight, reduction)
    y = _class_indices(target, input)
    w = _class_weights(weight, input)
    w_y = None if w is None else w.data[y]
    return fused.CrossEntropy.apply(input, y=y, w_y=w_y, reduction=reduction)


def cross_entropy_composite(
    input: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """`cross_entropy` from primitives: the reference the fused op is tested against."""
    return nll_loss(log_softmax(input, dim=-1), target, weight=weight, reduction=reduction)


def _class_weights(weight: Any, input: Tensor) -> Tensor | None:
    """`weight` as a tensor of the logits' dtype, one value per class (checked), or None."""
    if weight is None:
        return None
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    w = w.to(input.dtype)  # class weights follow the logits' precision
    if w.shape != input.shape[-1:]:
        raise ShapeError(
            f"weight must hold one value per class, shape ({input.shape[-1]},); got {w.shape}"
        )
    return w


def _class_indices(target: Any, input: Tensor) -> np.ndarray:
    """`target` as an int array of class indices, checked against `input`'s shape."""
    y = np.asarray(target.data if isinstance(target, Tensor) else target)
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"target must hold integer class indices, got dtype {y.dtype}; (class probabilities "
            "as targets are not supported)"
        )
    expected = input.shape[:1] if input.ndim == 2 else ()
    if y.shape != expected:
        raise ShapeError(
            f"target of shape {y.shape} does not match input of shape {input.shape}: expected "
            f"one class index per row, shape {expected}"
        )
    num_classes = input.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = (y < 0) | (y >= num_classes)
        raise IndexError(
            f"target {int(y[bad].flat[0])} is out of bounds for {num_classes} classes "
            f"(input shape {input.shape})"
        )
    return y
