"""Modules, as `torch.nn`: `Module` and `Parameter`, the containers `Sequential` and
`ModuleList`, the layers (`Linear`, `Dropout`, and the activations `ReLU`, `Tanh`, `Sigmoid`,
`Softmax`, `LeakyReLU`, `ELU`, `GELU`, `SiLU`, `Mish`, `Softplus`, `Hardtanh`, `ReLU6`,
`LogSigmoid`), the losses (`CrossEntropyLoss`, `NLLLoss`, `MSELoss`, `BCELoss`,
`BCEWithLogitsLoss`), and the submodules
`nn.functional` (the functions the modules call) and `nn.init` (initial values in place).

Where each lives: `module.py` (the base class), `containers.py`, `layers.py`, `loss.py`.
"""

from . import functional, init
from .containers import ModuleList, Sequential
from .layers import (
    ELU,
    GELU,
    Dropout,
    Hardtanh,
    LeakyReLU,
    Linear,
    LogSigmoid,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter

__all__ = [
    "ELU",
    "GELU",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Hardtanh",
    "IncompatibleKeys",
    "LeakyReLU",
    "Linear",
    "LogSigmoid",
    "MSELoss",
    "Mish",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "ReLU6",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "functional",
    "init",
]
