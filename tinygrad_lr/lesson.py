"""The lesson's pipeline, step by step: data, then the model trained three ways.

The lesson's figures depend on the order of its random draws from NumPy's global generator
(shuffle, two splits, the NumPy model's weights) and on `torch.manual_seed` before the PyTorch
model is built. The functions below keep that order; the lesson script and the `tinygrad-lr
lesson` command both call them in sequence.

Two parts, as in the lesson:
- part 1, the lesson's NumPy model: unweighted cross-entropy, gradient descent (SGD), float64;
- part 2, the lesson's PyTorch model: class-weighted cross-entropy, Adam, float32.
Each part is trained by the hand-derived NumPy code, by tinygrad_lr and by PyTorch, all
started from the same weights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tinygrad_lr as tg

from . import reference
from .data import FEATURES, TARGET, LabelEncoder

TRAIN_SIZE = 0.7  # then the rest is halved: validation 15%, test 15%


def torch_or_none() -> Any:
    """PyTorch if installed, else None (the lesson then runs without its PyTorch column)."""
    try:
        import torch
    except ImportError:
        return None
    return torch


@dataclass
class Prepared:
    """The split, encoded and standardised data, and what was learned from the training split."""

    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    encoder: LabelEncoder
    scaler: StandardScaler
    class_weights: np.ndarray

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.y_train), "val": len(self.y_val), "test": len(self.y_test)}


def prepare(df: Any, seed: int) -> Prepared:
    """Shuffle, split 70/15/15 stratified, encode labels, weight classes, standardise.

    Seeds NumPy's global generator, as the lesson does, and draws from it in the lesson's order.
    """
    np.random.seed(seed)
    df = df.sample(frac=1).reset_index(drop=True)
    X, y = df[list(FEATURES)].to_numpy(), df[TARGET].to_numpy()
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, train_size=TRAIN_SIZE, stratify=y)
    X_val, X_test, y_val, y_test = train_test_split(X_rest, y_rest, train_size=0.5, stratify=y_rest)
    encoder = LabelEncoder().fit(y_train)
    y_train, y_val, y_test = (encoder.encode(v) for v in (y_train, y_val, y_test))
    class_weights = 1.0 / np.bincount(y_train)  # rarer classes count more in the loss
    scaler = StandardScaler().fit(X_train)
    return Prepared(
        scaler.transform(X_train),
        scaler.transform(X_val),
        scaler.transform(X_test),
        y_train,
        y_val,
        y_test,
        X_train,
        X_test,
        encoder,
        scaler,
        class_weights,
    )


def init_numpy_weights(input_dim: int, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's initialisation: W small random normal (D, C), b zeros (1, C)."""
    return 0.01 * np.random.randn(input_dim, num_classes), np.zeros((1, num_classes))


@dataclass
class Run:
    """One implementation's training: per-epoch loss and accuracy, final weights, predictor.

    `W` has nn.Linear's layout (C, D); `b` is (C,).
    """

    name: str
    losses: list[float]
    accuracies: list[float]
    W: np.ndarray
    b: np.ndarray
    predict_proba: Callable[[np.ndarray], np.ndarray] = field(repr=False)


# --- part 1: unweighted cross-entropy and gradient descent, float64 ----------------------------
def numpy_sgd(p: Prepared, W0: np.ndarray, b0: np.ndarray, lr: float, epochs: int) -> Run:
    """The lesson's hand-derived NumPy model: W is (D, C) here, stored transposed in the Run."""
    W, b, losses, accuracies = reference.train(p.X_train, p.y_train, W0, b0, lr, epochs)
    return Run(
        "NumPy",
        losses,
        accuracies,
        W.T.copy(),
        b[0].copy(),
        lambda X: reference.softmax(reference.forward(X, W, b)),
    )


def tinygrad_sgd(p: Prepared, W0: np.ndarray, b0: np.ndarray, lr: float, epochs: int) -> Run:
    """The same model with tinygrad_lr: nn.Linear, CrossEntropyLoss, optim.SGD."""
    model = tg.nn.Linear(W0.shape[0], W0.shape[1], dtype=np.float64)
    model.load_state_dict({"weight": W0.T, "bias": b0[0]})
    return _train_tinygrad(
        "tinygrad_lr",
        model,
        tg.nn.CrossEntropyLoss(),
        tg.optim.SGD(model.parameters(), lr=lr),
        p,
        epochs,
    )


def torch_sgd(p: Prepared, W0: np.ndarray, b0: np.ndarray, lr: float, epochs: int) -> Run:
    torch = torch_or_none()
    model = torch.nn.Linear(W0.shape[0], W0.shape[1], dtype=torch.float64)
    model.load_state_dict({"weight": torch.tensor(W0.T), "bias": torch.tensor(b0[0])})
    return _train_torch(
        "PyTorch",
        model,
        torch.nn.CrossEntropyLoss(),
        torch.optim.SGD(model.parameters(), lr=lr),
        p,
        epochs,
        torch.float64,
    )


