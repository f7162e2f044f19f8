"""The lesson's model trained three ways: by hand in NumPy, by tinygrad_lr and by PyTorch.

Each implementation is a small class with the same four methods, and each writes its training
step once (tinygrad_lr's and PyTorch's is the same code, `Autograd.step`, since the two libraries
share their names); the lesson, the parity check, the benchmarks and the tests all use these:

- `step(X, y)`: one training step (forward, loss, gradients, update); returns the loss and the
  logits computed before the update;
- `gradients(X, y)`: dJ/dW and dJ/db at the current weights, without updating;
- `predict_proba(X)`: class probabilities;
- `weights()`: copies of W (C, D) and b (C,), PyTorch's `nn.Linear` layout.

`fit` is the training loop they share: `epochs` full-batch steps, recording the loss and the
training accuracy of each epoch (measured before that epoch's update, as the lesson does).

Where the gradients come from:
- `HandDerived`: the lesson's formulas, `reference.gradients`: dW = (ŷ − Y)ᵀ X / N;
- `Tinygrad`: `loss.backward()`, the chain rule through tinygrad_lr's primitive ops (permute,
  matmul, add, sub, exp, sum, log, index, neg, mul, div): autograd derives the lesson's
  gradient. With `fused=True` it runs the speed path instead, `fused.linear` and
  `fused.cross_entropy`, two graph nodes whose backward is the closed form written out by hand;
- `Torch`: PyTorch's autograd.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr import fused

from . import reference

OPTIMIZERS = ("sgd", "adam")


def torch_or_none() -> Any:
    """PyTorch if installed, else None (the lesson then runs without its PyTorch column)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass
class Run:
    """One implementation's training: per-epoch loss and accuracy, and the trained model."""

    name: str
    losses: list[float]
    accuracies: list[float]
    model: Any

    @property
    def W(self) -> np.ndarray:  # noqa: N802 - the field's name
        return self.model.weights()[0]

    @property
    def b(self) -> np.ndarray:
        return self.model.weights()[1]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(X)


def fit(model: Any, X: np.ndarray, y: np.ndarray, epochs: int) -> Run:
    """The training loop, the same for every implementation: `epochs` full-batch steps."""
    X = X.astype(model.dtype)
    losses, accuracies = [], []
    for _ in range(epochs):
        loss, logits = model.step(X, y)
        losses.append(loss)
        accuracies.append(float((logits.argmax(axis=1) == y).mean()))
    return Run(model.name, losses, accuracies, model)


class Implementation:
    """What the three implementations share: the settings of one part of the lesson.

    `W0` (C, D) and `b0` (C,) are the starting weights (copied), `class_weight` one value per
    class or None, `optimizer` "sgd" or "adam" with learning rate `lr`, `dtype` float32 or
    float64. A subclass builds its model in `build(W0, b0)`.
    """

    name = ""

    def __init__(
        self,
        W0: np.ndarray,
        b0: np.ndarray,
        class_weight: np.ndarray | None = None,
        optimizer: str = "sgd",
        lr: float = 0.1,
        dtype: Any = np.float64,
    ) -> None:
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        self.dtype = np.dtype(dtype)
        self.class_weight = None if class_weight is None else np.asarray(class_weight, self.dtype)
        self.optimizer_name, self.lr = optimizer, lr
        self.build(np.array(W0, self.dtype), np.array(b0, self.dtype))

    def build(self, W0: np.ndarray, b0: np.ndarray) -> None:
        raise NotImplementedError


