"""`tinygrad-lr parity`: the lesson model's gradients from five sources, side by side.

The sources, for every element of W and b, unweighted and class-weighted, float64 and float32:
- hand-derived: the lesson's formulas (`reference.gradients`);
- autograd: tinygrad_lr's `backward()` through the primitive ops the model is built from;
- fused: tinygrad_lr's speed path, two nodes whose backward is the closed form written by hand;
- PyTorch (when installed);
- central diff.: (J(θ + ε) − J(θ − ε)) / 2ε in float64, from the lesson's loss.

autograd and fused are each held against the three independent references (hand-derived,
PyTorch, central differences); the hand-derived formulas against PyTorch and central
differences. Then every primitive op the model applies, one at a time, against central
differences and PyTorch, so that a broken rule is caught even where the model's gradient cannot
see it (the max in log-softmax is detached: its gradient there is zero in exact arithmetic).
Last, the weights after training. A difference over its tolerance, or a NaN or inf anywhere,
makes the command exit non-zero and name what disagrees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr import fused
from tinygrad_lr.compare import largest_difference, nonfinite, within
from tinygrad_lr.gradcheck import numeric_gradient

from . import pipeline, reference, train
from .report import table

# Largest allowed |difference| between two analytic gradients, per dtype.
ANALYTIC_TOL = {"float64": 1e-12, "float32": 1e-6}
# Central differences are taken in float64 (step 1e-6), from the float32 values in float32 rows.
NUMERIC_TOL = {"float64": 1e-7, "float32": 1e-6}
TRAINED_TOL = {"float64": 1e-12, "float32": 1e-5}
REFERENCES = ("hand-derived", "PyTorch", "central diff.")


@dataclass
class Check:
    what: str
    difference: float
    tolerance: float
    problem: str | None = None  # "NaN in autograd's bias gradient": the comparison failed

    @property
    def ok(self) -> bool:
        return self.problem is None and within(self.difference, self.tolerance)

    @property
    def verdict(self) -> str:
        if self.problem:
            return self.problem
        return "ok" if self.ok else "OVER"


def compare(what: str, a: tuple[str, Any], b: tuple[str, Any], tolerance: float) -> Check:
    """Check that two named (weight gradient, bias gradient) pairs agree within `tolerance`."""
    for name, grads in (a, b):
        for part, g in zip(("weight", "bias"), grads):
            problem = nonfinite(g, f"{name}'s {part} gradient")
            if problem:
                return Check(what, float("nan"), tolerance, problem)
    difference = max(largest_difference(x, y) for x, y in zip(a[1], b[1]))
    return Check(what, difference, tolerance)


def central_differences(X, y, W, b, w, eps=1e-6):
    """Numeric gradients of the loss in float64: (J(θ + ε) − J(θ − ε)) / 2ε per element."""
    X, W, b = X.astype(np.float64), W.astype(np.float64), b.astype(np.float64)
    w = None if w is None else w.astype(np.float64)

    def loss() -> float:
        return reference.loss(reference.softmax(reference.forward(X, W, b)), y, w)

    return numeric_gradient(loss, W, eps), numeric_gradient(loss, b, eps)


def gradient_sources(X, y, W, b, w) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every source's (dJ/dW, dJ/db) at the weights W (C, D) and b (C,)."""
    settings = dict(class_weight=w, dtype=X.dtype)
    sources = {
        "hand-derived": train.HandDerived(W, b, **settings).gradients(X, y),
        "autograd": train.Tinygrad(W, b, **settings).gradients(X, y),
        "fused": train.Tinygrad(W, b, fused=True, **settings).gradients(X, y),
    }
    if train.torch_or_none() is not None:
        sources["PyTorch"] = train.Torch(W, b, **settings).gradients(X, y)
    sources["central diff."] = central_differences(X, y, W, b, w)
    return sources


