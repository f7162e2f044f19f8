"""The lessons' printed reports: the pieces every lesson prints with, and `tinygrad-lr lesson`.

Shared by the three lessons (and `parity`):
- `table`: a text table, labels left-aligned and numbers right-aligned;
- `epoch_rows`: the loss (and accuracy) of every implementation every few epochs;
- `weights_line`, `largest`: the largest difference between the implementations, or what made
  it meaningless (a NaN or inf is never a difference of 0);
- `data_line`, `starting_weights`: where the data and the starting weights come from;
- `class_metrics`: precision, recall, F1 and support per class (scikit-learn);
- `verdict`: a published figure reproduced or not; `pictures_line`: the files written.

Then the logistic-regression lesson's own report (`lesson_report`, `pictures`) and `run`, the
`tinygrad-lr lesson` command; the other lessons' are in their modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from tinygrad_lr.compare import largest_difference

from . import data, newton, pipeline, plots, train
from .data import Prepared
from .pipeline import Part

INFERENCE_EXAMPLE = {"leukocyte_count": 13.0, "blood_pressure": 12.0}  # the lesson's example


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:  # the first column holds labels: left-aligned
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def epoch_rows(
    runs: list[train.Run], every: int, loss_format: str, accuracy: bool = False
) -> list[list[str]]:
    """A table's rows every `every` epochs: the epoch, then each run's loss in `loss_format`
    (and, with `accuracy`, its training accuracy)."""
    rows = []
    for e in range(0, len(runs[0].losses), every):
        cells = [str(e)]
        for r in runs:
            cells.append(format(r.losses[e], loss_format))
            if accuracy:
                cells.append(f"{r.accuracies[e]:.3f}")
        rows.append(cells)
    return rows


def weights_line(runs: list[train.Run]) -> str:
    """The largest difference between the runs' trained weights, or what made it meaningless."""
    problems = train.nonfinite_weights(runs)
    if problems:
        return (
            "FAILED: the implementations' final weights cannot be compared: "
            + "; ".join(problems)
            + " (the training diverged: try a smaller --lr)"
        )
    return (
        "Largest difference between the implementations' final weights: "
        f"{train.weight_difference(runs):.2e}"
    )


def largest(differences: list[float], reason: str = ": the training diverged") -> str:
    """The largest difference, or "not comparable (NaN or inf{reason})": `max` would skip a
    NaN."""
    if not np.isfinite(differences).all():
        return f"not comparable (NaN or inf{reason})"
    return f"{max(differences):.1e}"


def data_line(description: str) -> str:
    return f"Data: {description}"


def starting_weights(origin: str, W: np.ndarray, b: np.ndarray) -> str:
    """Where a part's starting weights come from, and their first values."""
    return f"starting weights: {origin}: W {W.ravel()[0]:.6f}, b {b.ravel()[0]:.6f}"


def class_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, classes: list[str]
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per class (scikit-learn), in `classes`' order."""
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, average=None)
    return {
        c: {"precision": precision[i], "recall": recall[i], "f1": f1[i], "support": support[i]}
        for i, c in enumerate(classes)
    }


def overall_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 over all classes, each class's weighted by its support."""
    precision, recall, f1, _ = precision_recall_fscore_support(y_true, y_pred, average="weighted")
    return {"precision": precision, "recall": recall, "f1": f1}


def verdict(reproduced: bool) -> str:
    """ "reproduced" or "not reproduced", padded to one width so that the lines align."""
    return f"{'reproduced' if reproduced else 'not reproduced':15s}"


def pictures_line(out: Path, paths: list[Path]) -> str:
    return f"\nPictures written to {out}: " + ", ".join(path.name for path in paths)


# --- the logistic-regression lesson ------------------------------------------------------------
def lesson_report(
    p: Prepared, parts: list[Part], description: str, seed: int = 1234, every: int = 10
) -> str:
    out = [data_line(description)]
    classes = p.classes
    splits = {"train": p.y_train, "val": p.y_val, "test": p.y_test}
    out.append(
        table(
            ["split", "rows", *classes, f"{classes[1]}:{classes[0]}"],
            [
                [
                    name,
                    str(p.sizes[name]),
                    *(str(n) for n in np.bincount(y, minlength=len(classes))),
                    f"{np.bincount(y)[1] / np.bincount(y)[0]:.2f}",
                ]
                for name, y in splits.items()
            ],
        )
    )
    weights = ", ".join(f"{c} {w:.6f}" for c, w in zip(classes, p.class_weights))
    out.append(f"Class weights (1 / count in train): {weights}")
    out.append(f"Part 2 starts from the weights of {pipeline.weights_source(seed)}")

    for part in parts:
        names = [r.name for r in part.runs]
        header = ["epoch", *(f"{n} {k}" for n in names for k in ("loss", "acc"))]
        rows = epoch_rows(part.runs, every, part.loss_format, accuracy=True)
        for split, X, y in (("train", p.X_train, p.y_train), ("test", p.X_test, p.y_test)):
            rows.append(
                [
                    f"{split} acc",
                    *(v for r in part.runs for v in ("", f"{pipeline.accuracy(r, X, y):.2f}")),
                ]
            )
        out += ["", part.title, table(header, rows), weights_line(part.runs)]
    if len(parts[0].runs) < 3:
        out.append(
            "PyTorch is not installed: its column is left out "
            "(pip install torch==2.13.0 to add it)."
        )

    final = parts[-1].runs
    out += ["", "Test metrics, part 2 (scikit-learn's precision_recall_fscore_support)"]
    rows = []
    for run in final:
        y_pred = run.predict_proba(p.X_test).argmax(axis=1)
        for c, m in class_metrics(p.y_test, y_pred, classes).items():
            rows.append(
                [
                    run.name,
                    c,
                    *(f"{m[k]:.3f}" for k in ("precision", "recall", "f1")),
                    str(m["support"]),
                ]
            )
    out.append(table(["model", "class", "precision", "recall", "f1", "support"], rows))

    raw = np.array([[INFERENCE_EXAMPLE[f] for f in data.FEATURES]])
    x = p.scaler.transform(raw)
    example = ", ".join(f"{k} {v:g}" for k, v in INFERENCE_EXAMPLE.items())
    out += ["", f"Inference for {example}:"]
    for run in final:
        probs = run.predict_proba(x)[0]
        best = int(probs.argmax())
        out.append(
            f"  {run.name}: {classes[best]} ({probs[best]:.0%}); "
            + ", ".join(f"P({c}) = {q:.4f}" for c, q in zip(classes, probs))
        )

    out += [
        "",
        "Weights for unstandardised inputs, part 2: W_raw = W / σ, b_raw = b − (W / σ)·μ per class",
    ]
    for run in final:
        W_raw, b_raw = pipeline.unstandardized(run, p)
        same = largest_difference(p.raw_test @ W_raw.T + b_raw, p.X_test @ run.W.T + run.b)
        out.append(
            f"  {run.name}: W_raw {_inline(W_raw)}, b_raw {_inline(b_raw)}; largest "
            "logit difference, raw vs standardised inputs (test split): "
            + largest([same], reason="")
        )
    return "\n".join(out)


