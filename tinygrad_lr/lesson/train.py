"""Every lesson's model trained three ways: by hand in NumPy, by tinygrad_lr and by PyTorch.

Each implementation is a small class with the same methods, whatever the lesson:

- `step(X, y)`: one training step (forward, loss, gradients, update); returns the loss and the
  model's outputs computed before the update;
- `gradients(X, y)`: the loss's gradient for every weight at the current weights, without
  updating;
- `weights()`: copies of the weights, in `nn.Linear`'s layouts (W (out, in), b (out,));
- `predict_proba(X)` for a classifier, `predict(X)` for a regression.

The training step is written once per implementation and shared by the lessons:
- `ByHand.step`: the lesson's forward and hand-derived gradients (`forward_backward`, the one
  thing a lesson writes), then the update of every weight in place: gradient descent or the
  hand-written Adam of `reference`;
- `Autograd.step`: PyTorch's five lines (forward, loss, `zero_grad()`, `backward()`, `step()`),
  the same for tinygrad_lr and PyTorch since the two libraries share their names; a lesson
  gives its layers (`module`) and its loss (`criterion`), and `lib` is the library.

`fit` is the training loop every lesson shares: `epochs` full-batch steps, recording the loss
and the training accuracy of each epoch (measured before that epoch's update, as the lessons
do).

Below them, the logistic-regression lesson's model, three ways (the lesson, the parity check,
the benchmarks and the tests use these):
- `HandDerived`: the lesson's formulas, `reference.gradients`: dW = (ŷ − Y)ᵀ X / N;
- `Tinygrad`: `loss.backward()`, the chain rule through tinygrad_lr's primitive ops (permute,
  matmul, add, sub, exp, sum, log, index, neg, mul, div): autograd derives the lesson's
  gradient. With `fused=True` it runs the speed path instead, `fused.linear` and
  `fused.cross_entropy`, two graph nodes whose backward is the closed form written out by hand;
- `Torch`: PyTorch's autograd.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr import fused
from tinygrad_lr.compare import largest_difference, nonfinite

from . import reference

OPTIMIZERS = ("sgd", "adam")


def torch_or_none() -> Any:
    """PyTorch if installed, else None (the lessons then run without their PyTorch column)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def required_torch() -> Any:
    """PyTorch, or an ImportError that says how to install it."""
    torch = torch_or_none()
    if torch is None:
        raise ImportError("PyTorch is not installed: pip install torch==2.13.0")
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
        loss, outputs = model.step(X, y)
        losses.append(loss)
        accuracies.append(float((outputs.argmax(axis=1) == y).mean()))
    return Run(model.name, losses, accuracies, model)


