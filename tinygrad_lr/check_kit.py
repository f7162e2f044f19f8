"""The gradient-parity kit: prove an op of your own, across shapes and dtypes.

    from tinygrad_lr.testing import assert_op_kit

    assert_op_kit(MyMul.apply, torch_fn=lambda x, y: x * y)

`check_op_kit` runs the function (a composition of tinygrad_lr ops, or a `Function`'s `.apply`)
over a sweep of broadcastable shape cases (scalar, row, column, full, size-1 dims; one input at
a time for a function of one) in float64 and float32, under a random upstream gradient (never
ones: ones hide a transposed gradient). In each case it holds the value and every input's
gradient against PyTorch (when installed) and against central differences (always in float64),
each dtype with its own tolerances. A NaN or inf anywhere is a failure. A failure names the
input, the shape case, the dtype, the first element that differs with its three values
(autograd, PyTorch, finite differences) and the op of the backward pass where the gradient
first went wrong (`check_trace`), and the report ends with a ready-to-paste pytest reproducer.
`assert_op_kit` raises AssertionError with that report; `check_file_op` is `tinygrad-lr check-op`.
"""

from __future__ import annotations

import contextlib
import inspect
import re
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import autograd
from .autograd import no_grad
from .check_load import (
    OpSpecError,
    describe,
    display_name,
    load_op,
    reproducer,
    torch_reference,
)
from .check_report import DOMAIN, TOLERANCES, CaseFailure, KitReport, Tolerance, shape_cases
from .check_trace import first_divergence, record_backward
from .compare import nonfinite
from .gradcheck import numeric_gradient
from .tensor import Tensor, tensor

__all__ = [
    "KitReport",
    "OpSpecError",
    "Tolerance",
    "assert_op_kit",
    "check_file_op",
    "check_op_kit",
]


