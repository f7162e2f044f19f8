"""Made With ML's *Neural Networks* lesson, trained three ways: by hand, tinygrad_lr, PyTorch.

Three interleaved spiral arms, one class each, in the plane. The lesson trains, in order:

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
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder, StandardScaler

import tinygrad_lr as tg

from . import pipeline, reference, train
from .data import DataError

SEED = 1234
TRAIN_SIZE = 0.7
HIDDEN_DIM = 100
NUM_SAMPLES_PER_CLASS = 500
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


# --- data --------------------------------------------------------------------------------------
def make_spiral(seed: int = SEED, per_class: int = NUM_SAMPLES_PER_CLASS) -> pd.DataFrame:
    """Offline spiral data like the lesson's CSV: three arms, radius r from 0 to 1, angle
    t = 4j … 4(j + 1) plus N(0, 0.2²) noise, (X1, X2) = (r sin t, r cos t); arms j = 0, 1, 2 are
    labelled c1, c3, c2 as in the CSV. Drawn from its own generator, not NumPy's global one."""
    rng = np.random.RandomState(seed)
    frames = []
    for j, label in enumerate(("c1", "c3", "c2")):
        r = np.linspace(0.0, 1, per_class)
        t = np.linspace(j * 4, (j + 1) * 4, per_class) + rng.randn(per_class) * 0.2
        frames.append(pd.DataFrame({"X1": r * np.sin(t), "X2": r * np.cos(t), "color": label}))
    return pd.concat(frames, ignore_index=True)


def load_spiral(data: str | Path = "synthetic", seed: int = SEED) -> tuple[pd.DataFrame, str]:
    """'synthetic' (made offline by `make_spiral`) or the path of the lesson's spiral.csv."""
    if str(data) == "synthetic":
        return make_spiral(seed), "synthetic spirals (make_spiral, offline)"
    try:
        df = pd.read_csv(data, header=0)
    except (OSError, ValueError) as error:  # missing, unreadable, a folder, not a CSV
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise DataError(f"{data}: cannot read the spiral CSV ({reason})") from None
    if list(df.columns) != ["X1", "X2", "color"]:
        raise DataError(f"{data}: expected the columns X1,X2,color, got {list(df.columns)}")
    return df, f"the lesson's CSV ({Path(data).name})"


@dataclass
class Split:
    """The standardised splits (inputs rounded to float32, as the lesson's tensors), the class
    names, the class weights 1/count and the fitted scaler."""

    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray
    classes: list[str]
    class_weight: np.ndarray
    scaler: StandardScaler


def prepare(df: pd.DataFrame) -> Split:
    """The lesson's steps, drawing from NumPy's global generator: shuffle, stratified 70/15/15
    split, label encoding, class weights, standardising with the training split's statistics."""
    df = df.sample(frac=1).reset_index(drop=True)
    X, y = df[["X1", "X2"]].values, df["color"].values
    X_train, X_, y_train, y_ = train_test_split(X, y, train_size=TRAIN_SIZE, stratify=y)
    X_val, X_test, y_val, y_test = train_test_split(X_, y_, train_size=0.5, stratify=y_)
    encoder = LabelEncoder().fit(y_train)
    ys = [encoder.transform(v) for v in (y_train, y_val, y_test)]
    class_weight = 1.0 / np.bincount(ys[0])
    scaler = StandardScaler().fit(X_train)
    xs = [
        scaler.transform(v).astype(np.float32).astype(np.float64) for v in (X_train, X_val, X_test)
    ]
    return Split(*xs, *ys, list(encoder.classes_), class_weight, scaler)


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
class Network(train.Implementation):
    """A two-layer network's settings: `params` (W1, b1, W2, b2) in `nn.Linear`'s layout, copied;
    `relu` False for the linear model; the rest as `train.Implementation` takes them."""

    def __init__(
        self, params, relu=True, class_weight=None, optimizer="sgd", lr=1.0, dtype: Any = np.float64
    ) -> None:
        if optimizer not in train.OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {train.OPTIMIZERS}, got {optimizer!r}")
        self.dtype, self.relu = np.dtype(dtype), relu
        self.class_weight = None if class_weight is None else np.asarray(class_weight, self.dtype)
        self.optimizer_name, self.lr = optimizer, lr
        self.build([np.array(p, self.dtype) for p in params])


