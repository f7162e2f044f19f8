"""RMSprop, as PyTorch's `torch.optim.RMSprop`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_option


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root mean square of recent gradients.

    g ← ∇ + λ·p                                  (weight_decay λ)
    v ← α·v + (1 − α)·g²;  centered: ḡ ← α·ḡ + (1 − α)·g,  v̄ ← v − ḡ², else v̄ ← v
    b ← μ·b + g / (√v̄ + eps),  p ← p − lr·b      (momentum μ > 0; else p ← p − lr·g / (√v̄ + eps))
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            alpha=alpha,
            eps=eps,
            centered=centered,
            weight_decay=weight_decay,
        )
        super().__init__(params, defaults)

    def check_options(self, options: dict[str, Any]) -> None:
        # PyTorch's checks, in its order; like PyTorch, alpha above 1 is allowed.
        check_option("learning rate", options["lr"])
        check_option("epsilon value", options["eps"])
        check_option("momentum value", options["momentum"])
        check_option("weight_decay value", options["weight_decay"])
        check_option("alpha value", options["alpha"])

    def _update(
        self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(p))
            if momentum > 0:
                state["momentum_buffer"] = np.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p)
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg += (1 - alpha) * (grad - grad_avg)  # PyTorch's lerp
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += grad / avg
            p -= group["lr"] * buf
        else:
            p -= group["lr"] * (grad / avg)
