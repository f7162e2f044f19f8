"""`gradcheck`: hold the gradients backward computes against central differences, in float64;
`gradgradcheck`: the same for second derivatives, through a recorded backward."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .autograd import enable_grad, grad, no_grad
from .compare import nonfinite
from .creation import zeros_like
from .errors import GradcheckError
from .tensor import Tensor, tensor


def gradcheck(
    fn: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check the gradient of `fn` for every element of every input that requires grad.

    The inputs are copied to float64 (tensors keep their `requires_grad`; arrays and lists are
    checked). With `v` a fixed random array shaped like the output (seeded by `seed`), the
    analytic gradient is what `out.backward(v)` puts in `.grad`, and the numeric one is

        (f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps),   f(x) = Σ v · fn(x),

    one element `i` at a time. A random `v` rather than `.sum()`, because summing hides mistakes
    that transpose or mix up the output's elements. They agree when
    |analytic − numeric| ≤ atol + rtol·|numeric| for every element. A NaN or inf in either
    gradient is a disagreement, named as such (PyTorch's gradcheck fails on them too).

    Returns True, or raises GradcheckError naming the input, the element and both values
    (returns False instead when `raise_exception=False`).
    """
    tensors = [_float64_copy(x) for x in inputs]
    checked = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is no gradient to check")

    outputs = _as_outputs(fn(*tensors))
    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(out.shape) for out in outputs]
    for out, v in zip(outputs, upstream):
        if out.requires_grad:
            out.backward(v, retain_graph=True)

    def projected(*args: Tensor) -> float:
        with no_grad():
            outs = _as_outputs(fn(*args))
        return sum(float(np.sum(v * out.array)) for out, v in zip(outs, upstream))

    for i in checked:
        x = tensors[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.array
        numeric = numeric_gradient(lambda: projected(*tensors), x.array, eps)
        problem = nonfinite(analytic, "the analytic gradient") or nonfinite(
            numeric, "the numeric gradient (the function is not finite near the input)"
        )
        if problem:
            if not raise_exception:
                return False
            where = tuple(int(k) for k in np.argwhere(~np.isfinite(analytic + numeric))[0])
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {tuple(x.shape)}): {problem}, first at "
                "element "
                f"{where}: analytic {analytic[where]!r}, numeric {numeric[where]!r}"
            )
        bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            if not raise_exception:
                return False
            where = tuple(int(k) for k in np.argwhere(bad)[0])
            raise GradcheckError(
                f"gradcheck failed for input {i} (shape {tuple(x.shape)}) at element {where}: "
                f"analytic {analytic[where]!r}, numeric {numeric[where]!r} "
                f"(|difference| {abs(analytic[where] - numeric[where]):.3g} > atol + rtol·|numeric|"
                f" = {atol + rtol * abs(numeric[where]):.3g}); {int(bad.sum())} of {bad.size} "
                "elements disagree"
            )
    return True


def numeric_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of `f()` with respect to every element of `x`, which `f` reads:
    (f(x + eps·e_i) − f(x − eps·e_i)) / (2·eps). `x` is changed in place and restored."""
    grad = np.empty(x.shape)
    for index in np.ndindex(*x.shape):
        original = x[index]
        x[index] = original + eps
        f_plus = f()
        x[index] = original - eps
        f_minus = f()
        x[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def _float64_copy(x: Any) -> Tensor:
    if isinstance(x, Tensor):
        if x.dtype.kind != "f":
            return x
        return Tensor(x.array, dtype=np.float64, requires_grad=x.requires_grad)
    array = np.asarray(x)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"gradcheck: an input of type {type(x).__name__} is not numeric")
    if array.dtype.kind != "f":
        return tensor(array)
    return Tensor(array, dtype=np.float64, requires_grad=True)


def _as_outputs(result: Tensor | Sequence[Tensor]) -> tuple[Tensor, ...]:
    outputs = tuple(result) if isinstance(result, list | tuple) else (result,)
    if not all(isinstance(out, Tensor) for out in outputs):
        raise TypeError("gradcheck: fn must return a Tensor or a tuple of Tensors")
    return outputs


def gradgradcheck(
    fn: Callable[..., Tensor | Sequence[Tensor]],
    inputs: Sequence[Any],
    grad_outputs: Sequence[Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check second derivatives, as PyTorch's `gradgradcheck`: `gradcheck` of the function

        (inputs, v) ↦ the gradient of Σ v · fn(inputs) with respect to the inputs,

    computed by a recorded backward (`grad(..., create_graph=True)`). Its own gradient, taken
    by backward through that recorded backward, is held against central differences of it: a
    wrong second derivative, or a backward rule that loses its graph, fails. `grad_outputs` (the
    v, one per output) default to fixed random arrays seeded by `seed`; they are checked too
    (the first derivative is linear in them).
    """
    tensors = [_float64_copy(x) for x in inputs]
    wanted = [i for i, t in enumerate(tensors) if t.requires_grad]
    if not wanted:
        raise ValueError("gradgradcheck: no input requires grad, so there is no gradient to check")
    outputs = _as_outputs(fn(*tensors))
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [rng.standard_normal(out.shape) for out in outputs]
    vs = [
        Tensor(np.asarray(getattr(v, "array", v)), dtype=np.float64, requires_grad=True)
        for v in grad_outputs
    ]
    if len(vs) != len(outputs):
        raise ValueError(
            f"gradgradcheck: {len(vs)} grad_outputs for {len(outputs)} outputs; give one per output"
        )
    n = len(tensors)

    def first_derivative(*args: Tensor, recorded: bool = True) -> tuple[Tensor, ...]:
        """The inputs' gradients under v, by a recorded backward (or, with `recorded=False`,
        the plain one)."""
        xs, v = args[:n], args[n:]
        with enable_grad():
            outs = _as_outputs(fn(*xs))
            pairs = [(o, g) for o, g in zip(outs, v) if o.requires_grad]
            diff = [xs[i] for i in wanted]
            if not pairs:
                return tuple(zeros_like(x) for x in diff)
            grads = grad(
                [o for o, _ in pairs],
                diff,
                [g for _, g in pairs],
                create_graph=recorded,
                allow_unused=True,
            )
        return tuple(zeros_like(x) if g is None else g for g, x in zip(grads, diff))

    # the recorded backward runs the rules on tensors: it must give the plain backward's first
    # derivative, or a wrong term that does not depend on the inputs would pass the check below
    recorded = first_derivative(*tensors, *vs)
    plain = first_derivative(*tensors, *vs, recorded=False)
    for i, r, p in zip(wanted, recorded, plain):
        expected = p.array
        bad = np.abs(r.array - expected) > atol + rtol * np.abs(expected)
        if bad.any() or not np.isfinite(r.array).all():
            if not raise_exception:
                return False
            where = tuple(int(k) for k in np.argwhere(bad | ~np.isfinite(r.array))[0])
            raise GradcheckError(
                f"gradgradcheck failed for input {i} (shape {tuple(r.shape)}): the recorded "
                f"backward (create_graph=True) gives another first derivative than the plain "
                f"one at element {where}: recorded {r.array[where]!r}, plain {expected[where]!r}"
            )
    return gradcheck(first_derivative, [*tensors, *vs], eps, atol, rtol, seed, raise_exception)
