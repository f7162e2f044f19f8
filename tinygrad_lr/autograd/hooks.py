"""Hooks: functions the engine calls on the way, and the handle that takes one out again.

A gradient hook (`tensor.register_hook(fn)`) sees the gradient with respect to its tensor as
soon as backward has summed it, and may replace it: `fn(grad)` returns None (look only) or a
new gradient of the same shape, which is what the rest of the backward pass then uses (and
what `.grad` receives, for a leaf or a tensor that retains its gradient), as in PyTorch.
"""

from __future__ import annotations

import itertools
from typing import Any

_next_id = itertools.count()


class RemovableHandle:
    """Takes a hook out again: `handle.remove()`, or leave a `with handle:` block. Removing
    twice does nothing, as in PyTorch."""

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.hooks = hooks
        self.id = next(_next_id)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(hooks: dict[int, Any], hook: Any) -> RemovableHandle:
    """Put `hook` into `hooks` (a tensor's gradient hooks, a module's forward hooks) under a
    new handle, and return the handle."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def run_gradient_hooks(hooks: dict[int, Any], wrap: Any, grad: Any, recorded: bool) -> Any:
    """`grad` after `hooks` (a leaf's, kept on the tensor; those of a tensor an op made, kept on
    its node, which outlives it), each seeing what the one before returned. `grad` is an array,
    or a tensor when the backward is recorded; a hook sees a tensor (`wrap` makes it) and may
    return one of the same shape and dtype."""
    for hook in list(hooks.values()):
        seen = grad if recorded else wrap(grad)
        changed = hook(seen)
        if changed is None:
            continue
        name = getattr(hook, "__name__", repr(hook))
        if not hasattr(changed, "array"):
            raise TypeError(f"hook '{name}' returned {type(changed).__name__}: expected a tensor")
        if tuple(changed.shape) != tuple(seen.shape) or changed.dtype != seen.dtype:
            raise RuntimeError(
                f"hook '{name}' returned a gradient of shape {tuple(changed.shape)} and dtype "
                f"{changed.dtype} for one of shape {tuple(seen.shape)} and dtype {seen.dtype}: "
                "a hook may change the values only"
            )
        grad = changed if recorded else changed.array
    return grad
