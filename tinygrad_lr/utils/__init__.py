"""Helpers beside the engine, named as in `torch.utils`: `data` has datasets and DataLoader."""

from . import data

__all__ = ["data"]