class HandDerived(Network):
    """The lesson's NumPy network: the gradients above, gradient descent or a hand-written Adam."""

    name = "NumPy"

    def build(self, params) -> None:
        self.params = params
        sgd = self.optimizer_name == "sgd"
        self.update = reference.sgd_update if sgd else reference.adam_update
        self.states = [{} for _ in params]

    def step(self, X, y) -> tuple[float, np.ndarray]:
        _, logits = forward(X, self.params, self.relu)
        loss = reference.loss(reference.softmax(logits), y, self.class_weight)
        grads = gradients(X, y, self.params, self.class_weight, self.relu)
        for param, grad, state in zip(self.params, grads, self.states):
            self.update(param, grad, state, self.lr)
        return loss, logits

    def gradients(self, X, y) -> tuple[np.ndarray, ...]:
        return gradients(X, y, self.params, self.class_weight, self.relu)

    def predict_proba(self, X) -> np.ndarray:
        return reference.softmax(forward(X.astype(self.dtype), self.params, self.relu)[1])

    def weights(self) -> tuple[np.ndarray, ...]:
        return tuple(p.copy() for p in self.params)


class _Library(Network, train.Autograd):
    """tinygrad_lr or PyTorch, the same code: `lib` is the module (they share their names).

    Building one draws two layers from the library's generator before loading `params` into
    them: draw every starting weight before building models, as `run_lesson` does."""

    lib: Any = None

    def build(self, params) -> None:
        lib = self.lib
        (hidden, inputs), classes = params[0].shape, params[2].shape[0]
        self.dt = getattr(lib, self.dtype.name)
        self.fc1 = lib.nn.Linear(inputs, hidden, dtype=self.dt)
        self.fc2 = lib.nn.Linear(hidden, classes, dtype=self.dt)
        with lib.no_grad():
            for p, value in zip(self._parameters(), params):
                p.copy_(lib.tensor(value))
        weight = None if self.class_weight is None else lib.tensor(self.class_weight)
        self.loss_fn = lib.nn.CrossEntropyLoss(weight=weight)
        make = lib.optim.SGD if self.optimizer_name == "sgd" else lib.optim.Adam
        self.optimizer = make(self._parameters(), lr=self.lr)

    def _parameters(self) -> list:
        return [self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias]

    def logits(self, X: Any) -> Any:
        z = self.fc1(X)
        return self.fc2(self.lib.nn.functional.relu(z) if self.relu else z)

    def loss(self, X, y) -> tuple[Any, Any]:
        logits = self.logits(self.lib.from_numpy(X))
        return self.loss_fn(logits, self.lib.from_numpy(np.asarray(y))), logits

    def gradients(self, X, y) -> tuple[np.ndarray, ...]:
        self.optimizer.zero_grad()
        self.loss(X.astype(self.dtype), y)[0].backward()
        return tuple(p.grad.numpy().copy() for p in self._parameters())

    def predict_proba(self, X) -> np.ndarray:
        with self.lib.no_grad():
            logits = self.logits(self.lib.tensor(np.asarray(X), dtype=self.dt))
            return self.lib.nn.functional.softmax(logits, dim=1).numpy()

    def weights(self) -> tuple[np.ndarray, ...]:
        return tuple(p.detach().numpy().copy() for p in self._parameters())


class Tinygrad(_Library):
    """The network with tinygrad_lr: autograd through primitive ops (matmul, add, relu, …)."""

    name = "tinygrad_lr"
    lib = tg


class Torch(_Library):
    """The same network in PyTorch."""

    name = "PyTorch"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lib = train.torch_or_none()
        if self.lib is None:
            raise ImportError("PyTorch is not installed: pip install torch==2.13.0")
        super().__init__(*args, **kwargs)


def implementations() -> list[type]:
    """The implementations available here, in the lesson's order: PyTorch's only if installed."""
    chosen: list[type] = [HandDerived, Tinygrad]
    return [*chosen, Torch] if train.torch_or_none() is not None else chosen


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
    split: Split
    source: str
    seed: int
    parts: list[Part]


def run_lesson(data: str | Path = "synthetic", seed: int = SEED) -> Lesson:
    """The three parts, each trained by every available implementation, in the lesson's order
    of random draws."""
    df, source = load_spiral(data, seed)
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
            class_weight=split.class_weight if weighted else None,
        )
        runs = []
        for make in implementations():
            model = make(initial, **settings)
            runs.append(train.fit(model, split.X_train, split.y_train, epochs))
        parts.append(Part(number, title, every, settings, initial, runs))
    return Lesson(split, source, seed, parts)


