"""Every lesson's pictures, drawn with matplotlib: each function returns a figure, which a
notebook shows inline and a command writes to a file with `save`.

- `class_scatter`: a classification's data, one colour and legend entry per class;
- `decision_boundary`: a classifier's predicted class over the feature plane, train and test;
- `loss_curves`: the training loss of every implementation, one panel per part of a lesson;
- `regression_data`, `regression_fit`: a regression's data and its fitted line, train and test.

Importing this module leaves matplotlib's backend alone, so that a notebook draws inline; the
commands call `files_only()` first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from .data import Prepared, Standardized

COLORS = ("tab:red", "tab:blue", "tab:green", "tab:orange")  # class i's colour: COLORS[i]
STYLES = ("-", "--", ":")  # one line style per implementation, so that overlapping lines show


def files_only() -> None:
    """Draw into files only: no window, and no display needed."""
    matplotlib.use("Agg")


def save(figures: dict[str, plt.Figure], out_dir: Path, dpi: int = 100) -> list[Path]:
    """Write each figure to `out_dir`/name (PNG), close it, and return the paths in order."""
    paths = []
    for name, fig in figures.items():
        path = Path(out_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.tight_layout()
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        paths.append(path)
    return paths


def class_scatter(
    X: np.ndarray,
    labels: Sequence[str],
    classes: Sequence[str],
    features: Sequence[str],
    title: str,
) -> plt.Figure:
    """Scatter of two features, one call per class so each gets its own legend entry.

    The logistic-regression lesson drew all points in one call and then named two legend
    entries, so its legend showed a single, wrongly coloured entry.
    """
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, color in zip(classes, COLORS):
        rows = labels == label
        ax.scatter(
            X[rows, 0],
            X[rows, 1],
            s=20,
            c=color,
            edgecolors="k",
            linewidths=0.4,
            label=f"{label} ({rows.sum()})",
        )
    ax.set(xlabel=features[0], ylabel=features[1], title=title)
    ax.legend(loc="upper right")
    return fig


def decision_boundary(
    predict_proba: Callable[[np.ndarray], np.ndarray],
    p: Prepared,
    title: str,
    features: Sequence[str],
) -> plt.Figure:
    """The predicted class over the (standardised) feature plane, with the train and test
    points in their true class's colour; `predict_proba` maps inputs (N, 2) to probabilities
    (N, C), and each panel's title is `title` followed by the split's name."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
    X_all = np.concatenate([p.X_train, p.X_test])
    lo, hi = X_all.min(axis=0) - 0.1, X_all.max(axis=0) + 0.1
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 101), np.linspace(lo[1], hi[1], 101))
    grid = np.c_[xx.ravel(), yy.ravel()]
    predicted = predict_proba(grid).argmax(axis=1).reshape(xx.shape)
    classes = len(p.classes)
    cmap = matplotlib.colors.ListedColormap(COLORS[:classes])
    for ax, (split, X, y) in zip(
        axes, [("train", p.X_train, p.y_train), ("test", p.X_test, p.y_test)]
    ):
        ax.contourf(xx, yy, predicted, levels=np.arange(classes + 1) - 0.5, cmap=cmap, alpha=0.25)
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=y,
            cmap=cmap,
            s=16,
            edgecolors="k",
            linewidths=0.3,
            vmin=0,
            vmax=classes - 1,
        )
        ax.set(title=f"{title}{split}", xlabel=f"{features[0]} (standardised)")
    axes[0].set_ylabel(f"{features[1]} (standardised)")
    return fig


def loss_curves(
    parts: dict[str, list[Any]], ylabel: str = "training loss", log: bool = False
) -> plt.Figure:
    """The training loss per epoch of every run (`name`, `losses`), one panel per part, titled
    by the dict's keys; `log` puts the loss on a log scale."""
    fig, axes = plt.subplots(1, len(parts), figsize=(5 * len(parts), 4), squeeze=False)
    for ax, (title, runs) in zip(axes[0], parts.items()):
        for run, style in zip(runs, STYLES):
            ax.plot(run.losses, style, linewidth=2, label=run.name)
        ax.set(title=title, xlabel="epoch", ylabel=ylabel)
        if log:
            ax.set_yscale("log")
        ax.legend()
    return fig


def regression_data(X: np.ndarray, y: np.ndarray) -> plt.Figure:
    """A regression's data: y (N, 1) against X (N, 1)."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.scatter(X[:, 0], y[:, 0])
    ax.set(title="Generated data", xlabel="X", ylabel="y")
    return fig


def regression_fit(
    predict: Callable[[np.ndarray], np.ndarray], split: Standardized, title: str = ""
) -> plt.Figure:
    """Two panels, train and test: the (standardised) points and the model's line; `predict`
    maps standardised X (N, 1) to predictions (N, 1)."""
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
