"""What is timed: the problems, their data, and each implementation's training step.

Every training-step implementation is built by `IMPLEMENTATIONS[name](W, b, class_weight)` from
the same initial weights and returns `step(X, y) -> loss` (the loss before the update, a float).
All are float32, Adam with the same settings, class-weighted cross-entropy with PyTorch's
weighted mean:

- `floor`: the leanest NumPy step (`floor.Floor`), logits class-major;
- `floor (N, C)`: the same with PyTorch's logits layout (`floor.FloorRowMajor`);
- `primitives floor`: the composite's primitive ops and backward rules, one NumPy call each
  into buffers allocated once, no engine (`floor.PrimitivesFloor`);
- `lesson NumPy`: the lesson's hand-derived step (`tinygrad_lr.lesson.train.HandDerived`), the
  NumPy column this benchmark used to compare with;
- `tinygrad_lr`: the step as a user writes it (`user_step`): `nn.Linear`,
  `nn.CrossEntropyLoss(weight=)`, `optim.Adam`, `from_numpy` batches; autograd through the
  primitive ops;
- `tinygrad_lr fused`: the same with `fused.linear` and `fused.cross_entropy`, the optional path;
- `PyTorch`: `user_step` with torch (eager, CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr import fused

from .floor import Floor, FloorRowMajor, PrimitivesFloor

LR = 1e-3  # Adam's learning rate, every column
DTYPE = np.float32
Step = Callable[[np.ndarray, np.ndarray], float]


@dataclass(frozen=True)
class Problem:
    """A training problem: N rows of D features, C classes, mini-batches of `batch` rows (None:
    the full batch every step), and how many steps one timed block runs."""

    rows: int
    features: int
    classes: int
    batch: int | None
    steps_per_block: int

    def shape(self) -> str:
        batch = "full batch" if self.batch is None else f"batches of {self.batch}"
        return f"{self.rows:,}×{self.features}, {self.classes:,} classes, {batch}"


PROBLEMS = {
    "lesson": Problem(700, 2, 2, None, 100),
    "batch": Problem(100_000, 64, 10, 64, 200),
    "wide": Problem(100_000, 64, 10, None, 3),
    "many-classes": Problem(10_000, 64, 1_000, None, 2),
}
# --quick: the same kinds of problem, small enough for a smoke run
QUICK_PROBLEMS = {
    "lesson": Problem(700, 2, 2, None, 10),
    "batch": Problem(2_000, 64, 10, 64, 20),
    "wide": Problem(2_000, 64, 10, None, 3),
    "many-classes": Problem(500, 64, 100, None, 2),
}


def make_data(rows: int, features: int, classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (rows, features) float32 with some signal, y class indices (int64), and the class
    weights 1 / count, as the lesson weighs its classes."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, rows)
    X = rng.standard_normal((rows, features), dtype=DTYPE)
    X += (y % 3)[:, None].astype(DTYPE)  # some signal, so that training is not on noise
    counts = np.maximum(np.bincount(y, minlength=classes), 1)
    return X, y, (1.0 / counts).astype(DTYPE)


def initial_weights(features: int, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """W (C, D) and b (C,), uniform in ±1/√D as `nn.Linear` draws them."""
    rng = np.random.default_rng(1)
    bound = 1 / np.sqrt(features)
    W = rng.uniform(-bound, bound, (classes, features)).astype(DTYPE)
    return W, rng.uniform(-bound, bound, classes).astype(DTYPE)


def batches(problem: Problem, X: np.ndarray, y: np.ndarray) -> Callable[[int], tuple]:
    """`batch(s)`: the data of step s (views, no copies): the full batch, or the next
    mini-batch in order, wrapping around."""
    if problem.batch is None:
        return lambda s: (X, y)
    size, count = problem.batch, len(y) // problem.batch

    def batch(s: int) -> tuple[np.ndarray, np.ndarray]:
        start = s % count * size
        return X[start : start + size], y[start : start + size]

    return batch


def user_step(lib: Any, W: np.ndarray, b: np.ndarray, class_weight: np.ndarray) -> Step:
    """The training step as a user writes it, the same lines for tinygrad_lr and PyTorch (`lib`
    is either module)."""
    model = lib.nn.Linear(W.shape[1], W.shape[0])
    model.load_state_dict({"weight": lib.tensor(W), "bias": lib.tensor(b)})
    loss_fn = lib.nn.CrossEntropyLoss(weight=lib.tensor(class_weight))
    optimizer = lib.optim.Adam(model.parameters(), lr=LR)

    def step(X: np.ndarray, y: np.ndarray) -> float:
        logits = model(lib.from_numpy(X))
        loss = loss_fn(logits, lib.from_numpy(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def fused_step(W: np.ndarray, b: np.ndarray, class_weight: np.ndarray) -> Step:
    """`user_step` for tinygrad_lr with the fused ops in place of the layer and the loss."""
    model = tg.nn.Linear(W.shape[1], W.shape[0])
    model.load_state_dict({"weight": W, "bias": b})
    weight = tg.tensor(class_weight)
    optimizer = tg.optim.Adam(model.parameters(), lr=LR)

    def step(X: np.ndarray, y: np.ndarray) -> float:
        logits = fused.linear(tg.from_numpy(X), model.weight, model.bias)
        loss = fused.cross_entropy(logits, tg.from_numpy(y), weight=weight)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def lesson_step(W: np.ndarray, b: np.ndarray, class_weight: np.ndarray) -> Step:
    """The lesson's hand-derived NumPy step (closed-form gradients, textbook Adam)."""
    from tinygrad_lr.lesson.train import HandDerived

    model = HandDerived(W, b, class_weight=class_weight, optimizer="adam", lr=LR, dtype=DTYPE)
    return lambda X, y: model.step(X, y)[0]


def torch_module() -> Any:
    """PyTorch on one thread, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


IMPLEMENTATIONS: dict[str, Callable[..., Step]] = {
    "floor": lambda W, b, cw: Floor(W, b, cw, LR).step,
    "floor (N, C)": lambda W, b, cw: FloorRowMajor(W, b, cw, LR).step,
    "primitives floor": lambda W, b, cw: PrimitivesFloor(W, b, cw, LR).step,
    "lesson NumPy": lesson_step,
    "tinygrad_lr": lambda W, b, cw: user_step(tg, W, b, cw),
    "tinygrad_lr fused": fused_step,
    "PyTorch": lambda W, b, cw: user_step(torch_module(), W, b, cw),
}


# --- graphs of tiny ops: the same code for both libraries ------------------------------------
def chain(lib: Any, ops: int) -> tuple[float, float]:
    """Forward and backward through `ops` scalar ops, y = y · 1.0001 + 0.0 repeated on a
    one-element tensor; returns y and dy/dx. The graph is freed when this returns."""
    x = lib.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(ops // 2):
        y = y * 1.0001 + 0.0
    y.backward()
    return y.item(), x.grad.item()


def op_chain(lib: Any, ops: int) -> tuple[Any, Any]:
    """A one-element leaf x and y = x · 1.0001 · 1.0001 ··· (`ops` multiplications)."""
    x = lib.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(ops):
        y = y * 1.0001
    return x, y
