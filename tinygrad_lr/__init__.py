"""tinygrad_lr: a small NumPy autograd engine for learning how backpropagation works.

The top level works as `torch` does for the subset it has, so `import tinygrad_lr as torch`
runs PyTorch code from a lesson: `tensor`, `zeros`, `randn`, `cat`, `manual_seed`, `no_grad`,
the dtypes (NumPy's, under PyTorch's names), `nn`, `optim`, `utils.data`, `autograd.grad`,
`autograd.functional.hessian`, ...
"""

import numpy as _np

from . import autograd, cuda, functional, fused, nn, optim, random, utils
from .autograd import (
    Context,
    Function,
    Op,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .autograd import functional as _autograd_functional  # noqa: F401 - torch.autograd.functional
from .creation import (
    DoubleTensor,
    FloatTensor,
    LongTensor,
    arange,
    as_tensor,
    bernoulli,
    cat,
    empty,
    empty_like,
    eye,
    full,
    full_like,
    is_floating_point,
    is_tensor,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    stack,
    where,
    zeros,
    zeros_like,
)
from .creation import Variable as _Variable
from .device import device
from .errors import (
    CheckpointError,
    DimError,
    DtypeError,
    GradcheckError,
    GraphError,
    ShapeError,
    StateDictError,
)
from .functions import *  # noqa: F403 - exp, sigmoid, max, matmul, ...: PyTorch's function forms
from .functions import __all__ as _function_names
from .gradcheck import gradcheck, gradgradcheck
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .serialization import load, save
from .tensor import Size, Tensor, result_type, tensor

from_numpy = Tensor.from_numpy

# as in PyTorch, also reachable as autograd.gradcheck and autograd.gradgradcheck (the autograd
# package cannot import them itself: they build tensors, and tensors are built on autograd)
autograd.gradcheck, autograd.gradgradcheck = gradcheck, gradgradcheck

# The dtypes, under PyTorch's names.
float32 = float = _np.dtype(_np.float32)
float64 = double = _np.dtype(_np.float64)
int64 = long = _np.dtype(_np.int64)
int32 = int = _np.dtype(_np.int32)
int16 = short = _np.dtype(_np.int16)
int8 = _np.dtype(_np.int8)
uint8 = _np.dtype(_np.uint8)
bool = _np.dtype(_np.bool_)

__all__ = [
    "CheckpointError",
    "Context",
    "DimError",
    "DoubleTensor",
    "DtypeError",
    "FloatTensor",
    "Function",
    "Generator",
    "GradcheckError",
    "GraphError",
    "LongTensor",
    "Op",
    "ShapeError",
    "Size",
    "StateDictError",
    "Tensor",
    "arange",
    "as_tensor",
    "autograd",
    "bernoulli",
    "bool",
    "cat",
    "cuda",
    "device",
    "double",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "float",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "functional",
    "fused",
    "get_rng_state",
    "gradcheck",
    "gradgradcheck",
    "initial_seed",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_floating_point",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "load",
    "long",
    "manual_seed",
    "nn",
    "no_grad",
    "normal",
    "ones",
    "ones_like",
    "optim",
    "rand",
    "rand_like",
    "randint",
    "randint_like",
    "randn",
    "randn_like",
    "random",
    "randperm",
    "result_type",
    "save",
    "seed",
    "set_grad_enabled",
    "set_rng_state",
    "short",
    "stack",
    "tensor",
    "uint8",
    "utils",
    "where",
    "zeros",
    "zeros_like",
    *_function_names,
]
# `torch.autograd.Variable`, the old name for a tensor: defined beside the other legacy names in
# `creation.py` and given to `autograd` here, as autograd cannot import the tensor module (the
# tensor module imports autograd).
autograd.Variable = _Variable

__version__ = "0.1.0"
