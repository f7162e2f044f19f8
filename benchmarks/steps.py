"""One training step (forward, class-weighted cross-entropy, backward, Adam) per implementation.

Each `make_*` function builds a model for a problem and returns `step(X, y)`; all three start
from the same weights and use the same Adam settings, so their work is the same.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_lr import reference

LR = 1e-3
Step = Callable[[np.ndarray, np.ndarray], None]


def initial_weights(D: int, C: int, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    bound = 1 / np.sqrt(D)
    return (
        rng.uniform(-bound, bound, (C, D)).astype(dtype),
        rng.uniform(-bound, bound, C).astype(dtype),
    )


def make_numpy(D: int, C: int, class_weight: np.ndarray, dtype: type) -> Step:
    """The hand-derived loop: closed-form weighted gradients, Adam written out in NumPy."""
    W, b = initial_weights(D, C, dtype)
    W, b = W.T.copy(), b[None, :].copy()  # the lesson's layout, (D, C) and (1, C)
    w = class_weight.astype(dtype)
    states: tuple[dict, dict] = ({}, {})

    def step(X: np.ndarray, y: np.ndarray) -> None:
        y_hat = reference.softmax(X @ W + b)
        for param, grad, state in zip((W, b), reference.gradients(X, y_hat, y, w), states):
            reference.adam_update(param, grad, state, LR)

    return step


def make_tinygrad(D: int, C: int, class_weight: np.ndarray, dtype: type) -> Step:
    import tinygrad_lr as tg

    model = tg.nn.Linear(D, C, dtype=dtype)
    W, b = initial_weights(D, C, dtype)
    model.load_state_dict({"weight": W, "bias": b})
    loss_fn = tg.nn.CrossEntropyLoss(weight=class_weight.astype(dtype))
    optimizer = tg.optim.Adam(model.parameters(), lr=LR)

    def step(X: np.ndarray, y: np.ndarray) -> None:
        optimizer.zero_grad()
        loss_fn(model(tg.from_numpy(X)), y).backward()
        optimizer.step()

    return step


def make_torch(D: int, C: int, class_weight: np.ndarray, dtype: type) -> Step:
    import torch

    torch_dtype = getattr(torch, np.dtype(dtype).name)
    model = torch.nn.Linear(D, C, dtype=torch_dtype)
    W, b = initial_weights(D, C, dtype)
    model.load_state_dict({"weight": torch.tensor(W), "bias": torch.tensor(b)})
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(class_weight, dtype=torch_dtype))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)

    def step(X: np.ndarray, y: np.ndarray) -> None:
        optimizer.zero_grad()
        loss_fn(model(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        optimizer.step()

    return step


IMPLEMENTATIONS = {"numpy": make_numpy, "tinygrad_lr": make_tinygrad, "torch": make_torch}
