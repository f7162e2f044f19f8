"""Modules, as `torch.nn`: `Module` and `Parameter`, the containers `Sequential` and
`ModuleList`, the layers (`Linear`, `ReLU`, `Tanh`, `Sigmoid`, `Softmax`, `Dropout`), the losses
(`CrossEntropyLoss`, `NLLLoss`, `MSELoss`, `BCELoss`, `BCEWithLogitsLoss`), and the submodules
`nn.functional` (the functions the modules call) and `nn.init` (initial values in place).

Where each lives: `module.py` (the base class), `containers.py`, `layers.py`, `loss.py`.
"""

from . import functional, init
from .containers import ModuleList, Sequential
from .layers import Dropout, Linear, ReLU, Sigmoid, Softmax, Tanh
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module, Parameter

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "IncompatibleKeys",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "functional",
    "init",
]
