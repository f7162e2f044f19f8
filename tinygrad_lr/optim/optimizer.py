"""`Optimizer`: parameter groups, `step()`, `zero_grad()` and state dicts, shared by every
algorithm in this package.

An update works in place on `p.array`, the same array the model uses, never records a graph (an
update is not part of the model's computation) and counts as an in-place change: a graph built
before `step()` can no longer be differentiated (see `VersionCounter`).
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor, clear_grads

# PyTorch's switches for how an update is computed (for loops, fused kernels, CUDA graphs,
# a differentiable step): they change speed, not values, so a PyTorch state dict may carry them.
_PYTORCH_ONLY_SWITCHES = ("foreach", "fused", "capturable", "differentiable")


class Optimizer:
    """Holds the parameter groups to update; `step()` updates them from their `.grad`.

    `state[p]` holds what an algorithm remembers about parameter `p` between steps (NumPy arrays
    shaped like `p`, and a step count); `state_dict()` and `load_state_dict()` save and restore it.
    """

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
                grad = p.grad.array
                if grad.shape != p.shape or grad.dtype != p.dtype:
                    name = p.name or f"{i} of parameter group {number}"
                    raise ValueError(
                        f"parameter {name} has a gradient of shape {tuple(grad.shape)} "
                        f"({grad.dtype}), "
                        f"but the parameter is {tuple(p.shape)} ({p.dtype}): a gradient must match "
                        "its parameter (was .grad assigned by hand?)"
                    )
                self._update(p.array, grad, self.state.setdefault(p, {}), group)
                p.version.bump()

    def _update(
        self, p: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as PyTorch lays it out, with parameters replaced by their index
        (counted across groups, in order):

            {"state": {0: {"step": 3, "exp_avg": array(...), ...}, ...},
             "param_groups": [{"lr": 0.1, ..., "params": [0, 1]}, ...]}

        Values are copies: NumPy arrays where PyTorch has tensors, and `step` a Python int where
        PyTorch has a float tensor. Parameters with nothing remembered yet are left out, as in
        PyTorch.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: copy.deepcopy(v) for k, v in s.items()}
            for p, s in self.state.items()
            if s
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved, from this library or from PyTorch's `state_dict()`.

        The saved groups must have as many parameters, in the same order, as this optimizer's;
        their options replace ours (a scheduler's `initial_lr` comes along). Saved values are
        copied, floating ones cast to their parameter's dtype as PyTorch casts them. Everything
        is checked before anything changes. PyTorch's speed switches (`foreach`, `fused`, ...)
        are dropped; `maximize=True`, which we do not offer, is refused.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise ValueError(
                "an optimizer state dict is a dict with 'state' and 'param_groups', as "
                "optimizer.state_dict() returns"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups "
                f"({len(saved_groups)}, this optimizer has {len(self.param_groups)})"
            )
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group (group {number}: {len(saved['params'])} parameters "
                    f"saved, {len(group['params'])} here)"
                )
        params = {
            index: p
            for group, saved in zip(self.param_groups, saved_groups)
            for index, p in zip(saved["params"], group["params"])
        }
        groups = [
            self._loaded_group(group, saved)
            for group, saved in zip(self.param_groups, saved_groups)
        ]
        state = {}
        for index, saved in state_dict["state"].items():
            if index not in params:
                raise ValueError(
                    f"loaded state dict has state for parameter {index!r}, which none of its "
                    f"parameter groups lists (they list {sorted(params)})"
                )
            p = params[index]
            state[p] = {key: _loaded_value(key, value, p, index) for key, value in saved.items()}
        self.param_groups = groups
        self.state = state

    def _loaded_group(self, group: dict[str, Any], saved: dict[str, Any]) -> dict[str, Any]:
        options = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
        if options.pop("maximize", False):
            raise ValueError(
                "loaded state dict has maximize=True, which tinygrad_lr's optimizers do not "
                "offer: minimize the negated loss instead"
            )
        for key in _PYTORCH_ONLY_SWITCHES:
            options.pop(key, None)
        if isinstance(options.get("betas"), list):
            options["betas"] = tuple(options["betas"])
        loaded = {**self.defaults, **options, "params": group["params"]}
        self.check_options(loaded)
        return loaded

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])


def _loaded_value(key: str, value: Any, p: Tensor, index: Any) -> Any:
    """A copy of one saved state value for parameter `p`: a step count becomes an int, anything
    else an array of `p`'s shape (NumPy, one of our Tensors or a PyTorch tensor all convert)."""
    if key == "step":
        step = float(np.asarray(value))
        if not (step.is_integer() and step >= 0):
            raise ValueError(f"loaded state of parameter {index}: step must be a count, got {step}")
        return int(step)
    array = np.asarray(value).copy()  # np.array(copy=True) warns on PyTorch tensors
    if array.shape != p.shape:
        raise ValueError(
            f"loaded state of parameter {index}: {key!r} has shape {tuple(array.shape)}, but the "
            f"parameter has shape {tuple(p.shape)} (are the parameters in the same order?)"
        )
    if np.issubdtype(array.dtype, np.floating):
        array = array.astype(p.dtype, copy=False)
    return array


def check_option(name: str, value: float, low: float = 0.0, below: float | None = None) -> None:
    """`value` must be a finite number ≥ `low` (and < `below` when given), else ValueError."""
    ok = isinstance(value, numbers.Real) and math.isfinite(value) and value >= low
    if not ok or (below is not None and value >= below):
        where = f"in [{low}, {below})" if below is not None else f">= {low}"
        raise ValueError(f"Invalid {name}: {value!r} ({name} must be a finite number {where})")
