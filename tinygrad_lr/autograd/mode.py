"""Gradient mode: whether ops are recorded for backward, per thread, as in PyTorch.

`no_grad` switches recording off for a block (or a decorated function), `enable_grad` switches it
back on inside one, `set_grad_enabled(mode)` sets it. The engine reads `recording.enabled`.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any


class _GradMode(threading.local):
    """Whether ops are recorded, one flag per thread (as in PyTorch): `no_grad` in one thread
    leaves the others recording."""

    enabled = True
    # True while a backward rule runs on tensors (create_graph): turning a tensor that needs a
    # gradient into a NumPy array there would silently cut the new graph, so it is an error
    in_recorded_rule = False


recording = _GradMode()  # the engine reads `recording.enabled` before recording an op


def is_grad_enabled() -> bool:
    """True when ops are being recorded for backward in this thread (the default)."""
    return recording.enabled


class _SetGradMode(contextlib.ContextDecorator):
    """Switch recording on or off for a `with` block (or a decorated function), then restore
    what it was before, in this thread, also when the block raises. One object may be entered
    by several threads at once (a decorated function called from two threads): each thread
    keeps its own stack of previous modes."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._previous = threading.local()

    def __enter__(self) -> None:
        stack = self._previous.__dict__.setdefault("stack", [])
        stack.append(recording.enabled)
        recording.enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        recording.enabled = self._previous.stack.pop()


class no_grad(_SetGradMode):  # noqa: N801 - named as in PyTorch
    """Context manager and decorator: ops inside it are not recorded, their results need no grad.

    >>> with no_grad():
    ...     y = w * 2          # y.requires_grad is False, nothing is kept for backward
    """

    def __new__(cls, function: Any = None) -> Any:
        """`@no_grad` without parentheses decorates too, as in PyTorch."""
        if function is not None and callable(function):
            return super().__new__(cls).__class__()(function)
        return super().__new__(cls)

    def __init__(self, function: Any = None) -> None:
        super().__init__(False)


class enable_grad(_SetGradMode):  # noqa: N801 - named as in PyTorch
    """Context manager and decorator: switches recording back on inside a `no_grad` block."""

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled:  # noqa: N801 - named as in PyTorch
    """Switch recording on or off: at once when called (`set_grad_enabled(False)`), and back to
    what it was when used as a context manager (`with set_grad_enabled(is_training): ...`)."""

    def __init__(self, mode: bool) -> None:
        self._previous = recording.enabled
        recording.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        recording.enabled = self._previous
