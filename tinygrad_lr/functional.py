"""Functions a model is made of, composed from primitive ops so autograd derives their gradients.

Import as `import tinygrad_lr.functional as F`, like `torch.nn.functional`.

Nothing here has a backward rule of its own: `linear` is a matmul and an add, `cross_entropy` a
max, sub, exp, sum, log, index, neg (mul) and div, and `backward()` applies each primitive's rule
from `ops.py` in turn. `nn.Linear` and `nn.CrossEntropyLoss` call these. The same two functions
as single graph nodes with a hand-written closed-form backward, faster, are in `fused.py`: a
second path you choose explicitly, never the one called "autograd".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ShapeError
from .tensor import Tensor, tensor

REDUCTIONS = ("mean", "sum", "none")


def softmax(x: Tensor, dim: int) -> Tensor:
    """softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m), with m = max x along `dim`.

    Subtracting m changes nothing mathematically (it cancels) but keeps exp from overflowing.
    m is detached: its gradient would be exactly zero for the same reason. (`Tensor.softmax`.)
    """
    return x.softmax(dim)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """log softmax(x)ᵢ = (xᵢ − m) − log Σⱼ exp(xⱼ − m), with m = max x along `dim`.

    Computed this way it stays finite for any finite logits (±1e4 included), where
    `softmax(x).log()` would take the log of an underflowed 0. (`Tensor.log_softmax`.)
    """
    return x.log_softmax(dim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x Wᵀ + b, with PyTorch's weight layout (out_features, in_features).

    Three primitive ops, `Permute` (Wᵀ), `MatMul` and `Add`, so autograd derives dx = g W,
    dW = gᵀ x and db = Σ g (summed over the rows by undoing the bias's broadcast). The fused
    single-node version is `fused.linear`.
    """
    check_linear(x, weight)
    y = x @ weight.T
    return y if bias is None else y + bias


def check_linear(x: Tensor, weight: Tensor) -> None:
    """Raise a ShapeError naming both shapes when x's last dim is not the weight's in_features."""
    xd, wd = x.array, weight.array
    if xd.shape[-1:] != wd.shape[-1:]:
        raise ShapeError(
            f"linear: input of shape {xd.shape} has {xd.shape[-1] if xd.ndim else 0} features "
            f"but the weight of shape {wd.shape} expects {wd.shape[-1]} (in_features)"
        )


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
    y = class_indices(target, input)
    picked = input[np.arange(len(y)), y] if input.ndim == 2 else input[y]
    w = class_weights(weight, input)
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
    w = w.to(input.dtype)  # class weights follow the logits' precision
    if w.shape != input.shape[-1:]:
        raise ShapeError(
            f"weight must hold one value per class, shape ({input.shape[-1]},); got {w.shape}"
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