# --- part 2: class-weighted cross-entropy and Adam, float32 ------------------------------------
def initial_linear(p: Prepared, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The PyTorch model's first weights: `torch.manual_seed(seed)` then `nn.Linear`, as the
    lesson does; without PyTorch, tinygrad_lr's own initialisation with the same seed."""
    D, C = p.X_train.shape[1], len(p.encoder)
    torch = torch_or_none()
    if torch is None:
        tg.manual_seed(seed)
        layer = tg.nn.Linear(D, C)
        return layer.weight.data.copy(), layer.bias.data.copy()
    torch.manual_seed(seed)
    layer = torch.nn.Linear(D, C)
    return layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()


def numpy_adam(p: Prepared, W0: np.ndarray, b0: np.ndarray, lr: float, epochs: int) -> Run:
    """Hand-derived weighted gradients, updated by a hand-written Adam, in float32."""
    X, y = p.X_train.astype(np.float32), p.y_train
    w = p.class_weights.astype(np.float32)
    W, b = W0.T.astype(np.float32), b0[None, :].astype(np.float32)  # lesson layout (D, C)
    states: tuple[dict, dict] = ({}, {})
    losses, accuracies = [], []
    for _ in range(epochs):
        logits = reference.forward(X, W, b)
        y_hat = reference.softmax(logits)
        losses.append(reference.loss(y_hat, y, w))
        accuracies.append(float((logits.argmax(axis=1) == y).mean()))
        for param, grad, state in zip((W, b), reference.gradients(X, y_hat, y, w), states):
            reference.adam_update(param, grad, state, lr)
    return Run(
        "NumPy",
        losses,
        accuracies,
        W.T.copy(),
        b[0].copy(),
        lambda X: reference.softmax(reference.forward(X.astype(np.float32), W, b)),
    )


def tinygrad_adam(p: Prepared, W0: np.ndarray, b0: np.ndarray, lr: float, epochs: int) -> Run:
    model = tg.nn.Linear(W0.shape[1], W0.shape[0])
    model.load_state_dict({"weight": W0, "bias": b0})
    loss_fn = tg.nn.CrossEntropyLoss(weight=p.class_weights.astype(np.float32))
    return _train_tinygrad(
        "tinygrad_lr", model, loss_fn, tg.optim.Adam(model.parameters(), lr=lr), p, epochs
    )


def torch_adam(p: Prepared, W0: np.ndarray, b0: np.ndarray, lr: float, epochs: int) -> Run:
    torch = torch_or_none()
    model = torch.nn.Linear(W0.shape[1], W0.shape[0])
    model.load_state_dict({"weight": torch.tensor(W0), "bias": torch.tensor(b0)})
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(p.class_weights, dtype=torch.float32))
    return _train_torch(
        "PyTorch",
        model,
        loss_fn,
        torch.optim.Adam(model.parameters(), lr=lr),
        p,
        epochs,
        torch.float32,
    )


def trainers(part: int) -> list[Callable[..., Run]]:
    """The implementations of part 1 or 2 available here (PyTorch's only if installed)."""
    chosen = (
        [numpy_sgd, tinygrad_sgd, torch_sgd]
        if part == 1
        else [numpy_adam, tinygrad_adam, torch_adam]
    )
    return chosen if torch_or_none() is not None else chosen[:2]


# --- the training loops, written the same way for both libraries -------------------------------
def _train_tinygrad(
    name: str, model: Any, loss_fn: Any, optimizer: Any, p: Prepared, epochs: int
) -> Run:
    dtype = model.weight.dtype
    X = tg.Tensor(p.X_train.astype(dtype))
    losses, accuracies = [], []
    for _ in range(epochs):
        logits = model(X)
        loss = loss_fn(logits, p.y_train)
        losses.append(loss.item())
        accuracies.append(float((logits.data.argmax(axis=1) == p.y_train).mean()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def predict_proba(X_new: np.ndarray) -> np.ndarray:
        with tg.no_grad():
            return tg.functional.softmax(model(tg.Tensor(X_new.astype(dtype))), dim=1).data

    return Run(
        name, losses, accuracies, model.weight.data.copy(), model.bias.data.copy(), predict_proba
    )


def _train_torch(
    name: str, model: Any, loss_fn: Any, optimizer: Any, p: Prepared, epochs: int, dtype: Any
) -> Run:
    torch = torch_or_none()
    X, y = torch.tensor(p.X_train, dtype=dtype), torch.tensor(p.y_train)
    losses, accuracies = [], []
    for _ in range(epochs):
        logits = model(X)
        loss = loss_fn(logits, y)
        losses.append(loss.item())
        accuracies.append(float((logits.argmax(dim=1) == y).double().mean()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    def predict_proba(X_new: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return torch.softmax(model(torch.tensor(X_new, dtype=dtype)), dim=1).numpy()

    return Run(
        name,
        losses,
        accuracies,
        model.weight.detach().numpy().copy(),
        model.bias.detach().numpy().copy(),
        predict_proba,
    )


# --- evaluation --------------------------------------------------------------------------------
def accuracy(run: Run, X: np.ndarray, y: np.ndarray) -> float:
    return float((run.predict_proba(X).argmax(axis=1) == y).mean())


def per_class_metrics(run: Run, p: Prepared) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per class on the test split (scikit-learn)."""
    y_pred = run.predict_proba(p.X_test).argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(p.y_test, y_pred, average=None)
    return {
        c: {"precision": precision[i], "recall": recall[i], "f1": f1[i], "support": support[i]}
        for i, c in enumerate(p.encoder.classes)
    }


def largest_difference(runs: list[Run]) -> float:
    """The largest |difference| between any two runs' final weights and biases."""
    worst = 0.0
    for i, a in enumerate(runs):
        for other in runs[i + 1 :]:
            worst = max(
                worst, float(np.abs(a.W - other.W).max()), float(np.abs(a.b - other.b).max())
            )
    return worst


def unstandardized(run: Run, p: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """The run's weights for raw (unstandardised) inputs, in nn.Linear layout (C, D) and (C,)."""
    W_raw, b_raw = reference.unstandardize(run.W.T, run.b, p.scaler.mean_, p.scaler.scale_)
    return W_raw.T, b_raw
