"""PyTorch's function forms of Tensor methods: `exp(x)` is `x.exp()`, `max(x, 1)` is
`x.max(1)`, `matmul(a, b)` is `a @ b`, ... so `torch.sigmoid(z)` runs unchanged with
`import tinygrad_lr as torch`. Each forwards its arguments to the method of the same name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tensor import Tensor, tensor

METHODS = (
    "abs", "acos", "add", "all", "amax", "amin", "any", "argmax", "argmin", "asin", "atan", "ceil",
    "clamp", "clip", "clone", "cos", "cosh", "cumsum", "div", "eq", "erf", "exp", "exp2", "expm1",
    "flatten", "flip", "floor", "gather", "ge", "gt", "index_select", "le", "log", "log10",
    "log1p", "log2", "log_softmax", "lt", "matmul", "max", "mean", "min", "mul", "ne", "neg",
    "numel", "permute", "pow", "prod", "reciprocal", "relu", "reshape", "round", "rsqrt",
    "sigmoid", "sign", "sin", "sinh", "softmax", "sqrt", "square", "squeeze", "std", "sub", "sum",
    "t", "tan", "tanh", "trace", "transpose", "trunc", "unsqueeze", "var",
)  # fmt: skip


def _function_form(name: str) -> Callable[..., Any]:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:
        x = input if isinstance(input, Tensor) else tensor(input)
        return getattr(x, name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"`input.{name}(...)`, as `torch.{name}`."
    return function


for _name in METHODS:
    globals()[_name] = _function_form(_name)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """The product of two matrices, as `torch.mm` (2-D only)."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(
            f"mm: expected two matrices, got shapes {tuple(input.shape)} and {tuple(mat2.shape)}"
        )
    return input @ mat2


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """The elementwise maximum; ties split the gradient, as in PyTorch."""
    return input.max(other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return input.min(other)


__all__ = [*METHODS, "maximum", "minimum", "mm"]