def gradient_tables(
    p: pipeline.Prepared, W0: np.ndarray, b0: np.ndarray
) -> tuple[str, list[Check]]:
    out, checks = [], []
    for dtype in ("float64", "float32"):
        X = p.X_train.astype(dtype)
        W, b = W0.astype(dtype), b0.astype(dtype)
        for weighted in (False, True):
            w = p.class_weights.astype(dtype) if weighted else None
            grads = gradient_sources(X, p.y_train, W, b, w)
            rows = [
                [f"{pname}{list(i)}", *(f"{g[k][i]: .12e}" for g in grads.values())]
                for k, pname in enumerate(("weight", "bias"))
                for i in np.ndindex(grads["hand-derived"][k].shape)
            ]
            title = f"{dtype}, {'class-weighted' if weighted else 'unweighted'} cross-entropy"
            out += [
                "",
                f"Gradients at the initial weights, {title}",
                table(["parameter", *grads], rows),
            ]
            for subject in ("autograd", "fused", "hand-derived"):
                for ref in REFERENCES:
                    if ref == subject or ref not in grads:
                        continue
                    tol = (NUMERIC_TOL if ref == "central diff." else ANALYTIC_TOL)[dtype]
                    checks.append(
                        compare(
                            f"gradients, {subject} vs {ref}, {title}",
                            (subject, grads[subject]),
                            (ref, grads[ref]),
                            tol,
                        )
                    )
    return "\n".join(out), checks


# --- every primitive op the lesson's model applies, one at a time --------------------------------
_RNG = np.random.default_rng(0)
_ROWS, _COLS = np.arange(6), np.array([0, 2, 1, 1, 0, 2])  # a gather with repeated columns


def _inputs(*shapes: tuple[int, ...], low: float | None = None) -> list[np.ndarray]:
    if low is None:
        return [_RNG.standard_normal(s) for s in shapes]
    return [_RNG.uniform(low, low + 2, s) for s in shapes]


# name: (expression, written with names tinygrad_lr and PyTorch share; its float64 inputs)
PRIMITIVES: dict[str, tuple[Callable[..., Any], list[np.ndarray]]] = {
    "Permute": (lambda x: x.permute(1, 0), _inputs((3, 2))),
    "MatMul": (lambda x, w: x @ w, _inputs((6, 2), (2, 3))),
    "Add": (lambda z, b: z + b, _inputs((6, 3), (3,))),
    "Max": (lambda z: z.amax(dim=1, keepdim=True), _inputs((6, 3))),
    "Sub": (lambda z, m: z - m, _inputs((6, 3), (6, 1))),
    "Exp": (lambda z: z.exp(), _inputs((6, 3))),
    "Sum": (lambda z: z.sum(dim=1, keepdim=True), _inputs((6, 3))),
    "Log": (lambda z: z.log(), _inputs((6, 3), low=0.5)),
    "Index": (lambda z: z[_ROWS, _COLS], _inputs((6, 3))),
    "Neg": (lambda z: -z, _inputs((6,))),
    "Mul": (lambda a, b: a * b, _inputs((6,), (6,))),
    "Div": (lambda a, b: a / b, [*_inputs((6,)), *_inputs((), low=0.5)]),
}
_CLASS_WEIGHT = np.array([0.5, 2.0, 1.25])

# The fused ops with every input needing a gradient (the lesson's X needs none, so the model
# never runs fused.Linear's input rule): name → (ours, PyTorch's, float64 inputs).
FUSED: dict[str, tuple[Callable[..., Any], Callable[..., Any], list[np.ndarray]]] = {
    "fused.linear": (
        fused.linear,
        lambda x, w, b: x @ w.T + b,
        _inputs((6, 2), (3, 2), (3,)),
    ),
    "fused.cross_entropy": (
        lambda z: fused.cross_entropy(z, _COLS, weight=_CLASS_WEIGHT, reduction="none"),
        lambda z: _torch_cross_entropy(z),
        _inputs((6, 3)),
    ),
}


def _torch_cross_entropy(z: Any) -> Any:
    torch = train.torch_or_none()
    return torch.nn.functional.cross_entropy(
        z, torch.tensor(_COLS), weight=torch.tensor(_CLASS_WEIGHT), reduction="none"
    )


