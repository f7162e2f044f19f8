"""`tinygrad-lr parity`: the lesson model's gradients from four sources, side by side.

Hand-derived (the lesson's formulas), autograd (tinygrad_lr), PyTorch, and central differences,
for every element of W and b, unweighted and class-weighted, in float64 and float32; then the
weights after training. A difference over its tolerance makes the command exit non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import tinygrad_lr as tg

from . import lesson, reference
from .gradcheck import numeric_gradient
from .lesson_report import table

# Largest allowed |difference| from the hand-derived gradient, per dtype.
ANALYTIC_TOL = {"float64": 1e-12, "float32": 1e-6}
# Central differences are taken in float64 (step 1e-6), from the float32 values in float32 rows.
NUMERIC_TOL = {"float64": 1e-7, "float32": 1e-6}
TRAINED_TOL = {"float64": 1e-12, "float32": 1e-5}


@dataclass
class Check:
    what: str
    difference: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.difference <= self.tolerance


def hand_derived(X, y, W, b, w):
    """(dJ/dweight, dJ/dbias) in nn.Linear's layout, from the lesson's formulas."""
    y_hat = reference.softmax(reference.forward(X, W.T, b))
    dW, db = reference.gradients(X, y_hat, y, w)
    return dW.T, db[0]


def autograd(X, y, W, b, w):
    model = tg.nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype)
    model.load_state_dict({"weight": W, "bias": b})
    tg.nn.CrossEntropyLoss(weight=w)(model(tg.Tensor(X)), y).backward()
    return model.weight.grad.data, model.bias.grad.data


def pytorch(X, y, W, b, w):
    torch = lesson.torch_or_none()
    model = torch.nn.Linear(W.shape[1], W.shape[0], dtype=getattr(torch, W.dtype.name))
    model.load_state_dict({"weight": torch.tensor(W), "bias": torch.tensor(b)})
    weight = None if w is None else torch.tensor(w)
    torch.nn.CrossEntropyLoss(weight=weight)(model(torch.tensor(X)), torch.tensor(y)).backward()
    return model.weight.grad.numpy(), model.bias.grad.numpy()


def central_differences(X, y, W, b, w, eps=1e-6):
    """Numeric gradients of the loss in float64: (J(θ + ε) − J(θ − ε)) / 2ε per element."""
    X, W, b = X.astype(np.float64), W.astype(np.float64), b.astype(np.float64)
    w = None if w is None else w.astype(np.float64)

    def loss() -> float:
        return reference.loss(reference.softmax(reference.forward(X, W.T, b)), y, w)

    return numeric_gradient(loss, W, eps), numeric_gradient(loss, b, eps)


def gradient_tables(p: lesson.Prepared, W0: np.ndarray, b0: np.ndarray) -> tuple[str, list[Check]]:
    sources = {"hand-derived": hand_derived, "autograd": autograd}
    if lesson.torch_or_none() is not None:
        sources["PyTorch"] = pytorch
    sources["central diff."] = central_differences
    out, checks = [], []
    for dtype in ("float64", "float32"):
        X = p.X_train.astype(dtype)
        W, b = W0.T.astype(dtype), b0[0].astype(dtype)  # nn.Linear layout (C, D) and (C,)
        for weighted in (False, True):
            w = p.class_weights.astype(dtype) if weighted else None
            grads = {name: f(X, p.y_train, W.copy(), b.copy(), w) for name, f in sources.items()}
            rows = [
                [f"{pname}{list(i)}", *(f"{g[k][i]: .12e}" for g in grads.values())]
                for k, pname in enumerate(("weight", "bias"))
                for i in np.ndindex(grads["hand-derived"][k].shape)
            ]
            title = f"{dtype}, {'class-weighted' if weighted else 'unweighted'} cross-entropy"
            out += [
                "",
                f"Gradients at the initial weights, {title}",
                table(["parameter", *sources], rows),
            ]
            for name, g in grads.items():
                if name == "hand-derived":
                    continue
                diff = max(float(np.abs(g[k] - grads["hand-derived"][k]).max()) for k in (0, 1))
                tol = (NUMERIC_TOL if name == "central diff." else ANALYTIC_TOL)[dtype]
                checks.append(Check(f"gradients, {name} vs hand-derived, {title}", diff, tol))
    return "\n".join(out), checks


def trained_checks(parts: list) -> list[Check]:
    dtypes = ("float64", "float32")
    return [
        Check(
            f"trained weights, {part.title.split(':')[0]}, between all implementations",
            lesson.largest_difference(part.runs),
            TRAINED_TOL[dtype],
        )
        for part, dtype in zip(parts, dtypes)
    ]


def checks_table(checks: list[Check]) -> str:
    return table(
        ["largest |difference| of", "", "tolerance", ""],
        [
            [c.what, f"{c.difference:.2e}", f"{c.tolerance:.0e}", "ok" if c.ok else "OVER"]
            for c in checks
        ],
    )
