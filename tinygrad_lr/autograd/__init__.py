"""The autograd engine: how an op is recorded, and how backward walks the record.

Reading order:
- `mode.py`: whether ops are recorded (`no_grad`, `enable_grad`, `set_grad_enabled`);
- `graph.py`: what an applied op remembers (`Context`), the engine's primitives (`Op`, on NumPy
  arrays) and PyTorch's API for an op of your own (`Function`, on tensors);
- `engine.py`: the chain rule, run from the output back to the leaves (`backward`, `grad`),
  also recorded, for gradients of gradients (`create_graph=True`);
- `xp.py`: the names the backward rules compute with (NumPy's), which the tensor namespace
  (`ops/on_tensors.py`) provides too, so one set of rules serves both;
- `hooks.py`: gradient hooks (`tensor.register_hook`) and the handle that removes a hook;
- `functional.py`: `jacobian`, `hessian`, `vjp`, `jvp`, `hvp`, `vhp`, built on `grad`.

The ops themselves, each an `Op` with its forward and backward side by side, are in `ops/`.
"""

from . import hooks
from .engine import (
    accumulate_grad,
    backward,
    grad,
    labelled,
    topological_order,
    tracers,
    unbroadcast,
)
from .graph import Context, Function, FunctionCtx, Op, Tensor, VersionCounter
from .mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled

__all__ = [
    "Context",
    "Function",
    "FunctionCtx",
    "Op",
    "Tensor",
    "Variable",  # given to this module by the package: see tinygrad_lr/__init__.py
    "VersionCounter",
    "accumulate_grad",
    "backward",
    "enable_grad",
    "grad",
    "hooks",
    "is_grad_enabled",
    "labelled",
    "no_grad",
    "set_grad_enabled",
    "topological_order",
    "tracers",
    "unbroadcast",
]
