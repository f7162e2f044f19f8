"""`tinygrad-lr exercises [FILE]`: grade the learner's backward rules, op by op, with the kit.

The exercises are the stubs in `lessons/exercises/backward_rules.py`: one
`tinygrad_lr.autograd.Function` per op (mul, exp, log, a sum over a dim, matmul, log-softmax,
the lesson's cross-entropy, and the lesson's hand-derived gradient of its model), forward given,
backward to write. Each is held by `check_op_kit` against PyTorch and central differences over
the shapes that catch its usual mistakes (a square case for a transposed or misplaced
gradient, logits up to 150 in float32 for an overflowing softmax), and graded PASS, FAIL (with
the shape case and the element that differs) or NOT DONE (its backward still raises
NotImplementedError).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..autograd import Function
from ..check_kit import check_op_kit, torch_or_none
from ..check_load import OpSpecError, load_module

__all__ = ["EXERCISES", "Exercise", "Grade", "OpSpecError", "default_file", "grade", "run"]

STUBS = Path("lessons") / "exercises" / "backward_rules.py"
LABELS_5 = np.array([0, 2, 1, 1, 0])
LABELS_6 = np.array([1, 0, 1, 1, 0, 0])
# logits this large overflow exp in float32 (above about 88.7): only a rule that never
# exponentiates the raw logits survives them
LARGE = {"low": 50.0, "high": 150.0}


@dataclass(frozen=True)
class Exercise:
    """One backward rule to write: the class in the file, how it is called, its reference."""

    name: str  # the Function subclass's name in the exercises file
    title: str
    call: Callable[[Any], Callable[..., Any]]  # the class → the function the kit checks
    torch_fn: Callable[..., Any]  # the same on torch tensors (methods both libraries share)
    checks: tuple[dict[str, Any], ...] = ({},)  # check_op_kit options, one run each
    hint: str = ""


def _apply(cls: Any) -> Callable[..., Any]:
    return cls.apply


EXERCISES = (
    Exercise(
        "Mul",
        "x · y, broadcasting",
        _apply,
        lambda x, y: x * y,
        hint="dx = g · y, dy = g · x; shapes that broadcast are summed down by the engine",
    ),
    Exercise("Exp", "eˣ", _apply, lambda x: x.exp(), hint="dx = g · eˣ, and eˣ is the output z"),
    Exercise(
        "Log",
        "log x",
        _apply,
        lambda x: x.log(),
        ({"positive": True},),
        hint="dx = g / x",
    ),
    Exercise(
        "SumDim",
        "sum over dim 1",
        lambda cls: lambda x: cls.apply(x, 1),
        lambda x: x.sum(dim=1),
        (
            {
                "shapes": {
                    "full": (3, 4),
                    "square": (4, 4),
                    "column": (3, 1),
                    "row": (1, 4),
                    "three dims": (2, 3, 4),
                }
            },
        ),
        hint="grad lost the summed dim: unsqueeze(ctx.dim) before expanding to ctx.shape, or "
        "it lines up with the wrong dim",
    ),
    Exercise(
        "MatMul",
        "X @ Y",
        _apply,
        lambda x, y: x @ y,
        (
            {
                "shapes": {
                    "rectangular": ((3, 4), (4, 2)),
                    "square": ((4, 4), (4, 4)),
                    "row times matrix": ((1, 4), (4, 3)),
                    "outer product": ((3, 1), (1, 2)),
                }
            },
        ),
        hint="dX = G @ Yᵀ (shaped like X), dY = Xᵀ @ G (shaped like Y); a transposed one "
        "shows in the square case",
    ),
    Exercise(
        "LogSoftmax",
        "log-softmax over the last dim",
        _apply,
        lambda x: x.log_softmax(dim=-1),
        (
            {"shapes": {"full": (3, 4), "row": (1, 5), "column": (4, 1), "three dims": (2, 3, 4)}},
            {"shapes": {"large logits in [50, 150)": (3, 5)}, **LARGE},
        ),
        hint="dx = g − softmax(x) · Σ g over the last dim, with softmax(x) = exp(z) (exp of "
        "the raw x overflows in float32)",
    ),
    Exercise(
        "CrossEntropy",
        "the lesson's cross-entropy",
        _apply,
        lambda logits, y: -logits.log_softmax(dim=-1).gather(1, y.unsqueeze(1)).mean(),
        (
            {
                "shapes": {
                    "5 examples, 3 classes": ((5, 3), LABELS_5),
                    "1 example": ((1, 2), np.array([1])),
                    "square": ((4, 4), np.array([3, 0, 2, 1])),
                }
            },
            {"shapes": {"large logits in [50, 150)": ((5, 3), LABELS_5)}, **LARGE},
        ),
        hint="dJ/dlogits = g · (ŷ − Y) / N, Y the one-hot labels; None for y",
    ),
    Exercise(
        "SoftmaxRegressionLoss",
        "the lesson's gradient dW = Xᵀ(ŷ − Y)/N, db",
        _apply,
        lambda X, W, b, y: -(X @ W + b).log_softmax(dim=-1).gather(1, y.unsqueeze(1)).mean(),
        (
            {
                "shapes": {
                    "N 6, D 2, C 2 (the lesson's sizes)": ((6, 2), (2, 2), (2,), LABELS_6),
                    "N 5, D 3, C 3": ((5, 3), (3, 3), (3,), LABELS_5),
                },
                "requires_grad": (False, True, True, False),
            },
        ),
        hint="dW = g · Xᵀ(ŷ − Y)/N, shaped like W (D, C); db = g · Σᵢ (ŷ − Y)ᵢ / N; None for "
        "X and y",
    ),
)


@dataclass
class Grade:
    """One exercise's result: PASS, FAIL or NOT DONE, and what to say about it."""

    exercise: Exercise
    status: str
    details: list[str] = field(default_factory=list)


