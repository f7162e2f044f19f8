"""`Variable`: PyTorch's name, before version 0.4, for a tensor that records the ops applied to
it. Since then every tensor can, so a `Variable` is a tensor; old code (and libraries such as
torchsummary) still import the name."""

from __future__ import annotations

from typing import Any


def _tensor_class() -> type:
    from ..tensor import Tensor  # here, not at the top: the tensor module imports autograd

    return Tensor


class _AnyTensor(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _tensor_class())  # every tensor is a Variable, as in PyTorch


class Variable(metaclass=_AnyTensor):
    """`Variable(t, requires_grad=False)`: `t` detached (the same data, not a copy), with
    `requires_grad` as given, as PyTorch returns it."""

    def __new__(cls, data: Any, requires_grad: bool = False) -> Any:
        if not isinstance(data, _tensor_class()):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
