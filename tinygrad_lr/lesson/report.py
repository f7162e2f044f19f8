"""`tinygrad-lr lesson`: run the lesson three ways and print its outputs side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_lr.compare import largest_difference

from . import data, pipeline, plots
from .pipeline import Part, Prepared

INFERENCE_EXAMPLE = {"leukocyte_count": 13.0, "blood_pressure": 12.0}  # the lesson's example


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:  # the first column holds labels: left-aligned
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def report(
    p: Prepared, parts: list[Part], description: str, seed: int = 1234, every: int = 10
) -> str:
    out = [f"Data: {description}"]
    classes = p.encoder.classes
    sizes = p.sizes
    splits = {"train": p.y_train, "val": p.y_val, "test": p.y_test}
    out.append(
        table(
            ["split", "rows", *classes, f"{classes[1]}:{classes[0]}"],
            [
                [
                    name,
                    str(sizes[name]),
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
        epochs = len(part.runs[0].losses)
        rows = [
            [
                str(e),
                *(
                    v
                    for r in part.runs
                    for v in (format(r.losses[e], part.loss_format), f"{r.accuracies[e]:.3f}")
                ),
            ]
            for e in range(0, epochs, every)
        ]
        for split, X, y in (("train", p.X_train, p.y_train), ("test", p.X_test, p.y_test)):
            rows.append(
                [
                    f"{split} acc",
                    *(v for r in part.runs for v in ("", f"{pipeline.accuracy(r, X, y):.2f}")),
                ]
            )
        out += [
            "",
            part.title,
            table(header, rows),
            weights_line(part.runs),
        ]
    if len(parts[0].runs) < 3:
        out.append(
            "PyTorch is not installed: its column is left out "
            "(pip install torch==2.13.0 to add it)."
        )

    final = parts[-1].runs
    out += ["", "Test metrics, part 2 (scikit-learn's precision_recall_fscore_support)"]
    rows = []
    for run in final:
        for c, m in pipeline.per_class_metrics(run, p).items():
            rows.append(
                [
                    run.name,
                    c,
                    f"{m['precision']:.3f}",
                    f"{m['recall']:.3f}",
                    f"{m['f1']:.3f}",
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
        same_text = f"{same:.1e}" if np.isfinite(same) else "not comparable (NaN or inf)"
        out.append(
            f"  {run.name}: W_raw {_inline(W_raw)}, b_raw {_inline(b_raw)}; largest "
            f"logit difference, raw vs standardised inputs (test split): {same_text}"
        )
    return "\n".join(out)


def weights_line(runs: list) -> str:
    """The largest difference between the runs' trained weights, or what made it meaningless."""
    problems = pipeline.nonfinite_weights(runs)
    if problems:
        return (
            "FAILED: the implementations' final weights cannot be compared: "
            + "; ".join(problems)
            + " (the training diverged: try a smaller --lr)"
        )
    return (
        "Largest difference between the implementations' final weights: "
        f"{pipeline.weight_difference(runs):.2e}"
    )


def _inline(array: np.ndarray) -> str:
    return np.array2string(array, precision=4, separator=", ").replace("\n", "")


def write_pictures(df: Any, p: Prepared, parts: list[Part], out_dir: Path) -> list[Path]:
    out_dir = Path(out_dir)
    paths = [
        plots.plot_dataset(
            df[list(data.FEATURES)].to_numpy(), df[data.TARGET].to_numpy(), out_dir / "dataset.png"
        )
    ]
    for number, part in enumerate(parts, start=1):
        for run in part.runs:
            name = f"boundary_part{number}_{run.name.lower()}.png"
            paths.append(plots.plot_decision_boundaries(run, p, out_dir / name))
    titles = ["Part 1: gradient descent", "Part 2: weighted loss, Adam"]
    paths.append(
        plots.plot_losses({t: part.runs for t, part in zip(titles, parts)}, out_dir / "losses.png")
    )
    return paths


def run(data_choice: str, seed: int, lr: float, epochs: int, out: Path) -> int:
    """`tinygrad-lr lesson`: print the report, write the pictures; 1 when a training diverged."""
    df, description = pipeline.load_data(data_choice, seed)
    p, parts = pipeline.run_lesson(df, seed, lr, epochs)
    print(report(p, parts, description, seed))
    paths = write_pictures(df, p, parts, out)
    print(f"\nPictures written to {out}: " + ", ".join(path.name for path in paths))
    return 1 if any(pipeline.nonfinite_weights(part.runs) for part in parts) else 0
