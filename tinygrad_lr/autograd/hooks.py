"""Hooks: functions the engine calls on the way, and the handle that takes one out again.

A gradient hook (`tensor.register_hook(fn)`) sees the gradient with respect to its tensor as
soon as backward has summed it, and may replace it: `fn(grad)` returns None (look only) or a
new gradient of the same shape, which is what the rest of the backward pass then uses (and
what `.grad` receives, for a leaf or a tensor that retains its gradient), as in PyTorch.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
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


# Gradient hooks by tensor id. The weak reference tells the tensor from a later one that got
# its id; the entry leaves with its tensor. Empty (and so never looked at) unless a hook is set.
gradient_hooks: dict[int, tuple[weakref.ref, dict[int, Callable[[Any], Any]]]] = {}


def add_gradient_hook(tensor: Any, hook: Callable[[Any], Any]) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    key = id(tensor)
    entry = gradient_hooks.get(key)
    if entry is None or entry[0]() is not tensor:
        entry = (weakref.ref(tensor), {})
        gradient_hooks[key] = entry
        weakref.finalize(tensor, gradient_hooks.pop, key, None)
    handle = RemovableHandle(entry[1])
    entry[1][handle.id] = hook
    return handle


def run_gradient_hooks(tensor: Any, grad: Any, recorded: bool) -> Any:
    """`grad` after the hooks of `tensor` (if any), each seeing what the one before returned.
    `grad` is an array, or a tensor when the backward is recorded; a hook sees a tensor."""
    entry = gradient_hooks.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return grad
    for hook in list(entry[1].values()):
        seen = grad if recorded else tensor.wrap(grad)
        changed = hook(seen)
        if changed is None:
            continue
        if not hasattr(changed, "array") or tuple(changed.shape) != tuple(seen.shape):
            raise RuntimeError(
                f"hook '{getattr(hook, '__name__', hook)}' returned "
                f"{getattr(changed, 'shape', type(changed).__name__)} for a gradient of shape "
                f"{tuple(seen.shape)}: a hook may change the values, not the shape"
            )
        grad = changed if recorded else changed.array
    return grad
