"""tinygrad_lr: a small NumPy autograd engine for learning how backpropagation works."""

from .autograd import Context, Function, enable_grad, is_grad_enabled, no_grad
from .errors import DtypeError, GradcheckError, GraphError, ShapeError
from .gradcheck import gradcheck
from .tensor import Tensor

__all__ = [
    "Context",
    "DtypeError",
    "Function",
    "GradcheckError",
    "GraphError",
    "ShapeError",
    "Tensor",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
]
__version__ = "0.1.0"
