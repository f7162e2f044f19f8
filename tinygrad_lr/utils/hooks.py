"""`RemovableHandle`, what registering a hook returns, as `torch.utils.hooks` (it lives with the
engine's hooks, in `autograd/hooks.py`)."""

from ..autograd.hooks import RemovableHandle

__all__ = ["RemovableHandle"]
