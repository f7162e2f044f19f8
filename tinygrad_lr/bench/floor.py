"""The floor: the leanest training step NumPy takes, to measure tinygrad_lr against.

One step of the benchmark's model (logits z = X Wᵀ + b, class-weighted cross-entropy with
PyTorch's weighted mean, its gradient, an Adam update), written for speed and nothing else:

- every array the step writes is allocated once per batch size and reused: no temporaries, so
  no allocator work and no page faults once warm;
- the logits are kept class-major, shape (C, N): the row max, the row sums and every per-row
  broadcast then run along contiguous memory, at streaming speed for 2 classes or 1,000, and the
  gradient dW = dzᵀ X needs no transpose (`FloorRowMajor` is the same step with PyTorch's
  (N, C) layout, for comparison);
- exp in place; the loss from the shifted logits, log Σⱼ exp(zⱼ − m) + m − z_y per row;
- the gradient in closed form, dJ/dz = w_y (softmax(z) − onehot(y)) / Σ w_y, written over the
  softmax's buffer;
- Adam in place, PyTorch's formula exactly (torch.optim.Adam, no weight decay):

      m ← m + (1 − β₁)(g − m),   v ← β₂ v + (1 − β₂) g²
      p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps)

Every step returns the loss before its update, as `loss.item()` does in the other columns. The
same BLAS as every other column does the matrix products (NumPy's, on one thread).
"""

from __future__ import annotations

import numpy as np


