"""Optimizers and learning-rate schedulers, written as PyTorch documents its algorithms so that
trajectories match step for step.

An optimizer holds parameter groups, as PyTorch's do: `Adam(model.parameters(), lr=0.1)` makes
one group; `Adam([{"params": a}, {"params": b, "lr": 0.01}], lr=0.1)` two, the second with its
own learning rate. Each update works in place on `p.array`, the same array the model uses, never
records a graph (an update is not part of the model's computation) and counts as an in-place
change: a graph built before `step()` can no longer be differentiated (see `VersionCounter`).

    optimizer.py     Optimizer: parameter groups, step, zero_grad, state_dict
    sgd.py           SGD
    adam.py          Adam, AdamW
    rmsprop.py       RMSprop
    lr_scheduler.py  StepLR, ExponentialLR, LambdaLR
"""

from . import lr_scheduler
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
