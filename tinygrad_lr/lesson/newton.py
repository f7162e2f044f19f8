"""Part 3 of the lesson: Newton's method, with the Hessian taken by autograd.

Fifty epochs of gradient descent or Adam stop somewhere; the three implementations agreeing
says they took the same steps, not that they reached the answer. The loss is convex, so it has
one minimum (up to the softmax's redundancy, below), and Newton's method reaches it in a
handful of steps: θ ← θ − H⁻¹ ∇L(θ), with H the Hessian of the loss.

The parameters are θ = [W | b], one row per class (its weights, then its bias), flattened row
by row: a model on x̃ = (x, 1), the bias a weight on a constant feature. With p = softmax(z)
for each row of data and class weights w (all 1 for the unweighted loss),

    L(θ)  = −Σₙ w[yₙ] log pₙ,yₙ / Σₙ w[yₙ]
    ∇L    = Σₙ w[yₙ] (pₙ − onehot(yₙ)) ⊗ x̃ₙ / Σₙ w[yₙ]
    H     = Σₙ w[yₙ] (diag(pₙ) − pₙpₙᵀ) ⊗ x̃ₙx̃ₙᵀ / Σₙ w[yₙ]

(⊗ the Kronecker product, class index first, as θ is laid out). For two classes, with the
logit difference s = z₁ − z₀ and p = σ(s), the block diag(p) − ppᵀ is p(1 − p)·[[1, −1], [−1, 1]]
and H reduces to Xᵀ diag(w p(1 − p)) X / Σ w, logistic regression's Hessian, up to that sign
pattern.

The redundancy: adding the same vector to every class's row of θ changes no probability, so H
has zero curvature along those directions (D + 1 of them) and cannot be inverted. The gradient
has no component along them either (Σ_c (p_c − y_c) = 0 in every row). Two standard ways out:
fix one class's row at zero (scikit-learn does this for two classes: one logit), or take the
pseudo-inverse H⁺, whose step is the shortest that solves the Newton equation and so never
moves along the flat directions. Here: the pseudo-inverse, so the model keeps the lesson's
shape (a row per class) and its starting point; only the probabilities are compared with
scikit-learn's, since the rows themselves are defined only up to that shift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr.autograd.functional import hessian
from tinygrad_lr.compare import largest_difference, within

from . import reference
from .train import torch_or_none

# Newton stops when the gradient's norm is below this (float64: about the rounding of the loss)
GRADIENT_TOLERANCE = 1e-12
MAX_STEPS = 50
# below this gradient norm Newton takes full steps (the quadratic regime; see `newton`)
LINE_SEARCH_BELOW = 1e-6
# a gradient norm below this that no longer goes down is the rounding of the gradient itself
ROUNDING_FLOOR = 1e-9
# singular values of H below this fraction of the largest are the flat directions (exactly
# zero on paper, ~1e-17 relative after rounding)
PINV_RCOND = 1e-10


def pack(W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """θ = [W | b] flattened row by row: class c's weights, then its bias, then class c + 1's."""
    return np.concatenate([W, b[:, None]], axis=1).ravel()


def unpack(theta: np.ndarray, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    Wb = theta.reshape(num_classes, -1)
    return Wb[:, :-1], Wb[:, -1]


def loss_function(
    X: np.ndarray, y: np.ndarray, class_weight: np.ndarray | None, lib: Any = tg
) -> Any:
    """The lesson's loss as a function of θ alone, in float64, made of `lib`'s ops (tinygrad_lr,
    or torch: the same lines), so that autograd can take its gradient and its Hessian."""
    F = lib.nn.functional
    x = lib.tensor(np.asarray(X, dtype=np.float64))
    target = lib.tensor(np.asarray(y, dtype=np.int64))
    weight = None if class_weight is None else lib.tensor(np.asarray(class_weight, np.float64))
    num_classes = int(y.max()) + 1 if class_weight is None else len(class_weight)

    def loss(theta: Any) -> Any:
        Wb = theta.reshape(num_classes, -1)
        return F.cross_entropy(F.linear(x, Wb[:, :-1], Wb[:, -1]), target, weight=weight)

    return loss


def probabilities(theta: np.ndarray, X: np.ndarray, num_classes: int) -> np.ndarray:
    """The model's class probabilities at θ: the lesson's own forward pass and softmax."""
    return reference.softmax(reference.forward(X, *unpack(theta, num_classes)))


def closed_form_hessian(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, class_weight: np.ndarray | None
) -> np.ndarray:
    """H = Σₙ w[yₙ] (diag(pₙ) − pₙpₙᵀ) ⊗ x̃ₙx̃ₙᵀ / Σₙ w[yₙ], in NumPy, from the formula."""
    n = len(y)
    w = reference.row_weights(y, class_weight, np.float64)
    p = probabilities(theta, X, theta.size // (X.shape[1] + 1))
    x1 = np.concatenate([X, np.ones((n, 1))], axis=1)
    H = np.zeros((theta.size, theta.size))
    for wn, pn, xn in zip(w, p, x1, strict=True):
        H += wn * np.kron(np.diag(pn) - np.outer(pn, pn), np.outer(xn, xn))
    return H / w.sum()


@dataclass
class NewtonStep:
    step: int
    loss: float
    gradient_norm: float
    step_size: float  # 1 for a full Newton step; halved while the loss would not go down


def newton(
    X: np.ndarray,
    y: np.ndarray,
    theta0: np.ndarray,
    class_weight: np.ndarray | None = None,
    max_steps: int = MAX_STEPS,
) -> tuple[np.ndarray, list[NewtonStep]]:
    """Newton's method from θ₀: each step takes ∇L and H by autograd (tinygrad_lr), then
    θ ← θ − t·H⁺∇L. Far from the optimum (|∇L| > LINE_SEARCH_BELOW) a quadratic model can
    overshoot, so t is halved while the full step would raise the loss; closer, the pure step
    (t = 1) is taken, and the gradient's norm then roughly squares at every step. (There the
    loss changes by less than its own rounding, so comparing losses would only add noise.)
    Stops when the gradient's norm is below GRADIENT_TOLERANCE, or when, already tiny, it stops
    going down: the float64 rounding of the gradient itself."""
    loss = loss_function(X, y, class_weight)
    theta = np.array(theta0, dtype=np.float64)
    history: list[NewtonStep] = []
    for step in range(max_steps + 1):
        t = tg.tensor(theta, requires_grad=True)
        value = loss(t)
        (g,) = tg.autograd.grad(value, t)
        g = g.numpy()
        norm = float(np.linalg.norm(g))
        at_rounding = bool(history) and norm < ROUNDING_FLOOR and norm >= history[-1].gradient_norm
        if step == max_steps or norm < GRADIENT_TOLERANCE or at_rounding:
            history.append(NewtonStep(step, float(value), norm, 0.0))
            break
        H = hessian(loss, tg.tensor(theta)).numpy()
        if not (np.isfinite(H).all() and np.isfinite(g).all()):  # a broken rule: stop here,
            history.append(NewtonStep(step, float(value), norm, 0.0))  # the checks then fail
            break
        direction = np.linalg.pinv(H, rcond=PINV_RCOND, hermitian=True) @ g
        size = 1.0
        while norm > LINE_SEARCH_BELOW and size > 1e-8:
            with tg.no_grad():
                if float(loss(tg.tensor(theta - size * direction))) <= float(value):
                    break
            size /= 2
        history.append(NewtonStep(step, float(value), norm, size))
        theta = theta - size * direction
    return theta, history


def sklearn_probabilities(
    X: np.ndarray, y: np.ndarray, class_weight: np.ndarray | None
) -> np.ndarray:
    """The same optimum found by scikit-learn: no penalty (C = inf), Newton-Cholesky, a tight
    tolerance, the same class weights (scikit-learn minimises the weighted sum, not the
    weighted mean: the same minimum). Its probabilities on X."""
    from sklearn.linear_model import LogisticRegression

    weights = None if class_weight is None else dict(enumerate(class_weight))
    model = LogisticRegression(
        C=np.inf, solver="newton-cholesky", tol=1e-14, max_iter=1000, class_weight=weights
    )
    model.fit(X, y)
    return model.predict_proba(X)


# --- the lesson's part 3 -----------------------------------------------------------------------
HESSIAN_AGREEMENT = 1e-12  # float64: autograd's Hessian and the closed form agree to rounding
PROBABILITY_AGREEMENT = 1e-6  # Newton's optimum against scikit-learn's: predicted probabilities
LOSS_AGREEMENT = 1e-9  # and the loss there


@dataclass
class Solved:
    """One part's loss minimised by Newton's method, and every check made on the way."""

    hessian_gap: float  # autograd's Hessian at the start against the closed form
    torch_gap: float | None  # against PyTorch's torch.autograd.functional.hessian (None: absent)
    history: list[NewtonStep]
    theta: np.ndarray
    loss: float  # at the optimum
    sklearn_probability_gap: float
    sklearn_loss_gap: float
    stopped_loss: float  # where the lesson's 50 epochs stopped (the same loss)
    stopped_probability_gap: float  # their probabilities against the optimum's

    @property
    def hessian_agrees(self) -> bool:
        return within(self.hessian_gap, HESSIAN_AGREEMENT)

    @property
    def torch_agrees(self) -> bool:
        """True also when PyTorch is absent (nothing to compare)."""
        return self.torch_gap is None or within(self.torch_gap, HESSIAN_AGREEMENT)

    @property
    def sklearn_agrees(self) -> bool:
        return within(self.sklearn_probability_gap, PROBABILITY_AGREEMENT) and within(
            self.sklearn_loss_gap, LOSS_AGREEMENT
        )

    @property
    def agrees(self) -> bool:
        return self.hessian_agrees and self.torch_agrees and self.sklearn_agrees


def solve(
    X: np.ndarray,
    y: np.ndarray,
    start: tuple[np.ndarray, np.ndarray],
    class_weight: np.ndarray | None,
    stopped: tuple[np.ndarray, np.ndarray],
) -> Solved:
    """Part 3 for one loss: the Hessian at `start` three ways, Newton from `start`, the optimum
    against scikit-learn's, and the weights the lesson `stopped` at against the optimum."""
    theta0 = pack(np.asarray(start[0], np.float64), np.asarray(start[1], np.float64))
    H = hessian(loss_function(X, y, class_weight), tg.tensor(theta0)).numpy()
    torch_H = torch_hessian(theta0, X, y, class_weight)
    theta, history = newton(X, y, theta0, class_weight)
    C = theta.size // (X.shape[1] + 1)
    ours = probabilities(theta, X, C)
    sklearn = sklearn_probabilities(X, y, class_weight)
    loss = reference.loss(ours, y, class_weight)
    there = probabilities(pack(*(np.asarray(a, np.float64) for a in stopped)), X, C)
    return Solved(
        hessian_gap=largest_difference(H, closed_form_hessian(theta0, X, y, class_weight)),
        torch_gap=None if torch_H is None else largest_difference(H, torch_H),
        history=history,
        theta=theta,
        loss=loss,
        sklearn_probability_gap=largest_difference(ours, sklearn),
        sklearn_loss_gap=abs(loss - reference.loss(sklearn, y, class_weight)),
        stopped_loss=reference.loss(there, y, class_weight),
        stopped_probability_gap=largest_difference(there, ours),
    )


def torch_hessian(
    theta: np.ndarray, X: np.ndarray, y: np.ndarray, class_weight: np.ndarray | None
) -> np.ndarray | None:
    """PyTorch's Hessian of the same loss (torch.autograd.functional.hessian), or None
    without PyTorch."""
    torch = torch_or_none()
    if torch is None:
        return None
    loss = loss_function(X, y, class_weight, lib=torch)
    return torch.autograd.functional.hessian(loss, torch.tensor(theta)).numpy()