def torch_or_none() -> Any:
    """PyTorch, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


def owner(fn: Callable[..., Any]) -> Any:
    """The class whose `.apply` `fn` is (a Function or an Op), else None."""
    return getattr(fn, "__self__", None)


def input_names(fn: Callable[..., Any], arity: int) -> list[str]:
    """The parameter names of `fn` (of a Function's forward, without ctx), else x0, x1, ..."""
    target = getattr(fn, "__self__", None)
    try:
        if isinstance(target, type) and hasattr(target, "forward"):
            params = list(inspect.signature(target.forward).parameters.values())[1:]
        else:
            params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return names[:arity] if len(names) >= arity else [f"x{i}" for i in range(arity)]


def default_arity(fn: Callable[..., Any]) -> int:
    """How many positional inputs without a default `fn` (or a Function's forward) takes."""
    target = getattr(fn, "__self__", None)
    forward = isinstance(target, type) and hasattr(target, "forward")
    signature = inspect.signature(target.forward if forward else fn)
    params = list(signature.parameters.values())[1 if forward else 0 :]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        raise TypeError("check_op_kit: fn takes *args; say how many inputs with arity=")
    return sum(p.default is p.empty and p.kind != p.KEYWORD_ONLY for p in params)


def _normalise(shapes: Any, arity: int) -> dict[str, tuple[Any, ...]]:
    if shapes is None:
        return shape_cases(arity)
    items = shapes.items() if isinstance(shapes, dict) else [(None, s) for s in shapes]
    cases = {}
    for label, specs in items:
        single = isinstance(specs, tuple) and all(isinstance(n, int) for n in specs)
        specs = (specs,) if single and arity == 1 else tuple(specs)
        if len(specs) != arity:
            raise ValueError(
                f"check_op_kit: shape case {specs!r} has {len(specs)} inputs, fn {arity}"
            )
        cases[label or "shapes"] = specs
    return cases


def _describe_case(label: str, specs: tuple[Any, ...], names: list[str]) -> str:
    parts = [
        f"{n} {tuple(s.shape)} {s.dtype}" if isinstance(s, np.ndarray) else f"{n} {tuple(s)}"
        for n, s in zip(names, specs)
    ]
    return f"'{label}' ({', '.join(parts)})"


def _make_inputs(specs, rng, dtype, low, high) -> list[np.ndarray]:
    arrays = []
    for spec in specs:
        if isinstance(spec, np.ndarray):
            arrays.append(spec.astype(dtype) if spec.dtype.kind == "f" else spec.copy())
        elif low is None:
            arrays.append(np.asarray(rng.standard_normal(spec)).astype(dtype))
        else:
            arrays.append(np.asarray(rng.uniform(low, high, spec)).astype(dtype))
    return arrays


def _error_text(error: BaseException) -> str:
    """The error, and where it was raised: the last frame outside tinygrad_lr, else the last."""
    frames = traceback.extract_tb(error.__traceback__)
    package = str(Path(__file__).parent)
    mine = [f for f in frames if not f.filename.startswith(package)] or frames
    where = f" (raised at {Path(mine[-1].filename).name}:{mine[-1].lineno}, in {mine[-1].name})"
    return f"{type(error).__name__}: {error}" + (where if frames else "")


def _first_bad(ours, reference, rtol, atol) -> np.ndarray:
    return ~np.isfinite(ours) | (np.abs(ours - reference) > atol + rtol * np.abs(reference))


class _Case:
    """One shape case in one dtype: runs the function three ways and collects failures."""

    def __init__(self, kit: dict[str, Any], label: str, specs: tuple[Any, ...], dtype: str):
        self.kit, self.specs, self.dtype = kit, specs, dtype
        self.label = _describe_case(label, specs, kit["names"])
        self.tol: Tolerance = kit["tolerances"][dtype]
        self.failures: list[CaseFailure] = []

    def fail(self, what: str, detail: str, **more: Any) -> None:
        self.failures.append(CaseFailure(self.label, self.dtype, what, detail, **more))

    def run(self) -> str | None:
        """Run the case; returns a reason when it does not apply (skipped), else None."""
        kit, torch = self.kit, self.kit["torch"]
        rng = np.random.default_rng(kit["seed"])
        arrays = _make_inputs(self.specs, rng, np.dtype(self.dtype), kit["low"], kit["high"])
        wants = [a.dtype.kind == "f" and w for a, w in zip(arrays, kit["requires_grad"])]
        ours = [tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
        out = expected = ours_error = torch_error = theirs = None
        try:
            out = kit["fn"](*ours)
        except Exception as error:
            ours_error = error
        if torch is not None:
            theirs = [torch.tensor(a, requires_grad=bool(w)) for a, w in zip(arrays, wants)]
            try:
                expected = kit["torch_fn"](*theirs)
            except Exception as error:
                torch_error = error
        # both libraries refuse these shapes (or, without PyTorch, ours refuses them as shapes)
        refused = (
            torch_error is not None
            if torch is not None
            else isinstance(ours_error, ValueError | IndexError)
        )
        if ours_error is not None and refused:
            return f"note: case {self.label} left out, fn refuses it: {_error_text(ours_error)}"
        if ours_error is not None:
            self.fail("error in forward", _error_text(ours_error), error=ours_error)
            return None
        if torch_error is not None:
            self.fail(
                "error in the PyTorch reference",
                f"{_error_text(torch_error)}; fix torch_fn, or leave this case out with shapes=",
            )
            return None
        if not isinstance(out, Tensor):
            self.fail("output", f"fn returned a {type(out).__name__}, not one tinygrad_lr Tensor")
            return None
        if torch is not None and not isinstance(expected, torch.Tensor):
            kind = type(expected).__name__
            self.fail("error in the PyTorch reference", f"it returned a {kind}, not one Tensor")
            return None
        if not self.check_output(out, expected, arrays):
            return None
        self.check_gradients(out, expected, arrays, wants, ours, theirs, rng)
        if kit["second_order"] and self.dtype == "float64" and not self.failures:
            self.check_second_order(arrays, wants, tuple(out.shape), rng)
        return None

    def check_second_order(self, arrays, wants, shape, rng) -> None:
        """Second derivatives (float64): with random v (like the output) and uᵢ (like each
        input), the gradient of Σᵢ uᵢ · ∂(Σ v·fn)/∂xᵢ, from a backward through a recorded
        backward (create_graph=True), against PyTorch's double backward and against central
        differences of the first derivative."""
        kit, torch = self.kit, self.kit["torch"]
        v = rng.standard_normal(shape)
        us = [rng.standard_normal(a.shape) for a in arrays]
        picked = [i for i, w in enumerate(wants) if w]

        def derivatives(fn, make, grad, values, recorded):
            """(first derivatives under v, second derivatives under u) by one library: `make`
            builds its tensors, `grad` is its autograd.grad. Second derivatives only when the
            first were `recorded` (create_graph) and depend on the inputs; else None each."""
            xs = [make(a, requires_grad=bool(w)) for a, w in zip(values, wants)]
            picked_xs = [xs[i] for i in picked]
            firsts = grad(fn(*xs), picked_xs, make(v), create_graph=recorded, allow_unused=True)
            seconds = (None,) * len(picked)
            if recorded:
                total = sum(
                    (g * make(us[i])).sum() for g, i in zip(firsts, picked) if g is not None
                )
                if getattr(total, "requires_grad", False):
                    seconds = grad(total, picked_xs, allow_unused=True)
            return firsts, seconds

        def first(values: list[np.ndarray]) -> list[np.ndarray]:
            firsts, _ = derivatives(kit["fn"], tensor, autograd.grad, values, recorded=False)
            shapes = [values[i].shape for i in picked]
            return [np.zeros(n) if g is None else g.array for g, n in zip(firsts, shapes)]

        def projected(values: list[np.ndarray]) -> float:
            return float(sum(np.sum(u * g) for u, g in zip([us[i] for i in picked], first(values))))

        try:
            grads, second = derivatives(kit["fn"], tensor, autograd.grad, arrays, recorded=True)
        except Exception as error:
            self.fail("error in the second-order backward", _error_text(error), error=error)
            return
        # the recorded backward runs the rules on tensors: its first derivative must be the
        # plain backward's, or a term that does not depend on x would go unseen below
        plain = first(arrays)
        for k, i in enumerate(picked):
            recorded = np.zeros(arrays[i].shape) if grads[k] is None else grads[k].array
            bad = ~np.isfinite(recorded) | _first_bad(
                recorded, plain[k], self.tol.rtol, self.tol.atol
            )
            if bad.any():
                where = tuple(int(j) for j in np.argwhere(bad)[0])
                self.fail(
                    f"recorded first derivative of input {i} ({kit['names'][i]})",
                    "backward(create_graph=True) gives another first derivative than the plain "
                    f"backward, first at element {where}: the rule differs on tensors",
                    element=where,
                    values={"recorded": float(recorded[where]), "plain": float(plain[k][where])},
                )
                return
        reference = None
        if torch is not None:
            _, reference = derivatives(
                kit["torch_fn"], torch.tensor, torch.autograd.grad, arrays, recorded=True
            )
        for k, i in enumerate(picked):
            got = np.zeros(arrays[i].shape) if second[k] is None else second[k].array
            values = [a.copy() for a in arrays]
            numeric = numeric_gradient(lambda values=values: projected(values), values[i])
            bad = ~np.isfinite(got) | _first_bad(got, numeric, self.tol.fd_rtol, self.tol.fd_atol)
            three = {"tinygrad_lr autograd": got}
            if reference is not None:
                theirs = reference[k]
                theirs = np.zeros(got.shape) if theirs is None else theirs.detach().numpy()
                bad |= _first_bad(got, theirs, self.tol.rtol, self.tol.atol)
                three["PyTorch"] = theirs
            three["finite differences of the first derivative"] = numeric
            if bad.any():
                where = tuple(int(j) for j in np.argwhere(bad)[0])
                self.fail(
                    f"second derivative of input {i} ({kit['names'][i]})",
                    f"the gradient of Σ u·(first derivative) first differs at element {where} "
                    f"({int(bad.sum())} of {bad.size} elements over the float64 tolerance)",
                    element=where,
                    values={name: float(a[where]) for name, a in three.items()},
                )

    def check_output(self, out: Tensor, expected: Any, arrays: list[np.ndarray]) -> bool:
        """The output's shape, dtype and values against PyTorch's (without PyTorch: the dtype
        against the inputs', the values against fn's own float64 run)."""
        if expected is not None:
            value, source = expected.detach().numpy(), "PyTorch"
            want_dtype, whose = value.dtype, "PyTorch's"
            if tuple(out.shape) != value.shape:
                self.fail("output shape", f"tinygrad_lr {tuple(out.shape)}, PyTorch {value.shape}")
                return False
        else:
            with no_grad():
                value = np.asarray(self.kit["fn"](*self.float64(arrays)).array)
            source = "float64 run"
            floats = [a for a in arrays if a.dtype.kind == "f"]
            want_dtype = np.result_type(*floats) if floats else out.dtype
            whose = "the inputs'"
        if out.dtype != want_dtype:
            self.fail(
                "output dtype",
                f"the output is {out.dtype}, {whose} is {want_dtype}: a rule computed in "
                f"another dtype must cast its result back (for example .to({want_dtype}))",
            )
            return False
        ours_bad, reference_bad = ~np.isfinite(out.array), ~np.isfinite(value)
        if ours_bad.any() or reference_bad.any():
            where = tuple(int(k) for k in np.argwhere(ours_bad | reference_bad)[0])
            if reference_bad.any():  # the reference breaks too: the inputs are out of domain
                detail = f"{nonfinite(value, f'the {source} output')}: {DOMAIN}"
            else:
                detail = f"{nonfinite(out.array, 'the output')}, where the {source}'s is finite"
            self.fail("output value", detail, element=where)
            return False
        tol = self.tol
        bad = _first_bad(out.array.astype(np.float64), value.astype(np.float64), tol.rtol, tol.atol)
        if bad.any():
            where = tuple(int(k) for k in np.argwhere(bad)[0])
            self.fail(
                "output value",
                f"first differs at element {where} ({int(bad.sum())} of {bad.size} elements "
                f"over the {self.dtype} tolerance {tol.atol:g} + {tol.rtol:g}·|{source}|)",
                element=where,
                values={"tinygrad_lr": float(out.array[where]), source: float(value[where])},
            )
            return False
        return True

    def float64(self, arrays: list[np.ndarray]) -> list[Tensor]:
        return [tensor(a.astype(np.float64) if a.dtype.kind == "f" else a) for a in arrays]

    def check_gradients(self, out, expected, arrays, wants, ours, theirs, rng) -> None:
        if not any(wants):
            return
        if not out.requires_grad:
            self.fail(
                "gradient",
                "the output does not require grad: it is not connected to the inputs' graph",
            )
            return
        upstream = np.asarray(rng.standard_normal(out.shape)).astype(out.dtype)
        try:
            out.backward(upstream)
        except Exception as error:
            self.fail("error in backward", _error_text(error), error=error)
            inputs = [tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
            with contextlib.suppress(Exception):  # which node raised: a help, when it can tell
                self.failures[-1].raised_in = record_backward(self.kit["fn"], inputs, upstream)[1]
            return
        if expected is not None and expected.requires_grad:
            expected.backward(self.kit["torch"].tensor(upstream))
        upstream64 = upstream.astype(np.float64)
        inputs64 = [t.array for t in self.float64(arrays)]

        def projected() -> float:
            with no_grad():
                result = self.kit["fn"](*[tensor(a) for a in inputs64])
            return float(np.sum(upstream64 * result.array))

        diverged = None
        for i, (mine, w) in enumerate(zip(ours, wants)):
            if not w:
                continue
            name = f"gradient of input {i} ({self.kit['names'][i]})"
            got = np.zeros(mine.shape) if mine.grad is None else mine.grad.array
            numeric = numeric_gradient(projected, inputs64[i])
            references = {"finite differences": numeric}
            if theirs is not None:
                grad = theirs[i].grad
                references["PyTorch"] = np.zeros(mine.shape) if grad is None else grad.numpy()
            problem = nonfinite(numeric, "the finite differences")
            if problem:
                self.fail(name, f"{problem}: {DOMAIN}")
                continue
            bad = ~np.isfinite(got)
            if "PyTorch" in references:
                torch_grad = references["PyTorch"]
                bad |= _first_bad(got.astype(np.float64), torch_grad, self.tol.rtol, self.tol.atol)
            bad |= _first_bad(got.astype(np.float64), numeric, self.tol.fd_rtol, self.tol.fd_atol)
            if not bad.any():
                continue
            where = tuple(int(k) for k in np.argwhere(bad)[0])
            values = {"tinygrad_lr autograd": float(got[where])}
            if "PyTorch" in references:
                values["PyTorch"] = float(references["PyTorch"][where])
            values["finite differences"] = float(numeric[where])
            if diverged is None:
                diverged = self.locate(arrays, wants, upstream)
            self.fail(
                name,
                f"shape {tuple(mine.shape)}: first differs at element {where} ({int(bad.sum())} "
                f"of {bad.size} elements over the {self.dtype} tolerance)",
                element=where,
                values=values,
                diverged_at=diverged,
            )

    def locate(self, arrays, wants, upstream) -> str:
        inputs = [tensor(a, requires_grad=w) for a, w in zip(arrays, wants)]
        try:
            records, _ = record_backward(self.kit["fn"], inputs, upstream)
            found = first_divergence(records, self.tol.fd_rtol, self.tol.fd_atol)
        except Exception as error:  # tracing is a help to the reader: it never hides the failure
            return f"(not traced: {_error_text(error)})"
        if found is None:
            return (
                f"no single op: each of the {len(records)} backward steps matches central "
                "differences of its own forward"
            )
        return str(found)


def check_op_kit(
    fn: Callable[..., Tensor],
    arity: int | None = None,
    torch_fn: Callable[..., Any] | None = None,
    shapes: Sequence[Any] | dict[str, Any] | None = None,
    dtypes: Sequence[str] = ("float64", "float32"),
    *,
    positive: bool = False,
    low: float | None = None,
    high: float | None = None,
    requires_grad: Sequence[bool] | None = None,
    seed: int = 0,
    tolerances: dict[str, Tolerance] | None = None,
    second_order: bool = False,
    name: str | None = None,
    source: tuple[str, str] | None = None,
    torch_source: tuple[str, str] | None = None,
) -> KitReport:
    """Hold `fn` against PyTorch and central differences over a sweep of shapes and dtypes.

    `fn` takes tinygrad_lr tensors (a composition of ops, or a `Function`'s `.apply`);
    `torch_fn` the same inputs as torch tensors (default: `fn` itself, which works when it uses
    names both libraries share). `arity`: how many inputs (default: from the signature).
    `shapes`: cases to run instead of the default sweep (`shape_cases`), a list (or a dict by
    name) of one spec per input: a shape, or an array used as given (integer arrays, such as
    class labels, are passed as they are and get no gradient). Inputs are standard normal, or
    uniform in [low, high), or in [0.1, 3) with `positive=True` (log, sqrt). `requires_grad`:
    which inputs get a gradient (default: every floating one). Returns a `KitReport`.
    """
    if isinstance(fn, type) and hasattr(fn, "apply"):  # a Function subclass itself
        fn = fn.apply
    if positive:
        low, high = (0.1, 3.0) if low is None else (low, high)
    arity = default_arity(fn) if arity is None else arity
    if requires_grad is not None and len(requires_grad) != arity:
        raise ValueError(
            f"check_op_kit: requires_grad has {len(requires_grad)} entries, fn {arity}"
        )
    names = input_names(fn, arity)
    torch = torch_or_none()
    # a Function's .apply cannot run on torch tensors: without torch_fn, there is no PyTorch side
    no_reference = torch is not None and torch_fn is None and isinstance(owner(fn), type)
    torch = None if no_reference else torch
    kit = {
        "fn": fn,
        "torch_fn": torch_fn or fn,
        "torch": torch,
        "names": names,
        "seed": seed,
        "low": low,
        "high": high,
        "requires_grad": list(requires_grad) if requires_grad is not None else [True] * arity,
        "tolerances": {**TOLERANCES, **(tolerances or {})},
        "second_order": second_order,
    }
    label = name or display_name(fn)
    report = KitReport(label, [f"{n} (input {i})" for i, n in enumerate(names)], torch is not None)
    if no_reference:
        report.notes.append(
            f"note: no PyTorch reference for {label} (a Function runs on tinygrad_lr tensors "
            "only): pass torch_fn= (--torch) to compare with PyTorch too; central differences "
            "and, for float32, the float64 run are the reference"
        )
    elif torch is None:
        report.notes.append(
            "note: PyTorch is not installed, so only central differences (and, for float32, "
            "the float64 run) are the reference (pip install torch to compare with PyTorch too)"
        )
    for case, specs in _normalise(shapes, arity).items():
        for dtype in dtypes:
            run = _Case(kit, case, specs, dtype)
            with np.errstate(all="ignore"):  # a NaN or inf is reported as a failure instead
                skipped = run.run()
            if skipped:
                if skipped not in report.skipped:
                    report.skipped.append(skipped)
                continue
            report.cases_run += 1
            if run.failures and not report.failures:
                options = {"positive": positive} if positive else {}
                if low is not None and not positive:
                    options.update(low=low, high=high)
                if requires_grad is not None:
                    options["requires_grad"] = tuple(requires_grad)
                report.reproducer = reproducer(
                    name=label.rpartition(":")[2] if re.fullmatch(r"[\w.:/]+", label) else "op",
                    source=source or describe(fn),
                    torch_source=torch_source or (describe(torch_fn) if torch_fn else None),
                    case=case,
                    specs=specs,
                    dtype=dtype,
                    seed=seed,
                    options=options,
                )
            report.failures += run.failures
    return report


def assert_op_kit(fn: Callable[..., Tensor], *args: Any, **kwargs: Any) -> KitReport:
    """`check_op_kit`, raising AssertionError with its report (and reproducer) on a failure;
    on a pass it prints the report's notes (such as PyTorch missing) and returns the report."""
    report = check_op_kit(fn, *args, **kwargs)
    if not report.passed:
        raise AssertionError(str(report))
    for note in report.notes:
        print(note)
    return report


def check_file_op(spec: str, torch_expression: str | None = None, **options: Any) -> KitReport:
    """`tinygrad-lr check-op FILE.py:NAME [--torch EXPR]`: load, then run the kit. Raises
    `OpSpecError` (one line) when the file, the name or the expression cannot be used."""
    fn, source = load_op(spec)
    torch_fn = torch_source = None
    if torch_expression is not None:
        torch_fn = torch_reference(torch_expression)
        torch_source = ("", f"torch_reference({torch_expression!r})")
    return check_op_kit(
        fn,
        torch_fn=torch_fn,
        name=spec,
        source=("", source),
        torch_source=torch_source,
        **options,
    )
