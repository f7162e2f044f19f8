"""Made With ML's *Linear Regression* lesson, trained three ways: by hand, tinygrad_lr, PyTorch.

The lesson fits a line to 50 points, y = 3.5X + noise, in three parts. Each part is trained here
by the hand-derived NumPy code, by tinygrad_lr (autograd through primitive ops) and by PyTorch,
all from the same starting weights:

- part 1, its NumPy model: MSE, gradient descent, float64; split by index after a shuffle and
  standardised with NumPy's mean and std;
- part 2, its PyTorch model: MSE, Adam, float32; split by scikit-learn's `train_test_split` and
  standardised by its `StandardScaler`;
- part 3, part 2 with L2 regularisation (Adam's `weight_decay`).

Its figures depend on the order of the random draws, which `run_lesson` keeps: NumPy's global
generator gives the noise, the shuffle, two weight draws (a demonstration, then the model's)
and the two `train_test_split` calls; PyTorch's, after `manual_seed`, gives the lesson's
demonstration input and layer, then one `nn.Linear` per model.

The model by hand, W in `nn.Linear`'s layout (O, D) (the lesson writes (D, O), its transpose):

    ŷ = X Wᵀ + b
    J = (1/N) Σᵢ (yᵢ − ŷᵢ)²
    dJ/dŷ = −(2/N) (y − ŷ)
    dW = −(2/N) (y − ŷ)ᵀ X,   db = −(2/N) Σᵢ (y − ŷ)ᵢ

The lesson's code computes dW as −(2/N) · np.sum((y − ŷ) * X), summing over the features as
well: right for its one feature; with several, every weight would get the same gradient.

The three implementations follow `train.py`'s pattern (`step`, `gradients`, `weights`, and
`predict` in place of a classifier's `predict_proba`); tinygrad_lr's and PyTorch's training
step is `train.Autograd.step` itself, and `fit` is `train.fit`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import tinygrad_lr as tg
from tinygrad_lr.compare import largest_difference

from . import pipeline, reference, train

SEED = 1234
NUM_SAMPLES = 50
TRAIN_SIZE, VAL_SIZE, TEST_SIZE = 0.7, 0.15, 0.15
INPUT_DIM = OUTPUT_DIM = 1
LEARNING_RATE = 0.1
NUM_EPOCHS = 100
L2_LAMBDA = 1e-2
INFERENCE_X = (10, 15, 25)  # the lesson's inference example: rows (and X values) of the data

# The notebook's stored outputs (commit 2ad655c4): (part, what, the figure as printed there).
PUBLISHED = (
    (1, "first loss, demonstration weights", "0.99"),
    (1, "loss, epochs 0, 10, …, 90", " ".join(["0.990", "0.039"] + ["0.028"] * 8)),
    (1, "train / test MSE", "0.03 / 0.01"),
    (1, "unscaled line", "y_hat = 3.4X + 7.8"),
    (2, "loss, epochs 0, 20, …, 80", "0.22 0.03 0.02 0.02 0.02"),
    (2, "train / test MSE", "0.02 / 0.01"),
    (2, "inference, X = 10, 15, 25", "42.11 59.17 93.30"),
    (2, "unscaled line", "y_hat = 3.4X + 8.0"),
    (3, "loss, epochs 0, 20, …, 80", "2.20 0.06 0.03 0.02 0.02"),
    (3, "train / test MSE", "0.02 / 0.01"),
)


# --- data --------------------------------------------------------------------------------------
def generate_data(num_samples: int = NUM_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's data: X = 0, 1, …, N − 1 and y = 3.5X + noise drawn from U(−10, 20) by
    NumPy's global generator; both as columns (N, 1), float64."""
    X = np.arange(num_samples, dtype=np.float64)
    y = 3.5 * X + np.random.uniform(-10, 20, size=num_samples)
    return X[:, None], y[:, None]


