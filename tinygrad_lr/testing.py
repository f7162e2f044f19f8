"""Gradient-parity testing: hold an op (ours or yours) against PyTorch and central differences.

This is the helper tinygrad_lr's own tests use. A test of a new op is one call:

    from tinygrad_lr.testing import check_op

    def test_softplus():
        check_op(lambda x: (x.exp() + 1).log(), (3, 4))

`check_op` makes float64 inputs, runs the same function on tinygrad_lr tensors and on PyTorch
tensors (or `torch_fn` where the two APIs differ), and asserts that the values, and the gradients
of every input under a fixed random upstream gradient, agree; then it runs `gradcheck`. A NaN or
inf in any value or gradient, on either side, fails the check and is named: two NaNs do not
agree.
It needs PyTorch (`pip install torch==2.13.0`, or the project's `test` extra).

For an op of your own, `check_op_kit` (and `assert_op_kit`, which raises with its report) sweeps
shapes and dtypes, and says where a gradient first goes wrong: see `tinygrad_lr.check_kit`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .check_kit import KitReport, assert_op_kit, check_op_kit
from .compare import nonfinite
from .gradcheck import gradcheck
from .tensor import Tensor, tensor

__all__ = [
    "KitReport",
    "assert_close",
    "assert_op_kit",
    "check_op",
    "check_op_kit",
    "random_inputs",
]

Input = tuple[int, ...] | np.ndarray | Sequence[Any] | float


def random_inputs(
    *shapes: tuple[int, ...], seed: int = 0, low: float | None = None, high: float | None = None
) -> list[np.ndarray]:
    """Float64 arrays of the given shapes: standard normal, or uniform in [low, high)."""
    rng = np.random.default_rng(seed)
    if low is None:
        return [rng.standard_normal(shape) for shape in shapes]
    return [rng.uniform(low, high, shape) for shape in shapes]


def check_op(
    fn: Callable[..., Tensor],
    *inputs: Input,
    torch_fn: Callable[..., Any] | None = None,
    seed: int = 0,
    atol: float = 1e-10,
    rtol: float = 1e-10,
    run_gradcheck: bool = True,
    gradcheck_atol: float = 1e-5,
    gradcheck_rtol: float = 1e-3,
) -> None:
    """Assert that `fn` matches PyTorch in value and gradient, and passes `gradcheck`.

    `inputs`: a shape (random normal values), or an array/number used as given. Floating inputs
    become float64 tensors that require grad; integer ones (indices) are passed as they are.
    `fn` receives tinygrad_lr tensors; `torch_fn` (default: `fn` itself, which works whenever
    the expression is written with names both libraries share) receives torch tensors.
    The upstream gradient is a fixed random array (seeded by `seed`), not ones: ones would hide
    a transposed or mixed-up gradient.
    """
    torch = _import_torch()
    rng = np.random.default_rng(seed)
    arrays = [_as_input(x, rng) for x in inputs]
    grads_wanted = [a.dtype.kind == "f" for a in arrays]
    ours = [tensor(a, requires_grad=w) for a, w in zip(arrays, grads_wanted)]
    theirs = [torch.tensor(a, requires_grad=w) for a, w in zip(arrays, grads_wanted)]

    # the shape case, named in every failure: "inputs x0 (3, 4) float64, x1 (4,) float64"
    case = "inputs " + ", ".join(f"x{i} {a.shape} {a.dtype}" for i, a in enumerate(arrays))
    out = fn(*ours)
    expected = (torch_fn or fn)(*theirs)
    expected_value = expected.detach().numpy()
    assert out.shape == tuple(expected.shape), (
        f"output shape: tinygrad_lr {tuple(out.shape)}, PyTorch {tuple(expected.shape)} ({case})"
    )
    assert out.dtype == expected_value.dtype, (
        f"output dtype: tinygrad_lr {out.dtype}, PyTorch {expected_value.dtype} ({case})"
    )
    assert_close(out.array, expected_value, f"output value ({case})", rtol, atol)

    if out.requires_grad and expected.requires_grad:
        upstream = rng.standard_normal(out.shape)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream, dtype=expected.dtype))
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if not a.requires_grad:
                continue
            got = np.zeros(a.shape) if a.grad is None else a.grad.array
            want = np.zeros(a.shape) if b.grad is None else b.grad.numpy()
            what = f"gradient of input {i} (x{i}, shape {a.array.shape}; {case})"
            assert_close(got, want, what, rtol, atol)
    else:
        assert out.requires_grad == expected.requires_grad, (
            f"requires_grad of the output: tinygrad_lr {out.requires_grad}, "
            f"PyTorch {expected.requires_grad}"
        )

    if run_gradcheck and any(grads_wanted) and out.requires_grad:
        gradcheck(
            fn,
            [tensor(a, requires_grad=w) for a, w in zip(arrays, grads_wanted)],
            atol=gradcheck_atol,
            rtol=gradcheck_rtol,
            seed=seed,
        )


def assert_close(ours: np.ndarray, theirs: np.ndarray, what: str, rtol: float, atol: float) -> None:
    """Assert |ours − theirs| ≤ atol + rtol·|theirs| everywhere, where NaN and inf on either side
    fail, named ("NaN in tinygrad_lr's gradient of input 0"), instead of counting as equal."""
    for side, values in (("tinygrad_lr", ours), ("PyTorch", theirs)):
        problem = nonfinite(values, f"{side}'s {what}")
        if problem:
            raise AssertionError(f"{problem}: a comparison with a NaN or inf proves nothing")
    np.testing.assert_allclose(
        ours, theirs, rtol=rtol, atol=atol, err_msg=f"{what}: tinygrad_lr vs PyTorch"
    )


def _as_input(x: Input, rng: np.random.Generator) -> np.ndarray:
    if isinstance(x, tuple) and all(isinstance(n, int) for n in x):
        return np.asarray(rng.standard_normal(x))
    array = np.asarray(x)
    return array.astype(np.float64) if array.dtype.kind == "f" else array


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "tinygrad_lr.testing compares with PyTorch, which is not installed: "
            "pip install torch==2.13.0 (or the project's [test] extra)"
        ) from None
    return torch