def primitive_checks() -> list[Check]:
    """Each primitive op's gradient, under a random upstream gradient, against central
    differences (float64) and PyTorch: autograd's rules one at a time; then the fused ops'."""
    torch = train.torch_or_none()
    cases = [(f"op {n}", fn, fn, arrays) for n, (fn, arrays) in PRIMITIVES.items()]
    cases += [(f"op {n}", fn, theirs, arrays) for n, (fn, theirs, arrays) in FUSED.items()]
    checks = []
    for what, fn, torch_fn, arrays in cases:
        subject = "fused" if "fused" in what else "autograd"
        ours, references = _gradients(fn, torch_fn, arrays, torch)
        for ref, (expected, tol) in references.items():
            checks.append(_compare_inputs(f"{what}, {subject} vs {ref}", ours, expected, tol))
    return checks


def _gradients(fn: Callable[..., Any], torch_fn: Callable[..., Any], arrays: list, torch: Any):
    """Our gradient of Σ upstream · fn(inputs) for each input, and the references'."""
    tensors = [tg.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    upstream = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(upstream)
    ours = [None if t.grad is None else t.grad.numpy() for t in tensors]

    def projected() -> float:  # reads `arrays`, which numeric_gradient nudges in place
        with tg.no_grad():
            return float(np.sum(upstream * fn(*[tg.Tensor.wrap(a) for a in arrays]).numpy()))

    numeric = [numeric_gradient(projected, a) for a in arrays]
    references = {"central diff.": (numeric, NUMERIC_TOL["float64"])}
    if torch is not None:
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
        torch_fn(*theirs).backward(torch.tensor(upstream))
        references["PyTorch"] = ([t.grad.numpy() for t in theirs], ANALYTIC_TOL["float64"])
    return ours, references


def _compare_inputs(what: str, ours: list, expected: list, tolerance: float) -> Check:
    for i, (a, e) in enumerate(zip(ours, expected)):
        if a is None:
            return Check(what, float("nan"), tolerance, f"no gradient reached input {i}")
        problem = nonfinite(a, f"the gradient of input {i}") or nonfinite(
            e, f"the reference gradient of input {i}"
        )
        if problem:
            return Check(what, float("nan"), tolerance, problem)
    return Check(what, max(largest_difference(a, e) for a, e in zip(ours, expected)), tolerance)


def trained_checks(p: pipeline.Prepared, parts: list[pipeline.Part], epochs: int) -> list[Check]:
    """Every implementation's trained weights, fused path included, against the NumPy run's."""
    checks = []
    for number, (part, dtype) in enumerate(zip(parts, ("float64", "float32")), start=1):
        W0, b0 = part.initial
        fused = train.fit(
            train.Tinygrad(W0, b0, fused=True, **part.settings), p.X_train, p.y_train, epochs
        )
        by_hand, *others = [*part.runs, fused]
        for run in others:
            what = f"trained weights, part {number}, {run.name} vs {by_hand.name}"
            problems = train.nonfinite_weights([by_hand, run])
            difference = train.weight_difference([by_hand, run])
            checks.append(Check(what, difference, TRAINED_TOL[dtype], "; ".join(problems) or None))
    return checks


def checks_table(checks: list[Check]) -> str:
    return table(
        ["largest |difference| of", "", "tolerance", ""],
        [[c.what, f"{c.difference:.2e}", f"{c.tolerance:.0e}", c.verdict] for c in checks],
    )


def run(data_choice: str, seed: int, lr: float, epochs: int) -> int:
    """`tinygrad-lr parity`: print the tables and the checks; 1 when any check fails."""
    df, description = pipeline.load_data(data_choice, seed)
    p, parts = pipeline.run_lesson(df, seed, lr, epochs)
    text, checks = gradient_tables(p, *parts[0].initial)
    checks += primitive_checks()
    checks += trained_checks(p, parts, epochs)
    print(f"Data: {description}{text}\n")
    print(f"Largest differences (weights trained {epochs} epochs, lr {lr})")
    print(checks_table(checks))
    if train.torch_or_none() is None:
        print("PyTorch is not installed: its column is left out.")
    failed = [c for c in checks if not c.ok]
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks within tolerance")
    for c in failed:
        reason = c.problem or f"{c.difference:.2e} > {c.tolerance:.0e}"
        print(f"FAILED: {c.what}: {reason}")
    return 1 if failed else 0
