"""`RemovableHandle`, what registering a hook returns, as `torch.utils.hooks`."""

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