class Adam:
    """In-place Adam on NumPy arrays, PyTorch's arithmetic (see the module docstring)."""

    def __init__(
        self,
        params: list[np.ndarray],
        lr: float,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.exp_avg = [np.zeros_like(p) for p in params]
        self.exp_avg_sq = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        beta1, beta2 = self.betas
        self.t += 1
        step_size = self.lr / (1 - beta1**self.t)
        bias_correction2_sqrt = (1 - beta2**self.t) ** 0.5
        for p, g, m, v, tmp in zip(self.params, grads, self.exp_avg, self.exp_avg_sq, self.scratch):
            np.subtract(g, m, out=tmp)  # m.lerp_(g, 1 − β₁)
            tmp *= 1 - beta1
            m += tmp
            v *= beta2  # v.mul_(β₂).addcmul_(g, g, value=1 − β₂)
            np.multiply(g, g, out=tmp)
            tmp *= 1 - beta2
            v += tmp
            np.sqrt(v, out=tmp)  # denom = √v / √(1 − β₂ᵗ) + eps
            tmp /= bias_correction2_sqrt
            tmp += self.eps
            np.divide(m, tmp, out=tmp)  # p.addcdiv_(m, denom, value=−step_size)
            tmp *= step_size
            p -= tmp


class Buffers:
    """The arrays one batch size needs, allocated once: the logits (`shape`), where each row
    starts in them (`row_step` apart, flattened), and vectors of one value per row."""

    def __init__(self, shape: tuple[int, int], rows: int, row_step: int, dtype: np.dtype) -> None:
        self.z = np.empty(shape, dtype)  # logits, then exp(z − max), then dJ/dz
        self.row_offsets = np.arange(rows) * row_step
        self.flat_index = np.empty(rows, np.int64)  # where each row's target sits in z.ravel()
        self.target_logit, self.w, self.max, self.sum, self.work = (
            np.empty(rows, dtype) for _ in range(5)
        )


class Floor:
    """The floor's training step: `Floor(W, b, class_weight, lr).step(X, y)` returns the loss.

    W is (C, D), b (C,), class_weight (C,), all float32; X (N, D) C-contiguous, y (N,) int64.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, class_weight: np.ndarray, lr: float) -> None:
        self.W, self.b = W.copy(), b.copy()
        self.class_weight = class_weight
        self.dW, self.db = np.empty_like(self.W), np.empty_like(self.b)
        self.ones = np.ones(len(b), b.dtype)
        self.adam = Adam([self.W, self.b], lr)
        self.buffers: dict[int, Buffers] = {}

    def buffers_for(self, rows: int) -> Buffers:
        if rows not in self.buffers:
            self.buffers[rows] = Buffers((len(self.b), rows), rows, 1, self.b.dtype)
        return self.buffers[rows]

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        rows = len(y)
        buf = self.buffers_for(rows)
        z, w, top, total, work = buf.z, buf.w, buf.max, buf.sum, buf.work
        flat = z.reshape(-1)
        # forward: zᵀ = W Xᵀ + b, class-major
        np.matmul(self.W, X.T, out=z)
        z += self.b[:, None]
        np.multiply(y, rows, out=buf.flat_index)  # z[y_i, i] is flat[y_i · N + i]
        buf.flat_index += buf.row_offsets
        np.take(flat, buf.flat_index, out=buf.target_logit)
        np.take(self.class_weight, y, out=w)
        weight_sum = w.sum()
        # loss: per row log Σⱼ exp(zⱼ − m) + m − z_y, weighted mean
        z.max(axis=0, out=top)
        z -= top
        np.exp(z, out=z)
        np.matmul(self.ones, z, out=total)
        np.log(total, out=work)
        work += top
        work -= buf.target_logit
        loss = float(np.dot(w, work) / weight_sum)
        # backward: dJ/dz = w_y (softmax − onehot) / Σ w_y, over exp(z − m) in place
        np.divide(w, total, out=work)
        work /= weight_sum
        z *= work
        np.divide(w, weight_sum, out=work)
        np.take(flat, buf.flat_index, out=buf.target_logit)
        buf.target_logit -= work
        np.put(flat, buf.flat_index, buf.target_logit)
        np.matmul(z, X, out=self.dW)
        z.sum(axis=1, out=self.db)
        self.adam.step([self.dW, self.db])
        return loss


def row_max(z: np.ndarray, out: np.ndarray) -> None:
    """The max of each row of z (N, C) into `out` (N,), the faster of NumPy's two ways: C
    elementwise maxima over whole columns when the classes are few and the rows many, else
    `max(axis=1)`."""
    rows, classes = z.shape
    if 2 <= classes <= 16 and rows >= 32 * classes:
        np.maximum(z[:, 0], z[:, 1], out=out)
        for j in range(2, classes):
            np.maximum(out, z[:, j], out=out)
    else:
        z.max(axis=1, out=out)


class FloorRowMajor(Floor):
    """The floor's step with the logits in PyTorch's layout, (N, C), as an engine returning
    `nn.Linear`'s output keeps them. Per-row work now runs along short rows, so the row max
    takes the faster of NumPy's two ways: C elementwise maxima over whole columns when the
    classes are few and the rows many, `max(axis=1)` otherwise."""

    def buffers_for(self, rows: int) -> Buffers:
        if rows not in self.buffers:
            classes = len(self.b)
            self.buffers[rows] = Buffers((rows, classes), rows, classes, self.b.dtype)
        return self.buffers[rows]

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        buf = self.buffers_for(len(y))
        z, w, top, total, work = buf.z, buf.w, buf.max, buf.sum, buf.work
        flat = z.reshape(-1)
        np.matmul(X, self.W.T, out=z)
        z += self.b
        np.add(buf.row_offsets, y, out=buf.flat_index)  # z[i, y_i] is flat[i · C + y_i]
        np.take(flat, buf.flat_index, out=buf.target_logit)
        np.take(self.class_weight, y, out=w)
        weight_sum = w.sum()
        row_max(z, out=top)
        z -= top[:, None]
        np.exp(z, out=z)
        np.matmul(z, self.ones, out=total)
        np.log(total, out=work)
        work += top
        work -= buf.target_logit
        loss = float(np.dot(w, work) / weight_sum)
        np.divide(w, total, out=work)
        work /= weight_sum
        z *= work[:, None]
        np.divide(w, weight_sum, out=work)
        np.take(flat, buf.flat_index, out=buf.target_logit)
        buf.target_logit -= work
        np.put(flat, buf.flat_index, buf.target_logit)
        np.matmul(z.T, X, out=self.dW)
        z.sum(axis=0, out=self.db)
        self.adam.step([self.dW, self.db])
        return loss


class PrimitivesFloor(FloorRowMajor):
    """The step as tinygrad_lr's composite computes it, at the least cost: one NumPy call per
    primitive op of the forward pass and per backward rule, each writing into a buffer
    allocated once, the row max and row sums done the fast way; no tensors, no graph, no
    checks. No engine that runs these primitives on NumPy can take less, so
    `tinygrad_lr / primitives floor` is what the engine itself costs, and
    `primitives floor / floor` what composing the loss from primitives costs against its closed
    form (more passes over the (N, C) logits: each primitive reads and writes them).

    Forward, as `F.linear`, `F.log_softmax` and `F.nll_loss` compose it: MatMul (X Wᵀ), Add (b),
    the detached row max, Sub, Exp, Sum, Log, Sub, Index (the target's log-probability), Neg,
    Mul (class weight), Sum, Div (Σ w_y). Backward: each rule in the engine's order, the two
    gradients of x − m summed in place.
    """

    def buffers_for(self, rows: int) -> Buffers:
        if rows not in self.buffers:
            classes = len(self.b)
            buf = Buffers((rows, classes), rows, classes, self.b.dtype)
            # mm = X Wᵀ, shifted = z − m, e = exp(shifted), logp = shifted − log Σe, and two
            # for the backward: d logp (then d shifted), and the Exp rule's g · e
            buf.mm, buf.shifted, buf.e, buf.logp, buf.dlogp, buf.de = (
                np.empty((rows, classes), self.b.dtype) for _ in range(6)
            )
            buf.log_sum = np.empty(rows, self.b.dtype)
            self.buffers[rows] = buf
        return self.buffers[rows]

    def step(self, X: np.ndarray, y: np.ndarray) -> float:
        buf = self.buffers_for(len(y))
        z, w, picked, work = buf.z, buf.w, buf.target_logit, buf.work
        total, log_sum = buf.sum, buf.log_sum  # Σ exp(shifted) and its log, per row
        # forward
        np.matmul(X, self.W.T, out=buf.mm)  # MatMul
        np.add(buf.mm, self.b, out=z)  # Add
        row_max(z, out=buf.max)  # the detached max
        np.subtract(z, buf.max[:, None], out=buf.shifted)  # Sub
        np.exp(buf.shifted, out=buf.e)  # Exp
        np.matmul(buf.e, self.ones, out=total)  # Sum
        np.log(total, out=log_sum)  # Log
        np.subtract(buf.shifted, log_sum[:, None], out=buf.logp)  # Sub
        np.add(buf.row_offsets, y, out=buf.flat_index)
        np.take(buf.logp.reshape(-1), buf.flat_index, out=picked)  # Index
        np.take(self.class_weight, y, out=w)
        weight_sum = w.sum()
        np.negative(picked, out=work)  # Neg
        work *= w  # Mul
        loss = float(work.sum() / weight_sum)  # Sum, Div
        # backward: Div, Sum (a broadcast), Mul and Neg: d picked = −w_y / Σ w_y
        np.divide(w, -weight_sum, out=work)
        buf.dlogp.fill(0)  # Index: zeros, the gradient put at the targets
        np.put(buf.dlogp.reshape(-1), buf.flat_index, work)
        # Sub (logp = shifted − log Σe): d shifted = d logp, d log Σe = −(row sums of d logp)
        np.matmul(buf.dlogp, self.ones, out=log_sum)
        np.negative(log_sum, out=log_sum)
        log_sum /= total  # Log: divided by Σe
        np.multiply(buf.e, log_sum[:, None], out=buf.de)  # Sum (broadcast), then Exp: times e
        buf.dlogp += buf.de  # the two gradients of shifted, summed in place
        # Sub (z − m, m detached) and Add pass it on; b's gradient sums the rows
        np.matmul(buf.dlogp.T, X, out=self.dW)  # MatMul (and Permute: dW = (Xᵀ dz)ᵀ)
        buf.dlogp.sum(axis=0, out=self.db)
        self.adam.step([self.dW, self.db])
        return loss
