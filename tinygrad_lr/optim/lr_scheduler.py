"""Learning-rate schedulers, as PyTorch's `torch.optim.lr_scheduler`: each `step()` (once per
epoch, after `optimizer.step()`) sets every parameter group's "lr".

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()

A scheduler records each group's starting rate as `group["initial_lr"]` (PyTorch's key, kept by
the optimizer's state dict) and counts epochs in `last_epoch`, which the constructor moves from
-1 to 0. As in PyTorch, StepLR and ExponentialLR multiply the group's current "lr", so they chain
with other changes to it; LambdaLR computes it from `initial_lr` alone. PyTorch's deprecated
`step(epoch)` is not offered. Unlike PyTorch, a step_size that is not a positive integer and a
gamma that is negative or not finite are refused when the scheduler is made.
"""

from __future__ import annotations

import numbers
import types
import warnings
from collections.abc import Callable
from typing import Any

from .optimizer import Optimizer, check_option


class LRScheduler:
    """The base class: `get_lr()` gives the next rates, `step()` moves one epoch and sets them.

    `last_epoch` other than -1 resumes a schedule, and needs each group's "initial_lr".
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for number, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(
                    f"param 'initial_lr' is not specified in param_groups[{number}] when "
                    f"resuming a scheduler with last_epoch={last_epoch}: load the optimizer's "
                    "state dict first, or start with last_epoch=-1"
                )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = True  # the constructor's step sets the starting rates
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The rates for epoch `last_epoch`, one per group (called by `step()`; to read the
        current rates use `get_last_lr()`)."""
        raise NotImplementedError

    def step(self) -> None:
        """Move to the next epoch and set each group's "lr" to its rate for it."""
        self.last_epoch += 1
        self._in_step = True
        try:
            lrs = self.get_lr()
        finally:
            self._in_step = False
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The rates the last `step()` set, one per parameter group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Everything the scheduler holds except its optimizer (save that one separately), as in
        PyTorch: `last_epoch`, `base_lrs`, `_last_lr` and the scheduler's own settings."""
        return {
            key: list(value) if isinstance(value, list) else value
            for key, value in vars(self).items()
            if key not in ("optimizer", "_in_step")
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what `state_dict()` saved (from this library or PyTorch's scheduler)."""
        vars(self).update({k: list(v) if isinstance(v, list) else v for k, v in state_dict.items()})

    def _current_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]

    def _warn_if_outside_step(self) -> None:
        if not getattr(self, "_in_step", False):
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )


class StepLR(LRScheduler):
    """Multiply each group's rate by gamma every `step_size` epochs.

    lr ← γ·lr when last_epoch is a positive multiple of step_size  (so lr = lr₀·γ^⌊epoch/step_size⌋)
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, numbers.Integral):
            raise ValueError(f"Invalid step_size: {step_size!r} (a whole number of epochs)")
        if step_size < 1:
            raise ValueError(f"Invalid step_size: {step_size} (it must be at least 1 epoch)")
        check_option("gamma", gamma)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_outside_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply each group's rate by gamma every epoch.

    lr ← γ·lr   (so lr = lr₀·γ^epoch)
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        check_option("gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_outside_step()
        if self._is_initial:  # resuming: the constructor's step must not decay once more
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class LambdaLR(LRScheduler):
    """Set each group's rate to its initial rate times a function of the epoch: one function for
    every group, or a list with one per group.

    lr = initial_lr · f(epoch)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, list | tuple):
            if len(lr_lambda) != groups:
                raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        self._warn_if_outside_step()
        return [
            base_lr * f(self.last_epoch)
            for f, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        """As `LRScheduler.state_dict`, but functions cannot be saved: `lr_lambdas` holds None for
        a plain function or lambda, and the attributes of a callable object (as in PyTorch)."""
        state = super().state_dict()
        state["lr_lambdas"] = [
            None if isinstance(f, types.FunctionType) else dict(vars(f)) for f in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As `LRScheduler.load_state_dict`; the functions stay, callable objects get their
        saved attributes back."""
        saved = {k: v for k, v in state_dict.items() if k != "lr_lambdas"}
        super().load_state_dict(saved)
        for f, attributes in zip(self.lr_lambdas, state_dict.get("lr_lambdas", []), strict=False):
            if attributes is not None:
                vars(f).update(attributes)