def epoch_line(part: Part, run: train.Run, epoch: int) -> str:
    """The notebook's progress line: part 2 (NumPy) prints accuracy as a fraction, the others %."""
    loss, accuracy = run.losses[epoch], run.accuracies[epoch]
    if part.number == 2:
        return f"Epoch: {epoch}, loss: {loss:.3f}, accuracy: {accuracy:.3f}"
    return f"Epoch: {epoch} | loss: {loss:.2f}, accuracy: {accuracy * 100:.1f}"


def inference(run: train.Run, split: Split) -> str:
    """The lesson's inference line for X1 = X2 = 0.1."""
    X = split.scaler.transform(np.array([INFERENCE_X]))  # fitted on arrays, not a frame
    probs = run.predict_proba(X.astype(np.float32))[0]
    return (
        f"The probability that you have {split.classes[probs.argmax()]} is {probs.max() * 100:.0f}%"
    )


def metrics_lines(run: train.Run, split: Split) -> list[str]:
    y_pred = run.predict_proba(split.X_test).argmax(axis=1)
    p, r, f, _ = precision_recall_fscore_support(split.y_test, y_pred, average="weighted")
    out = [f"  overall: precision {p:.4f}, recall {r:.4f}, f1 {f:.4f}"]
    ps, rs, fs, ns = precision_recall_fscore_support(split.y_test, y_pred, average=None)
    for name, *values in zip(split.classes, ps, rs, fs, ns):
        out.append(
            f"  {name}: precision {values[0]:.4f}, recall {values[1]:.4f}, "
            f"f1 {values[2]:.4f}, samples {values[3]}"
        )
    return out


def report(lesson: Lesson) -> str:
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
            loss_gap = max(abs(a - b) for a, b in zip(run.losses, first.losses))
            weight_gap = max(
                float(np.max(np.abs(a - b)))
                for a, b in zip(run.model.weights(), first.model.weights())
            )
            out.append(
                f"{run.name} against NumPy: largest loss difference {loss_gap:.1e}, "
                f"weight difference {weight_gap:.1e}"
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
        lines.append(
            f"{'reproduced' if found else 'not reproduced':15s} part {part}, {what}: "
            + " … ".join(figures)
        )
    return "\n".join(lines)


# --- the pictures ------------------------------------------------------------------------------
def plot_decision_boundary(run: train.Run, split: Split, title: str) -> plt.Figure:
    """The lesson's two panels, train and test, coloured by the predicted class on a grid."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 5))
    for ax, name, X, y in (
        (axes[0], "Train", split.X_train, split.y_train),
        (axes[1], "Test", split.X_test, split.y_test),
    ):
        xx, yy = np.meshgrid(
            np.linspace(X[:, 0].min() - 0.1, X[:, 0].max() + 0.1, 101),
            np.linspace(X[:, 1].min() - 0.1, X[:, 1].max() + 0.1, 101),
        )
        grid = np.c_[xx.ravel(), yy.ravel()]
        predicted = run.predict_proba(grid).argmax(axis=1).reshape(xx.shape)
        ax.contourf(xx, yy, predicted, cmap=plt.cm.Spectral, alpha=0.8)
        ax.scatter(X[:, 0], X[:, 1], c=y, s=40, cmap=plt.cm.RdYlBu, edgecolors="k")
        ax.set(title=f"{title}{name}", xlim=(xx.min(), xx.max()), ylim=(yy.min(), yy.max()))
    return fig


def write_pictures(lesson: Lesson, out_dir: Path) -> list[Path]:
    """boundary_part{N}_{implementation}.png for each part and implementation."""
    paths = []
    for part in lesson.parts:
        for run in part.runs:
            fig = plot_decision_boundary(run, lesson.split, f"Part {part.number}, {run.name}: ")
            path = Path(out_dir) / f"boundary_part{part.number}_{run.name.lower()}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.tight_layout()
            fig.savefig(path, dpi=80)
            plt.close(fig)
            paths.append(path)
    return paths


def run(data: str | Path, seed: int, out: Path) -> int:
    """`tinygrad-lr lesson neural-networks`: print the report, write the pictures; 1 when a
    training diverged."""
    matplotlib.use("Agg")
    lesson = run_lesson(data, seed)
    text = report(lesson)
    print(text)
    print("\n" + published(text))
    paths = write_pictures(lesson, out)
    print(f"\nPictures written to {out}: " + ", ".join(path.name for path in paths))
    return 1 if any(pipeline.nonfinite_weights(part.runs) for part in lesson.parts) else 0
