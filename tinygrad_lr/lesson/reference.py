"""The lesson's softmax classifier with hand-derived gradients, in plain NumPy.

This is the reference the engine is held against: every formula below is derived on paper in
the lesson, and the tests check that tinygrad_lr's autograd produces the same numbers.

Shapes: X is (N, D), y holds N class indices, and the weights have PyTorch's `nn.Linear` layout,
W (C, D) and b (C,), as everywhere in this project. The lesson itself writes W as (D, C) and the
logits as X W; ours is its transpose, so the lesson's dW = Xᵀ(ŷ − Y)/N appears here as
(ŷ − Y)ᵀ X / N, the same numbers transposed.

    logits = X Wᵀ + b
    ŷ = softmax(logits)                         (row-wise)
    J = −(1/N) Σᵢ log ŷ[i, yᵢ]
    dJ/dlogits = (ŷ − Y) / N                    (Y = onehot(y))
    dW = (ŷ − Y)ᵀ X / N,   db = Σᵢ (ŷ − Y)ᵢ / N

With class weights w (PyTorch's weighted mean), each row is scaled by w[yᵢ] and the mean divides
by Σᵢ w[yᵢ] instead of N:

    J = −Σᵢ w[yᵢ] log ŷ[i, yᵢ] / Σᵢ w[yᵢ]
    dJ/dlogits = w[y] ⊙ (ŷ − Y) / Σᵢ w[yᵢ]
"""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax. Subtracting each row's max first keeps exp from overflowing (the lesson
    did not, so its version returns nan once a logit passes ~710); the result is the same."""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The logits X Wᵀ + b (W is (C, D), b is (C,))."""
    return X @ W.T + b


def row_weights(y: np.ndarray, class_weight: np.ndarray | None, dtype: np.dtype) -> np.ndarray:
    """w[yᵢ] for every row: ones when there are no class weights."""
    return np.ones(len(y), dtype) if class_weight is None else np.asarray(class_weight)[y]


def loss(y_hat: np.ndarray, y: np.ndarray, class_weight: np.ndarray | None = None) -> float:
    """Cross-entropy of the probabilities ŷ: the (weighted) mean of −log ŷ[i, yᵢ]."""
    w = row_weights(y, class_weight, y_hat.dtype)
    return float(-(w * np.log(y_hat[np.arange(len(y)), y])).sum() / w.sum())


def dlogits(y_hat: np.ndarray, y: np.ndarray, class_weight: np.ndarray | None = None) -> np.ndarray:
    """dJ/dlogits = w[y] (ŷ − Y) / Σ w[y]. Works on a copy: the lesson overwrote ŷ."""
    w = row_weights(y, class_weight, y_hat.dtype)
    d = y_hat.copy()
    d[np.arange(len(y)), y] -= 1
    return d * (w / w.sum())[:, None]


def gradients(
    X: np.ndarray, y_hat: np.ndarray, y: np.ndarray, class_weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """dW = (dJ/dlogits)ᵀ X, shape (C, D) like W, and db = Σᵢ (dJ/dlogits)ᵢ, shape (C,)."""
    d = dlogits(y_hat, y, class_weight)
    return d.T @ X, d.sum(axis=0)


def sgd_update(param: np.ndarray, grad: np.ndarray, state: dict, lr: float) -> None:
    """One step of gradient descent in place, as the lesson's loop: param ← param − lr · grad.

    `state` is unused; it is there so that SGD and Adam are called the same way."""
    param -= lr * grad


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    state: dict,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """One Adam step in place, in the textbook form (Kingma & Ba, 2015):

        m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²,   m̂ = m/(1 − β₁ᵗ),   v̂ = v/(1 − β₂ᵗ)
        param ← param − lr · m̂ / (√v̂ + eps)

    `state` starts empty and keeps t, m and v between calls. PyTorch arranges the same
    arithmetic differently (it folds the corrections into the step size), so the two agree to
    rounding, not bit for bit.
    """
    beta1, beta2 = betas
    if not state:
        state.update(t=0, m=np.zeros_like(param), v=np.zeros_like(param))
    state["t"] += 1
    t, m, v = state["t"], state["m"], state["v"]
    m[...] = beta1 * m + (1 - beta1) * grad
    v[...] = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    v_hat = v / (1 - beta2**t)
    param -= lr * m_hat / (np.sqrt(v_hat) + eps)


def unstandardize(
    W: np.ndarray, b: np.ndarray, mean: np.ndarray, scale: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weights for raw inputs from weights trained on standardised ones, x_std = (x − μ) / σ.

    W x_std + b = (W/σ) x + (b − (W/σ)·μ), so W_raw = W/σ (each column of W divided by its
    feature's σ) and b_raw[c] = b[c] − Σ_d W_raw[c, d] μ[d], one value per class c. The lesson
    summed over the classes as well, subtracting the same number from every class's bias; that
    is the bug fixed here.
    """
    W_raw = W / scale[None, :]
    return W_raw, b - W_raw @ mean
