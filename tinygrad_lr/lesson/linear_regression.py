"""Made With ML's *Linear Regression* lesson, trained three ways: by hand, tinygrad_lr, PyTorch.

The lesson fits a line to 50 points, y = 3.5X + noise (`data.generate_data`), in three parts.
Each part is trained here by the hand-derived NumPy code, by tinygrad_lr (autograd through
primitive ops) and by PyTorch, all from the same starting weights:

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

The three implementations are `train.py`'s (`ByHand`, `Autograd`: each training step written
once for every lesson) with this model's forward, gradients, layers and loss, and `predict` in
place of a classifier's `predict_proba`; `fit` is `train.fit`. The report's text and the
pictures are drawn with `report.py` and `plots.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr.compare import largest_difference

from . import data, plots, report, train

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


# --- the splits --------------------------------------------------------------------------------
def split_by_index(X: np.ndarray, y: np.ndarray) -> data.Standardized:
    """Part 1: the first 70% for training, the next 15% for validation, the rest for testing
    (35, 7, 8 of 50), standardised with NumPy's mean and std (ddof 0) of the training split."""
    return data.standardized(data.split_by_index(X, y, TRAIN_SIZE, VAL_SIZE))


def split_with_scikit_learn(X: np.ndarray, y: np.ndarray) -> data.Standardized:
    """Part 2: `train_test_split` 70/30, then the 30 halved (35, 7, 8 of 50), drawing from
    NumPy's global generator as the lesson does, and scikit-learn's `StandardScaler` fitted on
    the training split (the same mean and ddof-0 std)."""
    return data.standardized(data.train_val_test_split(X, y, TRAIN_SIZE), scikit_learn=True)


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
class Regression:
    """The lesson's model: weights W (O, D) and b (O,), then the settings of
    `train.Implementation` but class weights: `optimizer`, `lr`, `weight_decay` (L2), `dtype`."""

    def __init__(self, W0: np.ndarray, b0: np.ndarray, **settings: Any) -> None:
        super().__init__((W0, b0), **settings)

    def targets(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """y as columns (N, O) like the predictions, in the model's dtype: an (N,) vector
        against (N, 1) predictions would broadcast to N × N squared errors."""
        return np.asarray(y, self.dtype).reshape(len(X), -1)


class HandDerived(Regression, train.ByHand):
    """The lesson's NumPy model: hand-derived gradients, gradient descent or a hand-written Adam."""

    def forward_backward(self, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray, tuple]:
        y = self.targets(X, y)
        y_hat = forward(X, *self.params)
        return mse(y_hat, y), y_hat, gradients(X, y_hat, y)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return forward(X.astype(self.dtype), *self.params)


class Tinygrad(Regression, train.Autograd):
    """The model with tinygrad_lr: nn.Linear, MSELoss and an optimizer from `optim`; gradients by
    autograd through primitive ops (permute, matmul, add, sub, pow, sum, div)."""

    def module(self, lib: Any, params: list[np.ndarray]) -> Any:
        outputs, inputs = params[0].shape
        return lib.nn.Linear(inputs, outputs, dtype=self.tensor_dtype)

    def criterion(self, lib: Any) -> Any:
        return lib.nn.MSELoss()

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.outputs(X).numpy()


class Torch(Tinygrad):
    """The same model and the same code, on PyTorch."""

    name = "PyTorch"
    library = "torch"


def implementations() -> list[type]:
    """The implementations available here, in the lesson's order: PyTorch's only if installed."""
    return train.available(HandDerived, Tinygrad, Torch)


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
    split: data.Standardized
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
    X, y = data.generate_data(NUM_SAMPLES)
    X_shuffled, y_shuffled = data.shuffled(X, y)
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


def split_mse(run: train.Run, split: data.Standardized, which: str = "test") -> float:
    """The run's MSE on the standardised `which` split ("train" or "test"), in its dtype, as
    the lesson computes its train and test errors."""
    X, y = (split.X_test, split.y_test) if which == "test" else (split.X_train, split.y_train)
    return mse(run.model.predict(X), y.astype(run.model.dtype))


def unscaled(run: train.Run, split: data.Standardized) -> tuple[np.ndarray, np.ndarray]:
    """The run's line in the original units, (O, D) and (O,), computed in float64."""
    W, b = (a.astype(np.float64) for a in run.model.weights())
    return unscale(W, b, split.x_mean, split.x_std, split.y_mean, split.y_std)


def infer(run: train.Run, split: data.Standardized, X_raw: np.ndarray) -> np.ndarray:
    """Predictions for raw inputs, in the original units: standardise X, predict, then
    ŷ · σ_y + μ_y (the lesson's inference)."""
    return run.model.predict((X_raw - split.x_mean) / split.x_std) * split.y_std + split.y_mean


def line_text(W_raw: np.ndarray, b_raw: np.ndarray) -> str:
    """The lesson's `[model] y_hat = 3.4X + 7.8`."""
    return f"y_hat = {W_raw[0, 0]:.1f}X + {b_raw[0]:.1f}"


# --- the report and the pictures ---------------------------------------------------------------
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
        here = set(ours.values())
        if here == {stored}:
            out.append(f"  {report.verdict(True)} part {number}, {what}: {stored}")
            continue
        text = here.pop() if len(here) == 1 else "; ".join(f"{k} {v}" for k, v in ours.items())
        out.append(
            f"  {report.verdict(False)} part {number}, {what}: notebook {stored}, here {text}"
        )
    out.append(
        "The figures not reproduced were stored from an earlier run of the notebook: they do not "
        "follow from its cells as they stand (run in order under PyTorch 2.13, the notebook "
        "itself prints what is printed here)."
    )
    return "\n".join(out)


def fitted_lines(part: Part) -> list[str]:
    """Each run's line, standardised and in the original units, and the check that the raw
    line gives the model's unstandardised predictions."""
    s = part.split
    rows, differences = [], []
    for run in part.runs:
        W, b = run.model.weights()
        W_raw, b_raw = unscaled(run, s)
        rows.append(
            [
                run.name,
                *(f"{v:.4f}" for v in (W[0, 0], b[0], W_raw[0, 0], b_raw[0])),
                line_text(W_raw, b_raw),
            ]
        )
        X_std = (s.X_test_raw - s.x_mean) / s.x_std  # the model's line, in float64
        unstandardised = forward(X_std, W.astype(np.float64), b) * s.y_std + s.y_mean
        differences.append(largest_difference(s.X_test_raw @ W_raw.T + b_raw, unstandardised))
    return [
        "Fitted line: W, b on standardised X and y; W_raw, b_raw in the original units "
        "(W_raw = W·σ_y/σ_x, b_raw = b·σ_y + μ_y − W_raw·μ_x)",
        report.table(["model", "W", "b", "W_raw", "b_raw", "line"], rows),
        "Largest difference, the raw line on raw test inputs against the model's "
        f"unstandardised predictions: {report.largest(differences)}",
    ]


def inference_lines(lesson: Lesson, part: Part) -> list[str]:
    """The lesson's inference at X = 10, 15, 25, beside the data's y there."""
    X_raw = np.array(INFERENCE_X, np.float32)[:, None]
    predicted = [infer(run, part.split, X_raw)[:, 0] for run in part.runs]
    rows = [
        [f"{x}", f"{lesson.y[x, 0]:.2f}", *(f"{p[i]:.2f}" for p in predicted)]
        for i, x in enumerate(INFERENCE_X)
    ]
    return [
        "Inference in the original units (X standardised, then ŷ·σ_y + μ_y):",
        report.table(["X", "actual", *(run.name for run in part.runs)], rows),
    ]


def lesson_report(lesson: Lesson) -> str:
    """The `tinygrad-lr lesson linear-regression` text: every part's losses, errors and lines."""
    out = [
        report.data_line(
            f"generate_data(num_samples={NUM_SAMPLES}) after np.random.seed({lesson.seed}): "
            f"X = 0, 1, …, {NUM_SAMPLES - 1}; y = 3.5X + noise from U(−10, 20)"
        ),
        "First loss, at the lesson's demonstration weights (part 1's data): "
        f"{lesson.demo_loss:.2f}",
    ]
    for part in lesson.parts:
        s = part.split
        rows = report.epoch_rows(part.runs, part.every, part.loss_format)
        rows += [
            [f"{which} MSE", *(f"{split_mse(r, s, which):.2f}" for r in part.runs)]
            for which in ("train", "test")
        ]
        out += [
            "",
            f"Part {part.number}, {part.title}",
            f"Splits: {', '.join(f'{k} {v}' for k, v in s.sizes.items())}; "
            + report.starting_weights(part.origin, *part.initial),
            report.table(["epoch", *(f"{r.name} loss" for r in part.runs)], rows),
            report.weights_line(part.runs),
            *fitted_lines(part),
        ]
        if part.number == 2:
            out += inference_lines(lesson, part)
    s = lesson.parts[0].split
    ours = unscaled(lesson.parts[0].runs[0], s)
    weights = lesson.parts[0].runs[0].model.weights()
    theirs = lesson_unscale(*weights, s.x_mean, s.x_std, s.y_mean, s.y_std)
    difference = report.largest([largest_difference(a, b) for a, b in zip(ours, theirs)])
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


def pictures(lesson: Lesson) -> dict[str, Any]:
    """data.png, the lesson's fit pictures for parts 1 and 2 per implementation, losses.png."""
    figures = {"data.png": plots.regression_data(lesson.X, lesson.y)}
    for part in lesson.parts[:2]:  # the lesson draws its fit for these two
        for run in part.runs:
            figures[f"fit_part{part.number}_{run.name.lower()}.png"] = plots.regression_fit(
                run.model.predict, part.split, f"Part {part.number}, {run.name}: "
            )
    panels = {f"Part {part.number}": part.runs for part in lesson.parts}
    figures["losses.png"] = plots.loss_curves(panels, ylabel="training MSE", log=True)
    return figures


def run(seed: int, lr: float, epochs: int, out: Path) -> int:
    """`tinygrad-lr lesson linear-regression`: print the report, write the pictures; 1 when a
    training diverged."""
    plots.files_only()
    lesson = run_lesson(seed, lr, epochs)
    print(lesson_report(lesson))
    print(report.pictures_line(out, plots.save(pictures(lesson), out)))
    return 1 if train.diverged(lesson.parts) else 0
