"""Fused ops: a speed path for what the lesson's model does every step, chosen explicitly.

`linear(x, W, b)` and `cross_entropy(logits, target, ...)` compute what `functional.linear` and
`functional.cross_entropy` compute, but each as a single graph node whose backward is the closed
form, derived on paper and written out by hand, instead of the chain rule through a dozen
primitive ops. Fewer nodes means fewer Python calls and fewer temporary arrays per step.

Because these rules are hand-written, they are not "autograd" in the sense this project proves:
`nn.Linear`, `nn.CrossEntropyLoss`, the lesson and `tinygrad-lr parity`'s autograd column use the
primitive path of `functional`. The parity check holds this path, in its own "fused" column,
against the same references (the hand-derived formulas, PyTorch and central differences), and the
tests hold each fused op against its composite of primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .autograd import Context, Op
from .autograd.xp import max_over_last, sum_over
from .functional import REDUCTIONS, check_linear, class_indices, class_weights
from .functional import cross_entropy as composite_cross_entropy
from .functional import linear as composite_linear
from .tensor import Tensor


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """`functional.linear` as one node, `Linear` below (falls back to the composite for a
    missing bias or mixed dtypes, which the composite promotes as PyTorch does)."""
    check_linear(x, weight)
    if bias is None or not x.dtype == weight.dtype == bias.dtype or bias.ndim != 1:
        return composite_linear(x, weight, bias)
    return Linear.apply(x, weight, bias)


def cross_entropy(
    input: Tensor, target: Any, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """`functional.cross_entropy` as one node, `CrossEntropy` below, for (N, C) logits (other
    shapes fall back to the composite)."""
    if input.ndim != 2 or reduction not in REDUCTIONS:
        return composite_cross_entropy(input, target, weight, reduction)
    y = class_indices(target, input)
    w = class_weights(weight, input)
    w_y = None if w is None else w.array[y]
    return CrossEntropy.apply(input, y=y, w_y=w_y, reduction=reduction)


class Linear(Op):
    """z = x Wᵀ + b;  dx = g W,  dW = gᵀ x (over all leading dims of x),  db = Σ g

    The derivation: zₙ,ₒ = Σᵢ xₙ,ᵢ Wₒ,ᵢ + bₒ, so dz/dxₙ,ᵢ picks Wₒ,ᵢ, dz/dWₒ,ᵢ picks xₙ,ᵢ (summed
    over the rows n that use it) and dz/dbₒ is 1 for every row (summed over n).

    The rule is written on arrays only (a speed path): it cannot be recorded for gradients of
    gradients; `functional.linear` can.
    """

    backward_is_differentiable = False

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        need_x, need_w, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        z = x @ weight.T
        z += bias  # in place: one (N, out) array per step, not two
        return z

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> tuple:
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1])
        dx = g @ weight if need_x else None  # the data matrix X usually needs none
        dw = g2.T @ x.reshape(-1, x.shape[-1]) if need_w else None
        db = g2.sum(axis=0) if need_b else None
        return dx, dw, db


class CrossEntropy(Op):
    """L = −Σ wᵧ log softmax(z)ᵧ / Σ wᵧ (mean);  dz = g · wᵧ (softmax(z) − onehot(y)) / Σ wᵧ

    For reduction "sum" the division by Σ wᵧ is dropped; for "none", g is one value per row.
    Unweighted is wᵧ = 1 (the mean then divides by N). Rows are along dim 0, classes dim 1.

    The derivation. With p = softmax(z), log pᵧ = zᵧ − log Σⱼ exp(zⱼ), so

        d log pᵧ / dzₖ = [k = y] − exp(zₖ) / Σⱼ exp(zⱼ) = [k = y] − pₖ,

    and each row's loss −wᵧ log pᵧ has gradient wᵧ (p − onehot(y)). The mean divides by Σ wᵧ
    (a constant: the weights and targets are data). The composite in `functional` reaches the
    same numbers through the chain rule; this rule is that result written out by hand. It saves
    the probabilities it computed, so it cannot be recorded for gradients of gradients;
    `functional.cross_entropy` can.
    """

    backward_is_differentiable = False

    @staticmethod
    def forward(
        ctx: Context, z: np.ndarray, y: np.ndarray, w_y: np.ndarray | None, reduction: str
    ) -> np.ndarray:
        rows = np.arange(len(y))
        shifted = z - max_over_last(z)
        picked = shifted[rows, y]  # taken before the exp below overwrites `shifted`
        p = np.exp(shifted, out=shifted)
        total = sum_over(p, 1)  # row sums along contiguous memory (see sum_over)
        p /= total[:, None]  # softmax, kept for backward
        losses = np.log(total) - picked  # −log softmax(z)ᵧ, finite even when p underflows
        if w_y is not None:
            losses *= w_y
        ctx.save_for_backward(p, y, w_y)
        ctx.rows, ctx.reduction = rows, reduction
        if reduction == "none":
            ctx.scale = None
            return losses
        ctx.denominator = 1 if reduction == "sum" else (len(y) if w_y is None else w_y.sum())
        return np.asarray(losses.sum() / ctx.denominator)

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        p, y, w_y = ctx.saved_tensors
        if ctx.reduction == "none":
            coef = g if w_y is None else g * w_y
        else:
            coef = g / ctx.denominator if w_y is None else w_y * (g / ctx.denominator)
        # coef: one value per row, or a single one shared by every row (unweighted reduction)
        dz = p * (coef[:, None] if coef.ndim else coef)
        dz[ctx.rows, y] -= coef
        return dz