def shuffled(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """X and y in one random order (NumPy's global generator), the same for both."""
    indices = list(range(len(X)))
    np.random.shuffle(indices)
    return X[indices], y[indices]


@dataclass
class Split:
    """The standardised splits, (N, 1) each, the raw test inputs, and the training split's mean
    and standard deviation of X (D,) and y (O,), which standardised every split."""

    X_train: np.ndarray
    X_val: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_val: np.ndarray
    y_test: np.ndarray
    X_test_raw: np.ndarray
    x_mean: np.ndarray
    x_std: np.ndarray
    y_mean: np.ndarray
    y_std: np.ndarray

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": len(self.X_train), "val": len(self.X_val), "test": len(self.X_test)}


def _standardized(raw: list[np.ndarray], x_mean, x_std, y_mean, y_std) -> Split:
    X_train, X_val, X_test, y_train, y_val, y_test = raw
    xs = [(X - x_mean) / x_std for X in (X_train, X_val, X_test)]
    ys = [(y - y_mean) / y_std for y in (y_train, y_val, y_test)]
    return Split(*xs, *ys, X_test, x_mean, x_std, y_mean, y_std)


def split_by_index(X: np.ndarray, y: np.ndarray) -> Split:
    """Part 1: the first 70% for training, the next 15% for validation, the rest for testing
    (35, 7, 8 of 50), standardised with NumPy's mean and std (ddof 0) of the training split."""
    train_end = int(TRAIN_SIZE * len(X))
    val_end = int((TRAIN_SIZE + VAL_SIZE) * len(X))
    raw = [X[:train_end], X[train_end:val_end], X[val_end:]]
    raw += [y[:train_end], y[train_end:val_end], y[val_end:]]
    return _standardized(raw, raw[0].mean(axis=0), raw[0].std(axis=0), *_stats(raw[3]))


def _stats(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return a.mean(axis=0), a.std(axis=0)


def split_with_scikit_learn(X: np.ndarray, y: np.ndarray) -> Split:
    """Part 2: `train_test_split` 70/30, then the 30 halved (35, 7, 8 of 50), drawing from
    NumPy's global generator as the lesson does, and scikit-learn's `StandardScaler` fitted on
    the training split (the same mean and ddof-0 std)."""
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, train_size=TRAIN_SIZE)
    X_val, X_test, y_val, y_test = train_test_split(X_rest, y_rest, train_size=0.5)
    x_scaler, y_scaler = StandardScaler().fit(X_train), StandardScaler().fit(y_train)
    raw = [X_train, X_val, X_test, y_train, y_val, y_test]
    return _standardized(raw, x_scaler.mean_, x_scaler.scale_, y_scaler.mean_, y_scaler.scale_)


# --- the model, by hand ------------------------------------------------------------------------
def forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ŷ = X Wᵀ + b: X (N, D), W (O, D), b (O,) → ŷ (N, O)."""
    return X @ W.T + b


def mse(y_hat: np.ndarray, y: np.ndarray) -> float:
    """J = (1/N) Σᵢ (yᵢ − ŷᵢ)², both (N, O): the mean over all N·O entries, as PyTorch's."""
    return float(np.mean((y - y_hat) ** 2))


def gradients(X: np.ndarray, y_hat: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dW = −(2/N) (y − ŷ)ᵀ X, shape (O, D) like W, and db = −(2/N) Σᵢ (y − ŷ)ᵢ, shape (O,).

    N counts the entries the mean in `mse` divides by: the rows for the lesson's one output."""
    residual = y - y_hat
    N = residual.size
    return -(2 / N) * residual.T @ X, -(2 / N) * residual.sum(axis=0)


def unscale(W, b, x_mean, x_std, y_mean, y_std) -> tuple[np.ndarray, np.ndarray]:
    """The line in the original units from weights fitted to standardised X and y.

    (ŷ − μ_y)/σ_y = Σ_d W_d (x_d − μ_d)/σ_d + b gives ŷ = W_raw x + b_raw with
    W_raw[o, d] = W[o, d] σ_y[o] / σ_d (one weight per feature) and
    b_raw[o] = b[o] σ_y[o] + μ_y[o] − Σ_d W_raw[o, d] μ_d (one bias per output).
    """
    W_raw = W * y_std[:, None] / x_std[None, :]
    return W_raw, b * y_std + y_mean - W_raw @ x_mean


def lesson_unscale(W, b, x_mean, x_std, y_mean, y_std) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's code for the same: W·(σ_y/σ_x), and b·σ_y + μ_y − np.sum(W_unscaled · μ_x).

    Right for its one output. Its np.sum adds up every output's terms, so with several outputs
    each bias would lose all of them. (Its text also writes W_unscaled = Σⱼ Wⱼ σ_y/σⱼ, one number
    for all the features, where each feature has its own.)"""
    W_unscaled = W * y_std[:, None] / x_std[None, :]
    return W_unscaled, b * y_std + y_mean - np.sum(W_unscaled * x_mean)


def init_numpy_weights() -> tuple[np.ndarray, np.ndarray]:
    """The lesson's W = 0.01 · randn(D, O) from NumPy's global generator and b = 0, returned in
    `nn.Linear`'s layout (O, D)."""
    return (0.01 * np.random.randn(INPUT_DIM, OUTPUT_DIM)).T.copy(), np.zeros(OUTPUT_DIM)


def initial_linears(seed: int, count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """The PyTorch part's starting weights, in the lesson's order of draws: `manual_seed(seed)`,
    its demonstration input `randn(3, 1)` and layer `nn.Linear(1, 1)`, then `count` models'
    `nn.Linear(1, 1)`. Drawn by PyTorch when installed, else by tinygrad_lr, whose generator
    is PyTorch's: the same numbers either way."""
    lib = train.torch_or_none() or tg
    lib.manual_seed(seed)
    lib.randn(3, INPUT_DIM)
    lib.nn.Linear(INPUT_DIM, OUTPUT_DIM)
    layers = [lib.nn.Linear(INPUT_DIM, OUTPUT_DIM) for _ in range(count)]
    return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy()) for m in layers]


# --- trained three ways ------------------------------------------------------------------------
class Regression(train.Implementation):
    """The settings of one part, as `train.Implementation` takes them, without class weights and
    with `weight_decay` λ: λ·p is added to each parameter's gradient (the bias's too), as
    PyTorch's optimizers do, which is the gradient of an L2 penalty (λ/2)‖p‖² on the loss."""

    def __init__(
        self,
        W0: np.ndarray,
        b0: np.ndarray,
        optimizer: str = "sgd",
        lr: float = LEARNING_RATE,
        weight_decay: float = 0.0,
        dtype: Any = np.float64,
    ) -> None:
        self.weight_decay = weight_decay
        super().__init__(W0, b0, None, optimizer, lr, dtype)

    def targets(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """y as columns (N, O) like the predictions, in the model's dtype: an (N,) vector
        against (N, 1) predictions would broadcast to N × N squared errors."""
        return np.asarray(y, self.dtype).reshape(len(X), -1)


class HandDerived(Regression):
    """The lesson's NumPy model: hand-derived gradients, gradient descent or a hand-written Adam."""

    name = "NumPy"

    def build(self, W0: np.ndarray, b0: np.ndarray) -> None:
        self.W, self.b = W0, b0
        sgd = self.optimizer_name == "sgd"
        self.update = reference.sgd_update if sgd else reference.adam_update
        self.states: tuple[dict, dict] = ({}, {})

    def step(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        y = self.targets(X, y)
        y_hat = forward(X, self.W, self.b)
        loss = mse(y_hat, y)
        grads = gradients(X, y_hat, y)
        for param, grad, state in zip((self.W, self.b), grads, self.states):
            if self.weight_decay:
                grad = grad + self.weight_decay * param
            self.update(param, grad, state, self.lr)
        return loss, y_hat

    def gradients(self, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return gradients(X, forward(X, self.W, self.b), self.targets(X, y))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return forward(X.astype(self.dtype), self.W, self.b)

    def weights(self) -> tuple[np.ndarray, np.ndarray]:
        return self.W.copy(), self.b.copy()


def _optimizer(lib: Any, model: Any, name: str, lr: float, weight_decay: float) -> Any:
    make = lib.optim.SGD if name == "sgd" else lib.optim.Adam
    return make(model.parameters(), lr=lr, weight_decay=weight_decay)


class Tinygrad(Regression, train.Autograd):
    """The model with tinygrad_lr: nn.Linear, MSELoss and an optimizer from `optim`; gradients by
    autograd through primitive ops (permute, matmul, add, sub, pow, sum, div)."""

    name = "tinygrad_lr"

    def build(self, W0: np.ndarray, b0: np.ndarray) -> None:
        outputs, inputs = W0.shape
        self.model = tg.nn.Linear(inputs, outputs, dtype=self.dtype)
        self.model.load_state_dict({"weight": W0, "bias": b0})
        self.loss_fn = tg.nn.MSELoss()
        self.optimizer = _optimizer(tg, self.model, self.optimizer_name, self.lr, self.weight_decay)

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        y_pred = self.model(tg.from_numpy(X))
        return self.loss_fn(y_pred, tg.from_numpy(self.targets(X, y))), y_pred

    def predict(self, X: np.ndarray) -> np.ndarray:
        with tg.no_grad():
            return self.model(tg.Tensor(X, dtype=self.dtype)).numpy()


class Torch(Regression, train.Autograd):
    """The same model in PyTorch: torch.nn.Linear, MSELoss, torch.optim."""

    name = "PyTorch"

    def build(self, W0: np.ndarray, b0: np.ndarray) -> None:
        torch = self.torch = train.torch_or_none()
        if torch is None:
            raise ImportError("PyTorch is not installed: pip install torch==2.13.0")
        self.torch_dtype = getattr(torch, self.dtype.name)
        outputs, inputs = W0.shape
        self.model = torch.nn.Linear(inputs, outputs, dtype=self.torch_dtype)
        self.model.load_state_dict({"weight": torch.tensor(W0), "bias": torch.tensor(b0)})
        self.loss_fn = torch.nn.MSELoss()
        self.optimizer = _optimizer(
            torch, self.model, self.optimizer_name, self.lr, self.weight_decay
        )

    def loss(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        y_pred = self.model(self.torch.from_numpy(X))
        return self.loss_fn(y_pred, self.torch.from_numpy(self.targets(X, y))), y_pred

    def predict(self, X: np.ndarray) -> np.ndarray:
        with self.torch.no_grad():
            return self.model(self.torch.tensor(X, dtype=self.torch_dtype)).numpy()


def implementations() -> list[type]:
    """The implementations available here, in the lesson's order: PyTorch's only if installed."""
    chosen: list[type] = [HandDerived, Tinygrad]
    return [*chosen, Torch] if train.torch_or_none() is not None else chosen


def fit(model: Regression, X: np.ndarray, y: np.ndarray, epochs: int) -> train.Run:
    """`train.fit`, the loop every implementation shares, with the targets given as a vector
    (the lesson has one output). `train.fit` also records a classifier's accuracy each epoch;
    for a regression it means nothing and is never shown."""
    if np.size(y) != len(X):
        raise ValueError(f"fit takes one target per row: {len(X)} rows, y of shape {np.shape(y)}")
    return train.fit(model, X, np.reshape(y, len(X)), epochs)


# --- the lesson, in order ----------------------------------------------------------------------
@dataclass
class Part:
    """One part of the lesson: settings, data, starting weights and every implementation's run."""

    number: int
    title: str
    origin: str  # where the starting weights come from
    every: int  # the lesson prints the loss every `every` epochs ...
    loss_format: str  # ... in this format
    split: Split
    settings: dict[str, Any]  # what the implementations take: optimizer, lr, weight_decay, dtype
    initial: tuple[np.ndarray, np.ndarray]
    runs: list[train.Run]


@dataclass
class Lesson:
    """The whole lesson's run: the data, the three parts, and the settings it ran with."""

    X: np.ndarray  # the generated data, in its original order
    y: np.ndarray
    demo_loss: float  # the loss at the lesson's demonstration weights
    parts: list[Part]
    seed: int
    lr: float
    epochs: int

    @property
    def is_the_lessons_run(self) -> bool:
        return (self.seed, self.lr, self.epochs) == (SEED, LEARNING_RATE, NUM_EPOCHS)


def run_lesson(seed: int = SEED, lr: float = LEARNING_RATE, epochs: int = NUM_EPOCHS) -> Lesson:
    """The three parts of the lesson, each trained by every available implementation."""
    np.random.seed(seed)
    X, y = generate_data()
    X_shuffled, y_shuffled = shuffled(X, y)
    by_index = split_by_index(X_shuffled, y_shuffled)
    W_demo, b_demo = init_numpy_weights()
    demo_loss = mse(forward(by_index.X_train, W_demo, b_demo), by_index.y_train)
    starts = [init_numpy_weights()]
    by_scikit_learn = split_with_scikit_learn(X_shuffled, y_shuffled)
    starts += initial_linears(seed, 2)
    adam = dict(optimizer="adam", lr=lr, dtype=np.float32)
    specs = [
        (
            f"the lesson's NumPy model: MSE, gradient descent (lr {lr}), float64",
            "0.01 · randn(1, 1) from NumPy's global generator (its second draw), b = 0",
            10,
            ".3f",
            by_index,
            dict(optimizer="sgd", lr=lr, weight_decay=0.0, dtype=np.float64),
        ),
        (
            f"the lesson's PyTorch model: MSE, Adam (lr {lr}), float32",
            f"manual_seed({seed}), randn(3, 1), nn.Linear(1, 1), then this nn.Linear(1, 1)",
            20,
            ".2f",
            by_scikit_learn,
            dict(adam, weight_decay=0.0),
        ),
        (
            f"the lesson's L2 model: MSE, Adam (lr {lr}, weight_decay {L2_LAMBDA}), float32",
            "the nn.Linear(1, 1) drawn after part 2's",
            20,
            ".2f",
            by_scikit_learn,
            dict(adam, weight_decay=L2_LAMBDA),
        ),
    ]
    parts = []
    for number, ((title, origin, every, fmt, split, settings), (W0, b0)) in enumerate(
        zip(specs, starts), start=1
    ):
        runs = [
            fit(make(W0, b0, **settings), split.X_train, split.y_train, epochs)
            for make in implementations()
        ]
        parts.append(Part(number, title, origin, every, fmt, split, settings, (W0, b0), runs))
    return Lesson(X, y, demo_loss, parts, seed, lr, epochs)


def split_mse(run: train.Run, split: Split, which: str = "test") -> float:
    """The run's MSE on the standardised `which` split ("train" or "test"), in its dtype, as
    the lesson computes its train and test errors."""
    X, y = (split.X_test, split.y_test) if which == "test" else (split.X_train, split.y_train)
    return mse(run.model.predict(X), y.astype(run.model.dtype))


def unscaled(run: train.Run, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """The run's line in the original units, (O, D) and (O,), computed in float64."""
    W, b = (a.astype(np.float64) for a in run.model.weights())
    return unscale(W, b, split.x_mean, split.x_std, split.y_mean, split.y_std)


def infer(run: train.Run, split: Split, X_raw: np.ndarray) -> np.ndarray:
    """Predictions for raw inputs, in the original units: standardise X, predict, then
    ŷ · σ_y + μ_y (the lesson's inference)."""
    return run.model.predict((X_raw - split.x_mean) / split.x_std) * split.y_std + split.y_mean


def line_text(W_raw: np.ndarray, b_raw: np.ndarray) -> str:
    """The lesson's `[model] y_hat = 3.4X + 7.8`."""
    return f"y_hat = {W_raw[0, 0]:.1f}X + {b_raw[0]:.1f}"


# --- the report --------------------------------------------------------------------------------
def _figure(lesson: Lesson, part: Part, what: str, run: train.Run) -> str:
    """One of the PUBLISHED figures, as `run` prints it."""
    s = part.split
    if what.startswith("first loss"):
        return f"{lesson.demo_loss:.2f}"
    if what.startswith("loss"):
        return " ".join(format(v, part.loss_format) for v in run.losses[:: part.every])
    if what.startswith("train / test"):
        return f"{split_mse(run, s, 'train'):.2f} / {split_mse(run, s):.2f}"
    if what.startswith("inference"):
        X_raw = np.array(INFERENCE_X, np.float32)[:, None]
        return " ".join(f"{v:.2f}" for v in infer(run, s, X_raw)[:, 0])
    return line_text(*unscaled(run, s))


def published(lesson: Lesson) -> str:
    """The notebook's stored outputs, each marked reproduced or not by this run."""
    if not lesson.is_the_lessons_run:
        return (
            f"Settings differ from the lesson's (seed {SEED}, lr {LEARNING_RATE}, "
            f"{NUM_EPOCHS} epochs): no comparison with the notebook's stored outputs."
        )
    out = ["The notebook's stored outputs against this run (every implementation):"]
    for number, what, stored in PUBLISHED:
        part = lesson.parts[number - 1]
        ours = {run.name: _figure(lesson, part, what, run) for run in part.runs}
        if set(ours.values()) == {stored}:
            out.append(f"  reproduced      part {number}, {what}: {stored}")
            continue
        here = set(ours.values())
        text = here.pop() if len(here) == 1 else "; ".join(f"{k} {v}" for k, v in ours.items())
        out.append(f"  not reproduced  part {number}, {what}: notebook {stored}, here {text}")
    out.append(
        "The figures not reproduced were stored from an earlier run of the notebook: they do not "
        "follow from its cells as they stand (run in order under PyTorch 2.13, the notebook "
        "itself prints what is printed here)."
    )
    return "\n".join(out)


def _largest(differences: list[float]) -> str:
    """The largest difference, or what made them meaningless: `max` would skip a NaN."""
    if not np.isfinite(differences).all():
        return "not comparable (NaN or inf: the training diverged)"
    return f"{max(differences):.1e}"


def report(lesson: Lesson) -> str:
    """The `tinygrad-lr lesson linear-regression` text: every part's losses, errors and lines."""
    # report.py imports plots.py, which switches matplotlib to files only (Agg); imported at
    # the top, it would stop a notebook that imports this module from drawing inline
    from .report import table, weights_line

    names = [run.name for run in lesson.parts[0].runs]
    out = [
        f"Data: generate_data(num_samples={NUM_SAMPLES}) after np.random.seed({lesson.seed}): "
        f"X = 0, 1, …, {NUM_SAMPLES - 1}; y = 3.5X + noise from U(−10, 20)",
        "First loss, at the lesson's demonstration weights (part 1's data): "
        f"{lesson.demo_loss:.2f}",
    ]
    for part in lesson.parts:
        s = part.split
        sizes = ", ".join(f"{k} {v}" for k, v in s.sizes.items())
        epochs = range(0, lesson.epochs, part.every)
        rows = [
            [str(e), *(format(r.losses[e], part.loss_format) for r in part.runs)] for e in epochs
        ]
        rows += [
            [f"{which} MSE", *(f"{split_mse(r, s, which):.2f}" for r in part.runs)]
            for which in ("train", "test")
        ]
        out += [
            "",
            f"Part {part.number}, {part.title}",
            f"Splits: {sizes}; starting weights: {part.origin}: "
            f"W {part.initial[0].ravel()[0]:.6f}, b {part.initial[1].ravel()[0]:.6f}",
            table(["epoch", *(f"{n} loss" for n in names)], rows),
            weights_line(part.runs),
        ]
        lines, differences = [], []
        for run in part.runs:
            W, b = run.model.weights()
            W_raw, b_raw = unscaled(run, s)
            lines.append(
                [
                    run.name,
                    f"{W[0, 0]:.4f}",
                    f"{b[0]:.4f}",
                    f"{W_raw[0, 0]:.4f}",
                    f"{b_raw[0]:.4f}",
                    line_text(W_raw, b_raw),
                ]
            )
            X_std = (s.X_test_raw - s.x_mean) / s.x_std  # the model's line, in float64
            unstandardised = forward(X_std, W.astype(np.float64), b) * s.y_std + s.y_mean
            raw_line = s.X_test_raw @ W_raw.T + b_raw
            differences.append(largest_difference(raw_line, unstandardised))
        out += [
            "Fitted line: W, b on standardised X and y; W_raw, b_raw in the original units "
            "(W_raw = W·σ_y/σ_x, b_raw = b·σ_y + μ_y − W_raw·μ_x)",
            table(["model", "W", "b", "W_raw", "b_raw", "line"], lines),
            "Largest difference, the raw line on raw test inputs against the model's "
            f"unstandardised predictions: {_largest(differences)}",
        ]
        if part.number == 2:
            X_raw = np.array(INFERENCE_X, np.float32)[:, None]
            predicted = [infer(run, s, X_raw)[:, 0] for run in part.runs]
            rows = [
                [f"{x}", f"{lesson.y[x, 0]:.2f}", *(f"{p[i]:.2f}" for p in predicted)]
                for i, x in enumerate(INFERENCE_X)
            ]
            out += [
                "Inference in the original units (X standardised, then ŷ·σ_y + μ_y):",
                table(["X", "actual", *names], rows),
            ]
    first = lesson.parts[0]
    s = first.split
    ours = unscaled(first.runs[0], s)
    theirs = lesson_unscale(*first.runs[0].model.weights(), s.x_mean, s.x_std, s.y_mean, s.y_std)
    difference = _largest([largest_difference(a, b) for a, b in zip(ours, theirs)])
    out += [
        "",
        "Unscaling: the lesson's code, W·(σ_y/σ_x) and b·σ_y + μ_y − np.sum(W_raw·μ_x), gives "
        f"the same line for its one feature and one output (largest difference {difference}). "
        "Its text writes W_unscaled = Σⱼ Wⱼ σ_y/σⱼ, one number for all the features; each feature "
        "has its own weight, Wⱼ σ_y/σⱼ, and its np.sum would also merge several outputs' biases.",
        "",
        published(lesson),
    ]
    return "\n".join(out)


# --- the pictures ------------------------------------------------------------------------------
def plot_data(X: np.ndarray, y: np.ndarray) -> plt.Figure:
    """The lesson's scatter of the generated data."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(X[:, 0], y[:, 0])
    ax.set(title="Generated data", xlabel="X", ylabel="y")
    return fig


def plot_fit(predict: Any, split: Split, title: str = "") -> plt.Figure:
    """The lesson's two panels: train and test points (standardised) and the model's line;
    `predict` maps standardised X (N, 1) to predictions (N, 1)."""
    fig, axes = plt.subplots(1, 2, figsize=(15, 5))
    for ax, name, X, y in (
        (axes[0], "Train", split.X_train, split.y_train),
        (axes[1], "Test", split.X_test, split.y_test),
    ):
        order = np.argsort(X[:, 0])
        ax.scatter(X[:, 0], y[:, 0], label=f"y_{name.lower()}")
        ax.plot(X[order, 0], predict(X[order])[:, 0], color="red", label="model")
        ax.set(title=f"{title}{name}", xlabel="X (standardised)", ylabel="y (standardised)")
        ax.legend(loc="lower right")
    return fig


def plot_losses(lesson: Lesson) -> plt.Figure:
    """The training loss of every implementation, one panel per part (log scale)."""
    fig, axes = plt.subplots(1, len(lesson.parts), figsize=(5 * len(lesson.parts), 4))
    for ax, part in zip(np.atleast_1d(axes), lesson.parts):
        for run, style in zip(part.runs, ("-", "--", ":")):
            ax.plot(run.losses, style, linewidth=2, label=run.name)
        ax.set(title=f"Part {part.number}", xlabel="epoch", ylabel="training MSE", yscale="log")
        ax.legend()
    return fig


def write_pictures(lesson: Lesson, out_dir: Path) -> list[Path]:
    """data.png, the lesson's fit pictures for parts 1 and 2 per implementation, losses.png."""
    figures = {"data.png": plot_data(lesson.X, lesson.y)}
    for part in lesson.parts[:2]:  # the lesson draws its fit for these two
        for run in part.runs:
            name = f"fit_part{part.number}_{run.name.lower()}.png"
            figures[name] = plot_fit(
                run.model.predict, part.split, f"Part {part.number}, {run.name}: "
            )
    figures["losses.png"] = plot_losses(lesson)
    paths = []
    for name, fig in figures.items():
        path = Path(out_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def run(seed: int, lr: float, epochs: int, out: Path) -> int:
    """`tinygrad-lr lesson linear-regression`: print the report, write the pictures; 1 when a
    training diverged."""
    matplotlib.use("Agg")  # files only: no window
    lesson = run_lesson(seed, lr, epochs)
    print(report(lesson))
    paths = write_pictures(lesson, out)
    print(f"\nPictures written to {out}: " + ", ".join(path.name for path in paths))
    return 1 if any(pipeline.nonfinite_weights(part.runs) for part in lesson.parts) else 0
