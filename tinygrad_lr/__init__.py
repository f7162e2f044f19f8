"""tinygrad_lr: a small NumPy autograd engine for learning how backpropagation works."""

from . import functional, fused, nn, optim, utils
from .autograd import Context, Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .errors import (
    CheckpointError,
    DimError,
    DtypeError,
    GradcheckError,
    GraphError,
    ShapeError,
    StateDictError,
)
from .gradcheck import gradcheck
from .nn import manual_seed
from .serialization import load, save
from .tensor import Tensor, tensor

from_numpy = Tensor.from_numpy

__all__ = [
    "CheckpointError",
    "Context",
    "DimError",
    "DtypeError",
    "Function",
    "GradcheckError",
    "GraphError",
    "ShapeError",
    "StateDictError",
    "Tensor",
    "enable_grad",
    "from_numpy",
    "functional",
    "fused",
    "gradcheck",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "nn",
    "no_grad",
    "optim",
    "save",
    "set_grad_enabled",
    "tensor",
    "utils",
]
__version__ = "0.1.0"
