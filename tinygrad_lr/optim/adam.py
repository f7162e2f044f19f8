"""Adam and AdamW, as PyTorch's `torch.optim.Adam` and `torch.optim.AdamW`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_option


class Adam(Optimizer):
    """Adam with bias correction, eps outside the square root, weight decay, amsgrad.

    g ← ∇ + λ·p   (weight_decay λ added to the gradient; decoupled_weight_decay: p ← p − lr·λ·p)
    m ← β₁·m + (1 − β₁)·g,   v ← β₂·v + (1 − β₂)·g²
    v̂ ← max(v̂, v) with amsgrad, else v
    p ← p − (lr / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + eps)
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def check_options(self, options: dict[str, Any]) -> None:
        check_option("learning rate", options["lr"])
        check_option("epsilon value", options["eps"])
        check_option("weight_decay", options["weight_decay"])
        betas = options["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas!r} (betas must be a pair (β₁, β₂))")
        for i, beta in enumerate(betas):
            check_option(f"beta parameter at index {i}", beta, below=1.0)

    def _update(
        self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        if group["weight_decay"]:
            if group["decoupled_weight_decay"]:
                p *= 1 - group["lr"] * group["weight_decay"]
            else:
                grad = grad + group["weight_decay"] * p
        # Every step below writes into m, v, p or one scratch array, as PyTorch's Adam updates
        # in place: no new array per operation (for a large layer, fresh memory every step).
        scratch = np.subtract(grad, m)
        scratch *= 1 - beta1
        m += scratch  # = β₁·m + (1 − β₁)·g, written as PyTorch's lerp
        np.multiply(grad, grad, out=scratch)
        scratch *= 1 - beta2
        v *= beta2
        v += scratch
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # Python floats, so a float32 model stays in float32 (a NumPy float64 would upcast).
        step_size = group["lr"] / (1 - beta1**t)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        denom = np.sqrt(v, out=scratch)
        denom /= bias_correction2_sqrt
        denom += group["eps"]  # denom = √v̂ / √(1 − β₂ᵗ) + eps
        update = np.divide(m, denom, out=scratch)
        update *= step_size
        p -= update


class AdamW(Adam):
    """Adam with decoupled weight decay: the decay shrinks the weights directly and never passes
    through m and v (Loshchilov & Hutter). Note the default weight_decay=0.01, as in PyTorch.

    p ← p − lr·λ·p, then the Adam step above with g = ∇
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)

    def check_options(self, options: dict[str, Any]) -> None:
        super().check_options(options)
        if not options["decoupled_weight_decay"]:
            raise ValueError(
                "AdamW always decouples its weight decay (decoupled_weight_decay=True); for "
                "weight decay added to the gradient use Adam"
            )
