"""Made With ML's *Neural Networks* lesson, trained three ways: by hand, tinygrad_lr, PyTorch.

Three interleaved spiral arms, one class each, in the plane (`data.load_spiral`, or
`data.make_spiral` offline). The lesson trains, in order:

- part 1, a linear model (two `nn.Linear` layers with nothing between them: still a line per
  class) with a class-weighted cross-entropy and Adam (lr 1e-2, 10 epochs, float32). It fails;
- part 2, its NumPy two-layer network with ReLU, gradients derived by hand, gradient descent
  (lr 1, 1000 epochs, float64 on inputs rounded to float32 by its tensor round trip);
- part 3, the same network in PyTorch (class-weighted loss, Adam lr 1e-2, 100 epochs, float32).

Each part is trained here by the hand-derived NumPy code, by tinygrad_lr (autograd through
primitive ops) and by PyTorch, from the same starting weights. The lesson's random calls are kept
in its order: NumPy's global generator shuffles the rows (pandas' `sample`), makes the two
stratified splits and draws the NumPy weights (a demonstration pair, then the training pair);
PyTorch's, after `manual_seed`, draws the linear model's two layers, then the network's.

The network by hand, weights in `nn.Linear`'s layout (W1 (H, D), W2 (C, H); the lesson writes
their transposes), w[y] the class weights (ones in part 2):

    z1 = X W1ᵀ + b1,   a1 = max(0, z1),   logits = a1 W2ᵀ + b2,   ŷ = softmax(logits)
    J = Σᵢ w[yᵢ] (−log ŷ[i, yᵢ]) / Σᵢ w[yᵢ]
    dlogits = w[y] (ŷ − Y) / Σ w[y]                      (the softmax and cross-entropy together)
    dW2 = dlogitsᵀ a1,   db2 = Σᵢ dlogits[i]
    da1 = dlogits W2,    dz1 = da1 · [z1 > 0]             (ReLU passes the gradient where it fired)
    dW1 = dz1ᵀ X,        db1 = Σᵢ dz1[i]

The lesson writes the ReLU step as `dhidden[a1 <= 0] = 0`: the same mask, since a1 ≤ 0 exactly
where z1 ≤ 0. The linear model is the same with a1 = z1 and no mask.

The three implementations are `train.py`'s (`ByHand`, `Autograd`: each training step written
once for every lesson) with this network's forward, gradients, layers and loss; the report's
text and the pictures are drawn with `report.py` and `plots.py`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_lr as tg

from . import data, plots, reference, report, train

SEED = 1234
TRAIN_SIZE = 0.7
HIDDEN_DIM = 100
FEATURES, TARGET = data.SPIRAL_COLUMNS[:2], data.SPIRAL_COLUMNS[2]
INFERENCE_X = (0.1, 0.1)  # the lesson's inference point, X1 and X2 before standardising

# The parts: (title, ReLU?, optimizer, lr, epochs, print every, class-weighted?, dtype)
PARTS = (
    (
        "the linear model: two nn.Linear layers, no activation",
        False,
        "adam",
        1e-2,
        10,
        1,
        True,
        np.float32,
    ),
    ("the NumPy network: ReLU, gradient descent", True, "sgd", 1.0, 1000, 100, False, np.float64),
    ("the PyTorch network: ReLU, Adam", True, "adam", 1e-2, 100, 10, True, np.float32),
)

# The figures the notebook prints (its script run under PyTorch): (part, what, as printed).
PUBLISHED = (
    (
        1,
        "first and last epoch",
        ("Epoch: 0 | loss: 1.13, accuracy: 49.9", "Epoch: 9 | loss: 0.78, accuracy: 53.9"),
    ),
    (
        2,
        "first and last printed epoch",
        ("Epoch: 0, loss: 1.099, accuracy: 0.349", "Epoch: 900, loss: 0.041, accuracy: 0.995"),
    ),
    (
        3,
        "first and last printed epoch",
        ("Epoch: 0 | loss: 1.11, accuracy: 24.3", "Epoch: 90 | loss: 0.11, accuracy: 97.7"),
    ),
    (3, "inference at X1 = X2 = 0.1", ("The probability that you have c1 is 92%",)),
)


# --- the data ----------------------------------------------------------------------------------
def load_data(choice: str | Path = "synthetic", seed: int = SEED) -> tuple[Any, str]:
    """'synthetic' (made offline by `data.make_spiral`) or the path of the lesson's spiral.csv
    → (DataFrame, description)."""
    if str(choice) == "synthetic":
        return data.make_spiral(seed), "synthetic spirals (make_spiral, offline)"
    return data.load_spiral(choice), f"the lesson's CSV ({Path(choice).name})"


def prepare(df: Any) -> data.Prepared:
    """The lesson's steps (`data.prepare`): shuffle, stratified 70/15/15 split, labels c1, c2, c3
    encoded 0, 1, 2, class weights 1/count, inputs standardised and rounded to float32 as the
    lesson's tensors hold them."""
    return data.prepare(df, FEATURES, TARGET, TRAIN_SIZE, rounded_to=np.float32)