class HandDerived(Implementation):
    """The lesson's NumPy model: hand-derived gradients, gradient descent or a hand-written Adam."""

    name = "NumPy"

    def build(self, W0: np.ndarray, b0: np.ndarray) -> None:
        self.W, self.b = W0, b0
        self.update = (
            reference.sgd_update if self.optimizer_name == "sgd" else reference.adam_update
        )
        self.states: tuple[dict, dict] = ({}, {})

    def step(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        logits = reference.forward(X, self.W, self.b)
        y_hat = reference.softmax(logits)
        loss = reference.loss(y_hat, y, self.class_weight)
        grads = reference.gradients(X, y_hat, y, self.class_weight)
        for param, grad, state in zip((self.W, self.b), grads, self.states):
            self.update(param, grad, state, self.lr)
        return loss, logits

    def gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y_hat = reference.softmax(reference.forward(X, self.W, self.b))
        return reference.gradients(X, y_hat, y, self.class_weight)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return reference.softmax(reference.forward(X.astype(self.dtype), self.W, self.b))

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.W.copy(), self.b.copy()


class Autograd(Implementation):
    """The training step as PyTorch code writes it, the same lines for tinygrad_lr and PyTorch:
    forward, loss, `zero_grad()`, `backward()`, `step()`. A subclass builds `self.model`,
    `self.optimizer` and `loss(X, y)` with its library."""

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        raise NotImplementedError

    def step(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        loss, logits = self.loss(X, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item(), logits.detach().numpy()

    def gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.model.zero_grad()
        self.loss(X, y)[0].backward()
        return self.model.weight.grad.numpy().copy(), self.model.bias.grad.numpy().copy()

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            self.model.weight.detach().numpy().copy(),
            self.model.bias.detach().numpy().copy(),
        )


class Tinygrad(Autograd):
    """The model with tinygrad_lr: nn.Linear, CrossEntropyLoss and an optimizer from `optim`.
    Gradients by autograd through primitive ops; with `fused=True`, by the fused nodes'
    closed-form rules (the speed path)."""

    def __init__(self, *args: Any, fused: bool = False, **kwargs: Any) -> None:
        self.fused = fused
        self.name = "tinygrad_lr fused" if fused else "tinygrad_lr"
        super().__init__(*args, **kwargs)

    def build(self, W0: np.ndarray, b0: np.ndarray) -> None:
        C, D = W0.shape
        self.model = tg.nn.Linear(D, C, dtype=self.dtype)
        self.model.load_state_dict({"weight": W0, "bias": b0})
        self.loss_fn = tg.nn.CrossEntropyLoss(weight=self.class_weight)
        make = tg.optim.SGD if self.optimizer_name == "sgd" else tg.optim.Adam
        self.optimizer = make(self.model.parameters(), lr=self.lr)

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        X = tg.from_numpy(X)
        if not self.fused:
            logits = self.model(X)
            return self.loss_fn(logits, y), logits
        logits = fused.linear(X, self.model.weight, self.model.bias)
        return fused.cross_entropy(logits, y, weight=self.loss_fn.weight), logits

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        with tg.no_grad():
            logits = self.model(tg.Tensor(X, dtype=self.dtype))
            return tg.functional.softmax(logits, dim=1).numpy()


class Torch(Autograd):
    """The same model in PyTorch: torch.nn.Linear, CrossEntropyLoss, torch.optim."""

    name = "PyTorch"

    def build(self, W0: np.ndarray, b0: np.ndarray) -> None:
        torch = self.torch = torch_or_none()
        if torch is None:
            raise ImportError("PyTorch is not installed: pip install torch==2.13.0")
        self.torch_dtype = getattr(torch, self.dtype.name)
        C, D = W0.shape
        self.model = torch.nn.Linear(D, C, dtype=self.torch_dtype)
        self.model.load_state_dict({"weight": torch.tensor(W0), "bias": torch.tensor(b0)})
        weight = None if self.class_weight is None else torch.tensor(self.class_weight)
        self.loss_fn = torch.nn.CrossEntropyLoss(weight=weight)
        make = torch.optim.SGD if self.optimizer_name == "sgd" else torch.optim.Adam
        self.optimizer = make(self.model.parameters(), lr=self.lr)

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        logits = self.model(self.torch.from_numpy(X))
        return self.loss_fn(logits, self.torch.from_numpy(y)), logits

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            logits = self.model(self.torch.tensor(X, dtype=self.torch_dtype))
            return self.torch.softmax(logits, dim=1).numpy()


def implementations() -> list[type]:
    """The implementations available here, in the lesson's order: PyTorch's only if installed."""
    chosen: list[type] = [HandDerived, Tinygrad]
    return [*chosen, Torch] if torch_or_none() is not None else chosen
