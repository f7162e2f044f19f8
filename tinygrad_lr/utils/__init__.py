"""Helpers beside the engine, named as in `torch.utils`: `data` has datasets and DataLoader,
`hooks` the handle that removes a module's hook."""

from . import data, hooks

__all__ = ["data", "hooks"]
