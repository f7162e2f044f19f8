"""`Arrays`: the names the backward rules are written with, on NumPy arrays.

A backward rule computes with operators (`g * y`, `g / x`, `1 - z * z`) and with the functions of
a namespace it finds on its context, `ctx.xp`. In the usual backward that namespace is `Arrays`,
below: NumPy itself under NumPy's names, plus a few helpers NumPy lacks (a scatter-add, a stable
sigmoid, the normal CDF). When backward is itself recorded (`backward(create_graph=True)`), the
engine runs the same rules with `ctx.xp` set to `ops.on_tensors.Tensors`, which has the same
names implemented with the engine's own ops, and with tensors in place of arrays: every step of
the backward is then an op in a new graph, which can be differentiated again. One set of rules,
two kinds of values; the first-order path stays on raw arrays, as fast as before.

The class is a namespace, never instantiated: `Arrays.exp` is `np.exp`.
"""

from __future__ import annotations

import math

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])  # NumPy has no erf; math.erf, elementwise


_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


# Up to this many terms a plain running sum is as accurate as NumPy's pairwise one in practice;
# longer rows keep NumPy's pairwise summation (a running sum's error grows with the length).
SHORT_ROW = 64


def sum_over(x: np.ndarray, axis: int | tuple[int, ...], keepdims: bool = False) -> np.ndarray:
    """x summed over `axis`, for float32 and float64 in two cases as a product with a vector of
    ones (BLAS), which is faster and no less accurate:

    - over a short last axis alone: NumPy's reduction along a short last axis pays for every row
      (10 µs for 700 rows of 2), BLAS sums each row along contiguous memory (1 µs);
    - over the rows of a C-ordered matrix (a bias's gradient): NumPy adds the rows one after the
      other, as a running sum, and so does BLAS, several times faster (8 µs against 1.5 for 700
      rows of 2, 1.3 ms against 0.25 for 100,000 rows of 10)."""
    last = x.ndim - 1
    if x.dtype in _BLAS_FLOATS:
        if last > 0 and x.shape[-1] <= SHORT_ROW and axis in (last, (last,), -1, (-1,)):
            total = x @ np.ones(x.shape[-1], dtype=x.dtype)
            return total[..., None] if keepdims else total
        if last == 1 and axis in (0, (0,)) and x.shape[0] > SHORT_ROW and x.flags.c_contiguous:
            total = np.ones(x.shape[0], dtype=x.dtype) @ x
            return total[None] if keepdims else total
    return x.sum(axis=axis, keepdims=keepdims)


def max_over_last(x: np.ndarray) -> np.ndarray:
    """x.max(axis=-1, keepdims=True). For many rows of a few columns, elementwise maxima of the
    columns, one block of rows at a time: NumPy's reduction along a short last axis pays for
    every row (25 µs for 700 rows of 2, 3 µs this way), and a block stays in the cache while
    its columns are read one after the other."""
    rows, columns = x.shape if x.ndim == 2 else (0, 0)
    if not 1 < columns <= 16 or rows < 8 * columns:
        return x.max(axis=-1, keepdims=True)
    out = np.empty((rows, 1), dtype=x.dtype)
    for start in range(0, rows, 4096):
        block, best = x[start : start + 4096], out[start : start + 4096, 0]
        np.copyto(best, block[:, 0])
        for j in range(1, columns):
            np.maximum(best, block[:, j], out=best)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x), from e^(−|x|) so that no exp overflows: for x < 0, σ(x) = eˣ / (1 + eˣ)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, in x's dtype."""
    return _erf(x).astype(x.dtype, copy=False)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    """Φ(x) = (1 + erf(x/√2)) / 2, in x's dtype as PyTorch computes it (so float32 results
    agree with PyTorch's, rounding in the far left tail included)."""
    return 0.5 * (1 + erf(x / math.sqrt(2)))


class Arrays:
    """NumPy, as the backward rules see it (see the module's docstring)."""

    # elementwise
    exp, log, sqrt, tanh = np.exp, np.log, np.sqrt, np.tanh
    sin, cos, sinh, cosh = np.sin, np.cos, np.sinh, np.cosh
    sign, minimum, where = np.sign, np.minimum, np.where
    sigmoid = staticmethod(sigmoid)
    normal_cdf = staticmethod(normal_cdf)

    @staticmethod
    def softplus(x: np.ndarray) -> np.ndarray:
        """ln(1 + eˣ), without overflow."""
        return np.logaddexp(0, x)

    # shape and movement
    broadcast_to, expand_dims, transpose, swapaxes = (
        np.broadcast_to,
        np.expand_dims,
        np.transpose,
        np.swapaxes,
    )
    flip, split, zeros_like = np.flip, np.split, np.zeros_like

    sum = staticmethod(sum_over)

    @staticmethod
    def cumsum(x: np.ndarray, axis: int) -> np.ndarray:
        return np.cumsum(x, axis=axis)

    @staticmethod
    def astype(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return x.astype(dtype)

    # picking elements out, and the reverse: adding them back into zeros
    @staticmethod
    def take(x: np.ndarray, index: object) -> np.ndarray:
        """x[index], any index NumPy accepts."""
        return x[index]

    @staticmethod
    def take_along(x: np.ndarray, index: np.ndarray, axis: int) -> np.ndarray:
        """x's elements at `index` along `axis` (PyTorch's gather)."""
        return np.take_along_axis(x, index, axis=axis)

    @staticmethod
    def scatter_add(shape: tuple[int, ...], index: object, values: np.ndarray) -> np.ndarray:
        """Zeros of `shape` with `values` added at `index` (repeated positions accumulate): the
        reverse of `take`."""
        out = np.zeros(shape, dtype=values.dtype)
        _add_at(out, index, values)
        return out

    @staticmethod
    def scatter_add_along(
        shape: tuple[int, ...], index: np.ndarray, axis: int, values: np.ndarray
    ) -> np.ndarray:
        """Zeros of `shape` with `values` added where `take_along` took them from: the reverse of
        `take_along` (PyTorch's scatter_add)."""
        out = np.zeros(shape, dtype=values.dtype)
        where = list(np.indices(index.shape, sparse=True))
        where[axis] = index
        _add_at(out, tuple(where), values)
        return out


def _add_at(out: np.ndarray, index: object, values: np.ndarray) -> None:
    """`np.add.at(out, index, values)`: `values` added at `index`, repeated positions
    accumulating in order. When `index` is one integer array per dim of `out` (as cross-entropy
    picks one element per row), the positions are flattened first: NumPy's add.at is several
    times faster on a 1-d array and a 1-d index, and adds the same numbers in the same order."""
    if isinstance(index, np.ndarray):
        index = (index,)
    if (
        isinstance(index, tuple)
        and len(index) == out.ndim > 0
        and all(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in index)
    ):
        # "wrap" maps a negative index −k to n − k, as indexing does; an index out of range
        # cannot get here: taking the elements at it raised first
        flat = np.ravel_multi_index(index, out.shape, mode="wrap")
        np.add.at(out.reshape(-1), flat, values)
    else:
        np.add.at(out, index, values)