class Implementation:
    """What every implementation shares: the settings of one part of a lesson.

    `params` are the starting weights in `nn.Linear`'s layouts (copied, in `dtype`);
    `class_weight` one value per class or None; `optimizer` "sgd" or "adam" with learning rate
    `lr`; `weight_decay` λ, added as λ·p to each weight's gradient (the bias's too), as
    PyTorch's optimizers do; `dtype` float32 or float64. A subclass builds its model in
    `build(params)`; `library` names what computes it.
    """

    name = ""
    library = "numpy"
    weight_names: tuple[str, ...] = ("weight", "bias")  # in `weights()`' order, for messages

    def __init__(
        self,
        params: Sequence[np.ndarray],
        class_weight: np.ndarray | None = None,
        optimizer: str = "sgd",
        lr: float = 0.1,
        dtype: Any = np.float64,
        weight_decay: float = 0.0,
    ) -> None:
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        self.dtype = np.dtype(dtype)
        self.class_weight = None if class_weight is None else np.asarray(class_weight, self.dtype)
        self.optimizer_name, self.lr, self.weight_decay = optimizer, lr, weight_decay
        self.build([np.array(p, self.dtype) for p in params])

    def build(self, params: list[np.ndarray]) -> None:
        raise NotImplementedError

    def targets(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """y as the loss takes it: here class indices; a regression overrides this."""
        return np.asarray(y)


class ByHand(Implementation):
    """A lesson's NumPy model: its forward and hand-derived gradients (`forward_backward`, which
    the lesson writes), then gradient descent or a hand-written Adam on every weight."""

    name = "NumPy"

    def build(self, params: list[np.ndarray]) -> None:
        self.params = params
        sgd = self.optimizer_name == "sgd"
        self.update = reference.sgd_update if sgd else reference.adam_update
        self.states: list[dict] = [{} for _ in params]

    def forward_backward(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, tuple]:
        """(the loss, the model's outputs, one gradient per weight in `params`' order)."""
        raise NotImplementedError

    def step(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        loss, outputs, grads = self.forward_backward(X, y)
        for param, grad, state in zip(self.params, grads, self.states):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            self.update(param, grad, state, self.lr)
        return loss, outputs

    def gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(self.forward_backward(X, y)[2])

    def weights(self) -> tuple[np.ndarray, ...]:
        return tuple(p.copy() for p in self.params)


class Autograd(Implementation):
    """A lesson's model with a library, tinygrad_lr (`library = "tinygrad_lr"`) or PyTorch
    (`"torch"`): the same lines for both, `lib` being the library. The lesson gives its layers,
    `module(lib, params)` (built, then loaded with `params`), and its loss, `criterion(lib)`.

    Building the layers draws their initial weights from the library's generator before
    `params` replace them: draw every starting weight before building models."""

    name = "tinygrad_lr"
    library = "tinygrad_lr"

    def build(self, params: list[np.ndarray]) -> None:
        lib = self.lib = tg if self.library == "tinygrad_lr" else required_torch()
        self.tensor_dtype = getattr(lib, self.dtype.name)
        self.model = self.module(lib, params)
        with lib.no_grad():
            for param, value in zip(self.model.parameters(), params):
                param.copy_(lib.from_numpy(value))
        self.loss_fn = self.criterion(lib)
        make = lib.optim.SGD if self.optimizer_name == "sgd" else lib.optim.Adam
        self.optimizer = make(self.model.parameters(), lr=self.lr, weight_decay=self.weight_decay)

    def module(self, lib: Any, params: list[np.ndarray]) -> Any:
        raise NotImplementedError

    def criterion(self, lib: Any) -> Any:
        raise NotImplementedError

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        """(the loss, the model's outputs) for inputs X in the model's dtype."""
        outputs = self.model(self.lib.from_numpy(X))
        return self.loss_fn(outputs, self.lib.from_numpy(self.targets(X, y))), outputs

    def step(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        loss, outputs = self.loss(X, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item(), outputs.detach().numpy()

    def gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
        self.optimizer.zero_grad()
        self.loss(np.asarray(X, self.dtype), y)[0].backward()
        return tuple(p.grad.numpy().copy() for p in self.model.parameters())

    def weights(self) -> tuple[np.ndarray, ...]:
        return tuple(p.detach().numpy().copy() for p in self.model.parameters())

    def outputs(self, X: np.ndarray) -> Any:
        """The model's outputs for X, without recording a graph (a tensor of `lib`)."""
        with self.lib.no_grad():
            return self.model(self.lib.tensor(np.asarray(X), dtype=self.tensor_dtype))


class Classifier(Autograd):
    """A classifier with a library: (class-weighted) cross-entropy, and class probabilities."""

    def criterion(self, lib: Any) -> Any:
        weight = None if self.class_weight is None else lib.tensor(self.class_weight)
        return lib.nn.CrossEntropyLoss(weight=weight)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.lib.softmax(self.outputs(X), dim=1).numpy()


def available(*implementations: type) -> list[type]:
    """`implementations` in the given order, without PyTorch's when it is not installed."""
    has_torch = torch_or_none() is not None
    return [i for i in implementations if has_torch or i.library != "torch"]


# --- comparing the runs -----------------------------------------------------------------------
def nonfinite_weights(runs: list[Run]) -> list[str]:
    """ "NaN in PyTorch's weight"-style messages for every run whose trained weights are not
    finite (a diverged training); empty when all are."""
    problems = []
    for run in runs:
        for name, value in zip(run.model.weight_names, run.model.weights()):
            problem = nonfinite(value, f"{run.name}'s trained {name}")
            if problem:
                problems.append(problem)
    return problems


def weight_difference(runs: list[Run]) -> float:
    """The largest |difference| between any two runs' final weights; NaN (never a number) when
    any of them holds a NaN or inf."""
    worst = 0.0
    for i, a in enumerate(runs):
        for other in runs[i + 1 :]:
            for x, y in zip(a.model.weights(), other.model.weights()):
                difference = largest_difference(x, y)
                if not np.isfinite(difference):
                    return difference
                worst = max(worst, difference)
    return worst


def diverged(parts: list[Any]) -> bool:
    """Whether any run of any part (each with `runs`) ended with weights that are not finite."""
    return any(nonfinite_weights(part.runs) for part in parts)


# --- the logistic-regression lesson's model, three ways ---------------------------------------
class Logistic:
    """The lesson's softmax classifier: weights W (C, D) and b (C,), then the settings of
    `Implementation`: `class_weight`, `optimizer`, `lr`, `dtype`."""

    def __init__(self, W0: np.ndarray, b0: np.ndarray, *settings: Any, **options: Any) -> None:
        super().__init__((W0, b0), *settings, **options)


class HandDerived(Logistic, ByHand):
    """The lesson's NumPy model: hand-derived gradients, gradient descent or a hand-written Adam."""

    def forward_backward(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, tuple]:
        W, b = self.params
        logits = reference.forward(X, W, b)
        y_hat = reference.softmax(logits)
        loss = reference.loss(y_hat, y, self.class_weight)
        return loss, logits, reference.gradients(X, y_hat, y, self.class_weight)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return reference.softmax(reference.forward(X.astype(self.dtype), *self.params))


class Tinygrad(Logistic, Classifier):
    """The model with tinygrad_lr: nn.Linear, CrossEntropyLoss and an optimizer from `optim`.
    Gradients by autograd through primitive ops; with `fused=True`, by the fused nodes'
    closed-form rules (the speed path)."""

    def __init__(self, *args: Any, fused: bool = False, **kwargs: Any) -> None:
        if fused and self.library != "tinygrad_lr":
            raise ValueError("the fused path is tinygrad_lr's own: fused=True needs Tinygrad")
        self.fused = fused
        if fused:
            self.name = "tinygrad_lr fused"
        super().__init__(*args, **kwargs)

    def module(self, lib: Any, params: list[np.ndarray]) -> Any:
        classes, features = params[0].shape
        return lib.nn.Linear(features, classes, dtype=self.tensor_dtype)

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        if not self.fused:
            return super().loss(X, y)
        logits = fused.linear(tg.from_numpy(X), self.model.weight, self.model.bias)
        return fused.cross_entropy(logits, y, weight=self.loss_fn.weight), logits


class Torch(Tinygrad):
    """The same model and the same code, on PyTorch."""

    name = "PyTorch"
    library = "torch"


def implementations() -> list[type]:
    """The implementations available here, in the lesson's order: PyTorch's only if installed."""
    return available(HandDerived, Tinygrad, Torch)