def grade_one(module: Any, exercise: Exercise) -> Grade:
    """Run the kit on one exercise of a loaded exercises module."""
    cls = getattr(module, exercise.name, None)
    if cls is None:
        return Grade(exercise, "FAIL", [f"the file has no class {exercise.name}"])
    if not (isinstance(cls, type) and issubclass(cls, Function)):
        return Grade(exercise, "FAIL", [f"{exercise.name} is not a Function subclass"])
    failures, empty = [], []
    for options in exercise.checks:
        try:
            report = check_op_kit(
                exercise.call(cls), torch_fn=exercise.torch_fn, name=exercise.name, **options
            )
        except (TypeError, ValueError) as error:  # forward's signature is not the exercise's
            return Grade(exercise, "FAIL", [f"{type(error).__name__}: {error}"])
        failures += report.failures
        if not report.cases_run and not report.failures:
            empty.append(f"no shape case could run: {'; '.join(report.skipped[:1])}")
    if not failures and not empty:
        return Grade(exercise, "PASS")
    if not empty and all(f.not_implemented for f in failures):
        return Grade(exercise, "NOT DONE", [f"{failures[0].error}"])
    first = failures[0].hint if failures else empty[0]
    return Grade(exercise, "FAIL", [first, f"hint: {exercise.hint}"])


def grade(path: str | Path) -> list[Grade]:
    """Grade every exercise in the file at `path`. Raises `OpSpecError` (one line) when the
    file is missing or cannot be loaded (a syntax error, an error at import)."""
    module = load_module(path)
    return [grade_one(module, exercise) for exercise in EXERCISES]


def default_file() -> Path | None:
    """The stubs: `lessons/exercises/backward_rules.py` in the current folder, else beside the
    package (a source checkout); None when neither exists."""
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (root / STUBS).is_file():
            return root / STUBS if root != Path.cwd() else STUBS
    return None


def run(path: str | Path) -> int:
    """Grade and print: one line per exercise, details under a failure, a summary. Returns 0
    when every exercise passes, else 1."""
    grades = grade(path)
    against = "PyTorch and " if torch_or_none() is not None else "(PyTorch is not installed) "
    print(f"Grading {path}: each backward rule against {against}central differences")
    width = max(len(g.exercise.name) for g in grades)
    for number, g in enumerate(grades, start=1):
        print(f"{number:>2}. {g.exercise.name:<{width}}  {g.status:<8}  {g.exercise.title}")
        for line in g.details:
            print(f"      {line}")
    counts = {s: sum(g.status == s for g in grades) for s in ("PASS", "FAIL", "NOT DONE")}
    print(
        f"{counts['PASS']} of {len(grades)} exercises pass, {counts['FAIL']} fail, "
        f"{counts['NOT DONE']} not done"
    )
    return 0 if counts["PASS"] == len(grades) else 1
