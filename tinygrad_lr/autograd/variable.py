"""`Variable`: PyTorch's name, before version 0.4, for a tensor that records the ops applied to
it. Since then every tensor can, so a `Variable` is a tensor; old code (and libraries such as
torchsummary) still import the name."""

from __future__ import annotations

import warnings
from typing import Any


def _tensor_class() -> type:
    from ..tensor import Tensor  # here, not at the top: the tensor module imports autograd

    return Tensor


class _AnyTensor(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _tensor_class())  # every tensor is a Variable, as in PyTorch


class Variable(metaclass=_AnyTensor):
    """`Variable(t, requires_grad=False)`: `t` detached (the same data, not a copy), with
    `requires_grad` as given, as PyTorch returns it; `Variable()` is an empty tensor. The old
    `volatile=` is accepted with a warning and does nothing (use `no_grad`)."""

    def __new__(
        cls, data: Any = None, requires_grad: bool = False, volatile: bool | None = None
    ) -> Any:
        tensor_class = _tensor_class()
        if volatile is not None:
            warnings.warn(
                "Variable's volatile= has no effect any more: use `with no_grad():`",
                UserWarning,
                stacklevel=2,
            )
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be a bool, got {type(requires_grad).__name__}")
        if data is None:
            data = tensor_class()
        if not isinstance(data, tensor_class):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