def newton_report(solved: list[newton.Solved]) -> str:
    """Part 3: the Hessian checks, Newton's steps for both parts' losses side by side, and each
    optimum against scikit-learn's and against where the lesson's epochs stopped."""
    names = ["part 1's loss", "part 2's loss (class-weighted)"]
    out = [
        "",
        "Part 3, Newton's method: each part's loss minimised exactly, from the part's start, "
        "the Hessian by autograd, float64",
    ]
    for name, s in zip(names, solved):
        line = (
            f"Hessian of {name} at the start (autograd: a backward of a recorded backward) "
            + ("equals" if s.hessian_agrees else "FAILED: differs from")
            + f" the closed form, largest difference {s.hessian_gap:.1e}"
        )
        if s.torch_gap is None:
            line += "; PyTorch is not installed, so its Hessian is not compared"
        else:
            same = "equals" if s.torch_agrees else "FAILED: differs from"
            line += f"; {same} PyTorch's, {s.torch_gap:.1e}"
        out.append(line)
    out.append(
        "Newton's steps θ ← θ − t·H⁺∇L (H⁺ the pseudo-inverse, which skips the softmax's flat "
        "directions; t = 1 unless, far from the optimum, the full step would raise the loss)"
    )
    header = ["step"] + [f"part {i} {k}" for i in (1, 2) for k in ("loss", "|gradient|", "t")]
    rows = []
    for step in range(max(len(s.history) for s in solved)):
        row = [str(step)]
        for s in solved:
            if step < len(s.history):
                h = s.history[step]
                t = f"{h.step_size:g}" if h.step_size else "-"
                row += [f"{h.loss:.10f}", f"{h.gradient_norm:.1e}", t]
            else:
                row += ["", "", ""]
        rows.append(row)
    out.append(table(header, rows))
    for name, s in zip(names, solved):
        out.append(
            f"Optimum of {name}: loss {s.loss:.10f}. scikit-learn's LogisticRegression (no "
            f"penalty, newton-cholesky) {'agrees' if s.sklearn_agrees else 'FAILED: disagrees'}: "
            f"probabilities within {s.sklearn_probability_gap:.1e}, loss within "
            f"{s.sklearn_loss_gap:.1e}. The lesson's epochs stopped at loss "
            f"{s.stopped_loss:.4f}, {s.stopped_loss - s.loss:.4f} above the optimum, with "
            f"probabilities up to {s.stopped_probability_gap:.2f} away from its."
        )
    return "\n".join(out)


def _inline(array: np.ndarray) -> str:
    return np.array2string(array, precision=4, separator=", ").replace("\n", "")


def pictures(df: Any, p: Prepared, parts: list[Part]) -> dict[str, Any]:
    """dataset.png, every part's decision boundary per implementation, losses.png."""
    X, labels = df[list(data.FEATURES)].to_numpy(), df[data.TARGET].to_numpy()
    figures = {
        "dataset.png": plots.class_scatter(
            X, labels, data.CLASSES, data.FEATURES, "The tumour data set"
        )
    }
    for number, part in enumerate(parts, start=1):
        for run in part.runs:
            figures[f"boundary_part{number}_{run.name.lower()}.png"] = plots.decision_boundary(
                run.predict_proba, p, f"{run.name}: ", data.FEATURES
            )
    titles = ["Part 1: gradient descent", "Part 2: weighted loss, Adam"]
    figures["losses.png"] = plots.loss_curves({t: part.runs for t, part in zip(titles, parts)})
    return figures


def run(data_choice: str, seed: int, lr: float, epochs: int, out: Path) -> int:
    """`tinygrad-lr lesson`: print the report, write the pictures; 1 when a training diverged."""
    plots.files_only()
    df, description = pipeline.load_data(data_choice, seed)
    p, parts = pipeline.run_lesson(df, seed, lr, epochs)
    print(lesson_report(p, parts, description, seed))
    status = 1 if train.diverged(parts) else 0
    if not status:  # Newton starts where the parts started, and compares with where they stopped
        solved = pipeline.solve_exactly(parts, p)
        print(newton_report(solved))
        status = 0 if all(s.agrees for s in solved) else 1
    print(pictures_line(out, plots.save(pictures(df, p, parts), out)))
    return status
