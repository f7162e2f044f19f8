"""Optimizers, written as PyTorch documents its algorithms so that trajectories match step for step.

An optimizer holds parameter groups, as PyTorch's do: `Adam(model.parameters(), lr=0.1)` makes
one group; `Adam([{"params": a}, {"params": b, "lr": 0.01}], lr=0.1)` two, the second with its
own learning rate. Each update works in place on `p.data`, the same array the model uses, never
records a graph (an update is not part of the model's computation) and counts as an in-place
change: a graph built before `step()` can no longer be differentiated (see `VersionCounter`).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from .tensor import Tensor, clear_grads


class Optimizer:
    """Holds the parameter groups to update; `step()` updates them from their `.grad`."""

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor) or not isinstance(params, Iterable):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                f"dicts, but got {type(params).__name__}: pass model.parameters() or a list"
            )
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group: a dict with "params" and, optionally, its own options (the optimizer's
        defaults fill the others)."""
        if not isinstance(group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(group).__name__}")
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be in an ordered collection (a set's order "
                "changes between runs): use a list"
            )
        elif not isinstance(params, Iterable):
            raise TypeError(f"a parameter group needs 'params', an iterable of Tensors: {group}")
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    "can't optimize a non-leaf Tensor (one made by an op): optimize the "
                    "tensors it was computed from"
                )
        if len({id(p) for p in params}) < len(params):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; each is "
                "updated once per step",
                UserWarning,
                stacklevel=3,
            )
            params = list({id(p): p for p in params}.values())
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        full = {**self.defaults, **group, "params": params}
        self.check_options(full)
        self.param_groups.append(full)

    def check_options(self, options: dict[str, Any]) -> None:
        """Raise ValueError for an option out of range; each optimizer checks its own."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (set it to None, or fill it with zeros)."""
        clear_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for number, group in enumerate(self.param_groups):
            for i, p in enumerate(group["params"]):
                if p.grad is None:
                    continue
                grad = p.grad.data
                if grad.shape != p.shape or grad.dtype != p.dtype:
                    name = p.name or f"{i} of parameter group {number}"
                    raise ValueError(
                        f"parameter {name} has a gradient of shape {grad.shape} ({grad.dtype}), "
                        f"but the parameter is {p.shape} ({p.dtype}): a gradient must match "
                        "its parameter (was .grad assigned by hand?)"
                    )
                self._update(p.data, grad, self.state.setdefault(p, {}), group)
                p.version.bump()

    def _update(
        self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])


def _check(name: str, value: float, low: float = 0.0, below: float | None = None) -> None:
    """`value` must be a finite number ≥ `low` (and < `below` when given)."""
    ok = isinstance(value, numbers.Real) and math.isfinite(value) and value >= low
    if not ok or (below is not None and value >= below):
        where = f"in [{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"Invalid {name}: {value!r} ({name} must be a finite number {where})")


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
        _check("learning rate", options["lr"])
        _check("momentum", options["momentum"])
        _check("dampening", options["dampening"])
        _check("weight_decay", options["weight_decay"])
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


class Adam(Optimizer):
    """Adam with bias correction, eps outside the square root, coupled weight decay, amsgrad.

    g ← ∇ + λ·p                                  (weight_decay λ, added to the gradient)
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
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def check_options(self, options: dict[str, Any]) -> None:
        _check("learning rate", options["lr"])
        _check("epsilon value", options["eps"])
        _check("weight_decay", options["weight_decay"])
        betas = options["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Invalid betas: {betas!r} (betas must be a pair (β₁, β₂))")
        for i, beta in enumerate(betas):
            _check(f"beta parameter at index {i}", beta, below=1.0)

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
            grad = grad + group["weight_decay"] * p
        m += (1 - beta1) * (grad - m)  # = β₁·m + (1 − β₁)·g, written as PyTorch's lerp
        v *= beta2
        v += (1 - beta2) * (grad * grad)
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # Python floats, so a float32 model stays in float32 (a NumPy float64 would upcast).
        step_size = group["lr"] / (1 - beta1**t)
        bias_correction2_sqrt = (1 - beta2**t) ** 0.5
        denom = np.sqrt(v) / bias_correction2_sqrt + group["eps"]
        p -= step_size * (m / denom)
