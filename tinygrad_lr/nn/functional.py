"""`torch.nn.functional`'s place: `import tinygrad_lr.nn.functional as F`.

The functions are those of `tinygrad_lr.functional` (one implementation, two names), where
each is written out as a composition of primitive ops.
"""

from ..functional import (
    REDUCTIONS,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    check_linear,
    check_reduction,
    class_indices,
    class_weights,
    cross_entropy,
    dropout,
    linear,
    log_softmax,
    mse_loss,
    nll_loss,
    one_hot,
    relu,
    sigmoid,
    softmax,
    tanh,
)

__all__ = [
    "REDUCTIONS",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "check_linear",
    "check_reduction",
    "class_indices",
    "class_weights",
    "cross_entropy",
    "dropout",
    "linear",
    "log_softmax",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]
