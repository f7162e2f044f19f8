"""The lesson's pictures, drawn with matplotlib and written as PNG files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no window, works on machines without a display
import matplotlib.pyplot as plt
import numpy as np

from .data import CLASSES, FEATURES
from .pipeline import Prepared
from .train import Run

COLORS = {"benign": "tab:red", "malignant": "tab:blue"}


def plot_dataset(X: np.ndarray, labels: Sequence[str], path: Path) -> Path:
    """Scatter of the two features, one call per class so each gets its own legend entry.

    The lesson drew all points in one call and then named two legend entries, so its legend
    showed a single, wrongly coloured entry.
    """
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label in CLASSES:
        rows = labels == label
        ax.scatter(
            X[rows, 0],
            X[rows, 1],
            s=20,
            c=COLORS[label],
            edgecolors="k",
            linewidths=0.4,
            label=f"{label} ({rows.sum()})",
        )
    ax.set(xlabel=FEATURES[0], ylabel=FEATURES[1], title="The tumour data set")
    ax.legend(loc="upper right")
    return _save(fig, path)


def plot_decision_boundaries(run: Run, p: Prepared, path: Path) -> Path:
    """The model's predicted class over the (standardised) feature plane, train and test."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), sharex=True, sharey=True)
    X_all = np.concatenate([p.X_train, p.X_test])
    lo, hi = X_all.min(axis=0) - 0.1, X_all.max(axis=0) + 0.1
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], 101), np.linspace(lo[1], hi[1], 101))
    grid = np.c_[xx.ravel(), yy.ravel()]
    predicted = run.predict_proba(grid).argmax(axis=1).reshape(xx.shape)
    cmap = matplotlib.colors.ListedColormap([COLORS[c] for c in p.encoder.classes])
    for ax, (split, X, y) in zip(
        axes, [("train", p.X_train, p.y_train), ("test", p.X_test, p.y_test)]
    ):
        ax.contourf(xx, yy, predicted, levels=[-0.5, 0.5, 1.5], cmap=cmap, alpha=0.25)
        ax.scatter(
            X[:, 0],
            X[:, 1],
            c=y,
            cmap=cmap,
            s=16,
            edgecolors="k",
            linewidths=0.3,
            vmin=0,
            vmax=len(p.encoder) - 1,
        )
        ax.set(title=f"{run.name}: {split}", xlabel=f"{FEATURES[0]} (standardised)")
    axes[0].set_ylabel(f"{FEATURES[1]} (standardised)")
    return _save(fig, path)


def plot_losses(parts: dict[str, list[Run]], path: Path) -> Path:
    """The training loss per epoch of every implementation, one panel per part of the lesson."""
    fig, axes = plt.subplots(1, len(parts), figsize=(5 * len(parts), 4), squeeze=False)
    styles = ["-", "--", ":"]
    for ax, (title, runs) in zip(axes[0], parts.items()):
        for run, style in zip(runs, styles):
            ax.plot(run.losses, style, linewidth=2, label=run.name)
        ax.set(title=title, xlabel="epoch", ylabel="training loss")
        ax.legend()
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
