"""Stochastic gradient descent, as PyTorch's `torch.optim.SGD`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_option


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov, weight decay.

    g ← ∇ + λ·p                          (weight_decay λ)
    b ← g at the first step, then μ·b + (1 − τ)·g     (momentum μ, dampening τ)
    g ← g + μ·b if nesterov, else b
    p ← p − lr·g
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def check_options(self, options: dict[str, Any]) -> None:
        check_option("learning rate", options["lr"])
        check_option("momentum", options["momentum"])
        check_option("dampening", options["dampening"])
        check_option("weight_decay", options["weight_decay"])
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(
        self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        momentum, dampening = group["momentum"], group["dampening"]
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * p
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= momentum
                buf += (1 - dampening) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        p -= group["lr"] * grad
