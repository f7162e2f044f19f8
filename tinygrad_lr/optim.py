"""Optimizers, written as PyTorch documents its algorithms so that trajectories match step for step.

Each update works in place on `p.data`, the same array the model uses, and never records a
graph (an update is not part of the model's computation).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .tensor import Tensor, clear_grads


class Optimizer:
    """Holds the parameters to update; `step()` updates them from their `.grad`."""

    def __init__(self, params: Iterable[Tensor], defaults: dict[str, Any]) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"parameter {i} is not a tensor that requires grad: {p!r}")
        self.defaults = defaults
        self.state: dict[int, dict[str, Any]] = {id(p): {} for p in self.params}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (set it to None, or fill it with zeros)."""
        clear_grads(self.params, set_to_none)

    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                self._update(p.data, p.grad.data, self.state[id(p)])

    def _update(self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({options})"


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov, weight decay.

    g ← ∇ + λ·p                          (weight_decay λ)
    b ← g at the first step, then μ·b + (1 − τ)·g     (momentum μ, dampening τ)
    g ← g + μ·b if nesterov, else b
    p ← p − lr·g
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
    ) -> None:
        _check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
            ),
        )
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def _update(self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * p
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            grad = grad + self.momentum * buf if self.nesterov else buf
        p -= self.lr * grad


class Adam(Optimizer):
    """Adam with bias correction, eps outside the square root, coupled weight decay, amsgrad.

    g ← ∇ + λ·p                                  (weight_decay λ, added to the gradient)
    m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
    v̂ ← max(v̂, v) with amsgrad, else v
    p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        _check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay)
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        super().__init__(
            params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        )
        self.lr, self.betas, self.eps = lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad

    def _update(self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.betas
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if self.weight_decay:
            grad = grad + self.weight_decay * p
        m += (1 - beta1) * (grad - m)  # = β₁·m + (1 − β₁)·g, written as PyTorch's lerp
        v *= beta2
        v += (1 - beta2) * (grad * grad)
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # Python floats, so a float32 model stays in float32 (a NumPy float64 would upcast).
        step_size = self.lr / (1 - beta1**t)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        denom = np.sqrt(v) / bias_correction2_sqrt + self.eps
        p -= step_size * (m / denom)
