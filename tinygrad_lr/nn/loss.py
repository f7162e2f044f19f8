"""Losses as modules: each holds its settings (`weight`, `reduction`, ...) and calls the function
of the same name in `functional`. They print as PyTorch's do: `CrossEntropyLoss()`.

Unlike PyTorch, an unknown `reduction` is refused when the loss is made, not when it is called;
and a loss's `weight` is a plain attribute, not a buffer, so it is not in a `state_dict`.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..dtypes import to_numpy
from ..tensor import Tensor, tensor
from .module import Module


def _optional_tensor(value: Any) -> Tensor | None:
    return None if value is None else tensor(to_numpy(value))


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        F.check_reduction(reduction)
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """`F.cross_entropy` as a module: class-index targets, optional per-class `weight`.

    With `weight` and `reduction="mean"`, the loss is divided by the sum of the targets'
    weights, not by N (PyTorch's weighted mean).
    """

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class NLLLoss(_Loss):
    """`F.nll_loss` as a module: the input holds log-probabilities (`LogSoftmax` output)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, reduction=self.reduction)


class MSELoss(_Loss):
    """`F.mse_loss` as a module: (x − y)², averaged (or summed, or not reduced)."""

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """`F.binary_cross_entropy` as a module: the input holds probabilities (`Sigmoid` output)."""

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """`F.binary_cross_entropy_with_logits` as a module: the input holds logits; `pos_weight`
    (one per class) scales the loss of the positive targets."""

    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None) -> None:
        super().__init__(reduction)
        self.weight = _optional_tensor(weight)
        self.pos_weight = _optional_tensor(pos_weight)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input,
            target,
            weight=self.weight,
            reduction=self.reduction,
            pos_weight=self.pos_weight,
        )
