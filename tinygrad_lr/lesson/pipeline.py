"""The logistic-regression lesson, step by step: its data, its two parts trained three ways, and
the figures it evaluates.

The lesson's figures depend on the order of its random draws from NumPy's global generator
(shuffle, two splits, the NumPy model's weights) and on `torch.manual_seed` before the PyTorch
model is built. The functions below keep that order; the lesson script and the `tinygrad-lr
lesson` command both call them in sequence.

Two parts, as in the lesson:
- part 1, the lesson's NumPy model: unweighted cross-entropy, gradient descent (SGD), float64;
- part 2, the lesson's PyTorch model: class-weighted cross-entropy, Adam, float32.
Each part is trained by the hand-derived NumPy code, by tinygrad_lr (autograd through primitive
ops) and by PyTorch, all started from the same weights (`train.py`). Its report and pictures are
`report.py`'s and `plots.py`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_lr as tg

from . import data, newton, reference, train
from .data import Prepared

TRAIN_SIZE = 0.7  # then the rest is halved: validation 15%, test 15%


def load_data(choice: str, seed: int) -> tuple[Any, str]:
    """`synthetic`, `lesson` (download) or a path to the CSV → (DataFrame, description).

    Every problem that is the user's to fix raises `data.DataError` saying what is wrong and
    what to do: a missing, unreadable or malformed file and a failed download here; a feature
    that is not finite or too large, or too few rows of a class, in `data.load_tumors`. The
    command line turns it into one line on stderr.
    """
    if choice == "synthetic":
        return data.make_tumors(seed=seed), f"synthetic (make_tumors(n=1000, seed={seed}))"
    if choice == "lesson":
        try:
            df = data.load_tumors(data.LESSON_URL)
        except OSError as error:  # no network, a refused address, an unwritable cache
            raise data.DataError(
                f"could not download the lesson's CSV from {data.LESSON_URL} ({error}); "
                "pass --data PATH to a local copy, or --data synthetic"
            ) from None
        description = f"the lesson's CSV ({data.LESSON_URL})"
    else:
        path = Path(choice)
        try:
            df = data.load_tumors(path)
        except data.DataError:
            raise
        except OSError as error:
            if path.is_dir():
                reason = f"{path} is a folder, not the tumour CSV"
            elif not path.exists():
                reason = f"no file {path}; expected 'synthetic', 'lesson' or the tumour CSV's path"
            else:
                reason = f"cannot read {path} ({error.strerror or error})"
            raise data.DataError(reason) from None
        except ValueError as error:  # pandas' own complaints about a file it cannot parse
            raise data.DataError(f"{path}: not the tumour CSV ({error})") from None
        description = f"CSV file {choice}"
    return df, description


def prepare(df: Any, seed: int) -> Prepared:
    """Shuffle, split 70/15/15 stratified, encode labels, weight classes, standardise
    (`data.prepare`).

    Seeds NumPy's global generator, as the lesson does, and draws from it in the lesson's order.
    """
    np.random.seed(seed)
    return data.prepare(df, data.FEATURES, data.TARGET, TRAIN_SIZE)


def init_numpy_weights(input_dim: int, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's initialisation: W = 0.01 · randn(D, C) and b = 0, from NumPy's global
    generator. The lesson draws W as (D, C); it is returned transposed, (C, D), the layout used
    everywhere here, so the random numbers are the lesson's."""
    W = 0.01 * np.random.randn(input_dim, num_classes)
    return W.T.copy(), np.zeros(num_classes)


def initial_linear(p: Prepared, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The PyTorch model's first weights: `manual_seed(seed)` then `nn.Linear`, as the lesson
    does, drawn by PyTorch when it is installed and otherwise by tinygrad_lr, whose generator
    is PyTorch's: the same numbers either way (`weights_source` says which drew them)."""
    D, C = p.X_train.shape[1], len(p.encoder)
    torch = train.torch_or_none()
    if torch is None:
        tg.manual_seed(seed)
        layer = tg.nn.Linear(D, C)
        return layer.weight.numpy().copy(), layer.bias.numpy().copy()
    torch.manual_seed(seed)
    layer = torch.nn.Linear(D, C)
    return layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy()


def weights_source(seed: int) -> str:
    """Where part 2's starting weights come from, for the report."""
    who = "PyTorch" if train.torch_or_none() is not None else "tinygrad_lr (PyTorch's generator)"
    return f"manual_seed({seed}); nn.Linear(2, 2), drawn by {who}"


@dataclass
class Part:
    """One part of the lesson: its settings, starting weights and every implementation's run."""

    title: str
    loss_format: str
    settings: dict[str, Any]  # class_weight, optimizer, lr, dtype: what train.py's classes take
    initial: tuple[np.ndarray, np.ndarray]  # W0 (C, D), b0 (C,)
    runs: list[train.Run]


def part_settings(p: Prepared, part: int, lr: float) -> dict[str, Any]:
    """The loss, optimizer and precision of part 1 (the lesson's NumPy model) or part 2 (its
    PyTorch model)."""
    if part == 1:
        return dict(class_weight=None, optimizer="sgd", lr=lr, dtype=np.float64)
    return dict(class_weight=p.class_weights, optimizer="adam", lr=lr, dtype=np.float32)


def run_lesson(df: Any, seed: int, lr: float, epochs: int) -> tuple[Prepared, list[Part]]:
    """Both parts of the lesson, each trained by every available implementation."""
    p = prepare(df, seed)
    D, C = p.X_train.shape[1], len(p.encoder)
    init_numpy_weights(D, C)  # the lesson's demonstration draw, kept for the same order
    starts = [init_numpy_weights(D, C), initial_linear(p, seed)]
    titles = [
        f"Part 1, the lesson's NumPy model: cross-entropy, gradient descent (lr {lr}), float64",
        f"Part 2, the lesson's PyTorch model: class-weighted cross-entropy, Adam (lr {lr}), "
        "float32",
    ]
    parts = []
    for number, (title, loss_format, (W0, b0)) in enumerate(
        zip(titles, (".3f", ".2f"), starts), start=1
    ):
        settings = part_settings(p, number, lr)
        runs = [
            train.fit(make(W0, b0, **settings), p.X_train, p.y_train, epochs)
            for make in train.implementations()
        ]
        parts.append(Part(title, loss_format, settings, (W0, b0), runs))
    return p, parts


# --- evaluation --------------------------------------------------------------------------------
def accuracy(run: train.Run, X: np.ndarray, y: np.ndarray) -> float:
    return float((run.predict_proba(X).argmax(axis=1) == y).mean())


def unstandardized(run: train.Run, p: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """The run's weights for raw (unstandardised) inputs, (C, D) and (C,)."""
    return reference.unstandardize(run.W, run.b, p.scaler.mean_, p.scaler.scale_)


def solve_exactly(parts: list[Part], p: Prepared) -> list[newton.Solved]:
    """Part 3: each part's loss (part 1's unweighted, part 2's class-weighted) minimised by
    Newton's method from the part's own start, in float64, and checked (`newton.solve`)."""
    return [
        newton.solve(
            p.X_train,
            p.y_train,
            part.initial,
            part.settings["class_weight"],
            (part.runs[0].W, part.runs[0].b),
        )
        for part in parts
    ]