# --- the network, by hand ----------------------------------------------------------------------
def forward(X: np.ndarray, params: tuple, relu: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(z1, logits): z1 = X W1ᵀ + b1, logits = max(0, z1) W2ᵀ + b2 (z1 W2ᵀ + b2 without ReLU)."""
    W1, b1, W2, b2 = params
    z1 = X @ W1.T + b1
    a1 = np.maximum(0, z1) if relu else z1
    return z1, a1 @ W2.T + b2


def gradients(X, y, params, class_weight=None, relu: bool = True) -> tuple[np.ndarray, ...]:
    """dW1, db1, dW2, db2 by the chain rule written out in the module's docstring."""
    W2 = params[2]
    z1, logits = forward(X, params, relu)
    a1 = np.maximum(0, z1) if relu else z1
    dlogits = reference.dlogits(reference.softmax(logits), y, class_weight)
    dW2, db2 = dlogits.T @ a1, dlogits.sum(axis=0)
    da1 = dlogits @ W2
    dz1 = da1 * (z1 > 0) if relu else da1
    return dz1.T @ X, dz1.sum(axis=0), dW2, db2


# --- trained three ways ------------------------------------------------------------------------
class Network:
    """The lesson's network: `params` (W1, b1, W2, b2) in `nn.Linear`'s layout; `relu` False
    for the linear model; then the settings of `train.Implementation`."""

    weight_names = ("W1", "b1", "W2", "b2")

    def __init__(self, params: Any, *settings: Any, relu: bool = True, **options: Any) -> None:
        self.relu = relu
        super().__init__(params, *settings, **options)


class HandDerived(Network, train.ByHand):
    """The lesson's NumPy network: the gradients above, gradient descent or a hand-written Adam."""

    def forward_backward(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, tuple]:
        _, logits = forward(X, self.params, self.relu)
        loss = reference.loss(reference.softmax(logits), y, self.class_weight)
        return loss, logits, gradients(X, y, self.params, self.class_weight, self.relu)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return reference.softmax(forward(X.astype(self.dtype), self.params, self.relu)[1])


class Tinygrad(Network, train.Classifier):
    """The network with tinygrad_lr: nn.Linear, nn.ReLU, nn.Linear in an nn.Sequential;
    autograd through primitive ops (matmul, add, relu, …)."""

    def module(self, lib: Any, params: list[np.ndarray]) -> Any:
        (hidden, inputs), classes = params[0].shape, params[2].shape[0]
        return lib.nn.Sequential(
            lib.nn.Linear(inputs, hidden, dtype=self.tensor_dtype),
            *([lib.nn.ReLU()] if self.relu else []),
            lib.nn.Linear(hidden, classes, dtype=self.tensor_dtype),
        )


class Torch(Tinygrad):
    """The same network and the same code, on PyTorch."""

    name = "PyTorch"
    library = "torch"


# --- the lesson, in order ----------------------------------------------------------------------
def linear_layers(lib: Any, count: int, classes: int) -> list[tuple[np.ndarray, ...]]:
    """`count` networks' (W1, b1, W2, b2), each drawn as nn.Linear(2, H) then nn.Linear(H, C)."""
    out = []
    for _ in range(count):
        fc1, fc2 = lib.nn.Linear(2, HIDDEN_DIM), lib.nn.Linear(HIDDEN_DIM, classes)
        out.append(
            tuple(p.detach().numpy().copy() for p in (fc1.weight, fc1.bias, fc2.weight, fc2.bias))
        )
    return out


def numpy_weights(classes: int) -> tuple[np.ndarray, ...]:
    """The lesson's 0.01 · randn(D, H) and 0.01 · randn(H, C), zero biases, in nn.Linear layout."""
    W1 = 0.01 * np.random.randn(2, HIDDEN_DIM)
    W2 = 0.01 * np.random.randn(HIDDEN_DIM, classes)
    return W1.T.copy(), np.zeros(HIDDEN_DIM), W2.T.copy(), np.zeros(classes)


@dataclass
class Part:
    number: int
    title: str
    every: int
    settings: dict[str, Any]
    initial: tuple[np.ndarray, ...]
    runs: list[train.Run]


@dataclass
class Lesson:
    split: data.Prepared
    source: str
    seed: int
    parts: list[Part]


def run_lesson(choice: str | Path = "synthetic", seed: int = SEED) -> Lesson:
    """The three parts, each trained by every available implementation, in the lesson's order
    of random draws."""
    df, source = load_data(choice, seed)
    np.random.seed(seed)
    random.seed(seed)
    split = prepare(df)
    classes = len(split.classes)
    lib = train.torch_or_none() or tg  # tinygrad_lr's generator is PyTorch's: the same numbers
    lib.manual_seed(seed)
    linear = linear_layers(lib, 1, classes)[0]
    numpy_weights(classes)  # the lesson's demonstration forward pass
    starts = [linear, numpy_weights(classes), linear_layers(lib, 1, classes)[0]]
    parts = []
    for number, (spec, initial) in enumerate(zip(PARTS, starts), start=1):
        title, relu, optimizer, lr, epochs, every, weighted, dtype = spec
        settings = dict(
            relu=relu,
            optimizer=optimizer,
            lr=lr,
            dtype=dtype,
            class_weight=split.class_weights if weighted else None,
        )
        runs = [
            train.fit(make(initial, **settings), split.X_train, split.y_train, epochs)
            for make in train.available(HandDerived, Tinygrad, Torch)
        ]
        parts.append(Part(number, title, every, settings, initial, runs))
    return Lesson(split, source, seed, parts)


# --- the report and the pictures ---------------------------------------------------------------
def epoch_line(part: Part, run: train.Run, epoch: int) -> str:
    """The notebook's progress line: part 2 (NumPy) prints accuracy as a fraction, the others %."""
    loss, accuracy = run.losses[epoch], run.accuracies[epoch]
    if part.number == 2:
        return f"Epoch: {epoch}, loss: {loss:.3f}, accuracy: {accuracy:.3f}"
    return f"Epoch: {epoch} | loss: {loss:.2f}, accuracy: {accuracy * 100:.1f}"


def inference(run: train.Run, split: data.Prepared) -> str:
    """The lesson's inference line for X1 = X2 = 0.1."""
    X = split.scaler.transform(np.array([INFERENCE_X]))  # fitted on arrays, not a frame
    probs = run.predict_proba(X.astype(np.float32))[0]
    return (
        f"The probability that you have {split.classes[probs.argmax()]} is {probs.max() * 100:.0f}%"
    )


def metrics_lines(run: train.Run, split: data.Prepared) -> list[str]:
    """The lesson's test metrics: weighted over the classes ("overall"), then per class."""
    y_pred = run.predict_proba(split.X_test).argmax(axis=1)
    m = report.overall_metrics(split.y_test, y_pred)
    out = [f"  overall: precision {m['precision']:.4f}, recall {m['recall']:.4f}, f1 {m['f1']:.4f}"]
    for name, m in report.class_metrics(split.y_test, y_pred, split.classes).items():
        out.append(
            f"  {name}: precision {m['precision']:.4f}, recall {m['recall']:.4f}, "
            f"f1 {m['f1']:.4f}, samples {m['support']}"
        )
    return out


def lesson_report(lesson: Lesson) -> str:
    """The lesson's printed output, for every implementation, and the largest differences."""
    s = lesson.split
    out = [
        f"Neural networks on {lesson.source}, seed {lesson.seed}",
        f"X_train: {s.X_train.shape}, X_val: {s.X_val.shape}, X_test: {s.X_test.shape}",
        f"classes: {s.classes}, counts: {np.bincount(s.y_train).tolist()}",
    ]
    for part in lesson.parts:
        st = part.settings
        out += [
            "",
            f"Part {part.number}, {part.title} ({st['optimizer']}, lr {st['lr']}, "
            f"{len(part.runs[0].losses)} epochs, {np.dtype(st['dtype']).name})",
        ]
        for run in part.runs:
            for epoch in range(0, len(run.losses), part.every):
                out.append(f"{run.name:12s} {epoch_line(part, run, epoch)}")
        first = part.runs[0]
        for run in part.runs[1:]:
            losses = report.largest([max(abs(a - b) for a, b in zip(run.losses, first.losses))])
            weights = report.largest([train.weight_difference([first, run])])
            out.append(
                f"{run.name} against NumPy: largest loss difference {losses}, "
                f"weight difference {weights}"
            )
        for run in part.runs:
            out += [f"{run.name} test metrics:", *metrics_lines(run, s)]
        if part.number == 3:
            out += [f"{run.name:12s} {inference(run, s)}" for run in part.runs]
    return "\n".join(out)


def published(text: str) -> str:
    """Which of the notebook's printed figures appear in this run's output."""
    lines = ["The notebook's printed figures (its script, run under PyTorch):"]
    for part, what, figures in PUBLISHED:
        found = all(figure in text for figure in figures)
        lines.append(f"{report.verdict(found)} part {part}, {what}: " + " … ".join(figures))
    return "\n".join(lines)


def pictures(lesson: Lesson) -> dict[str, Any]:
    """boundary_part{N}_{implementation}.png for each part and implementation."""
    return {
        f"boundary_part{part.number}_{run.name.lower()}.png": plots.decision_boundary(
            run.predict_proba, lesson.split, f"Part {part.number}, {run.name}: ", FEATURES
        )
        for part in lesson.parts
        for run in part.runs
    }


def run(choice: str | Path, seed: int, out: Path) -> int:
    """`tinygrad-lr lesson neural-networks`: print the report, write the pictures; 1 when a
    training diverged."""
    plots.files_only()
    lesson = run_lesson(choice, seed)
    text = lesson_report(lesson)
    print(text)
    print("\n" + published(text))
    print(report.pictures_line(out, plots.save(pictures(lesson), out)))
    return 1 if train.diverged(lesson.parts) else 0
