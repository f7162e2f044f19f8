"""Where a wrong gradient comes from: every op of a backward pass checked on its own.

When `check_op_kit` finds a gradient that disagrees with PyTorch or with central differences, it
runs the failing case once more under `record_backward`, which keeps, for every node of the
graph, what it received and what it sent: its inputs' values, its forward's parameters, the
gradient arriving from above and the gradient it sent to each input. `first_divergence` then
holds each node's rule against central differences of that node's forward alone, on those very
values, in backward order: the first node whose rule disagrees is where the gradient went wrong
("MyMul (node 3 of 7, input 1)"). A rule is right when, for every input i,

    sent_i = ∂/∂x_i Σ g · forward(x_1, …, x_n)     (g: the gradient the node received)
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from . import autograd
from .autograd import Context, Op, no_grad
from .gradcheck import numeric_gradient
from .tensor import Tensor

# per recorded op, by its node's id: the node, its forward's keyword parameters, its inputs' values
Kept = tuple[Any, dict[str, Any], list[np.ndarray]]


@dataclass
class NodeRecord:
    """One backward step: the node's op, what it computed from, and the gradients it moved."""

    label: str  # the op's name, or the Function's
    output: int  # id of the node
    op: Any  # the Op subclass, or the Function subclass
    is_function: bool
    inputs: list[np.ndarray]  # the values of the node's tensor inputs, in order
    arguments: tuple[Any, ...]  # a Function's arguments as given to apply (tensors and others)
    params: dict[str, Any] | None  # an Op's keyword parameters (None: not recorded)
    received: np.ndarray  # the gradient of the node's output
    sent: dict[int, np.ndarray] = field(default_factory=dict)  # input position → gradient sent


@dataclass
class Divergence:
    """The first node whose rule disagrees with central differences of its own forward."""

    label: str
    step: int  # 1-based, in backward order
    steps: int
    input_index: int
    element: tuple[int, ...]
    sent: float
    expected: float

    def __str__(self) -> str:
        return (
            f"{self.label} (node {self.step} of {self.steps}, input {self.input_index}): it sent "
            f"{self.sent:.8g} at element {self.element}, where central differences of its own "
            f"forward give {self.expected:.8g}"
        )


class _Recorder:
    """A backward tracer (`autograd.tracers`) that keeps a `NodeRecord` per step."""

    def __init__(self, params: dict[int, Kept]) -> None:
        self.params = params
        self.records: list[NodeRecord] = []

    def record(self, ctx: Context, g: np.ndarray, sent: list[tuple[Any, np.ndarray]]) -> None:
        function = getattr(ctx, "function", None)
        parents = list(ctx.inputs)
        entry = self.params.get(id(ctx))
        if function is not None:  # a Function's node keeps its arguments
            inputs = [np.array(a.array) for a in ctx.arguments if hasattr(a, "array")]
        else:  # the graph keeps no intermediate values: they were copied at the forward pass
            inputs = [] if entry is None else entry[2]
        record = NodeRecord(
            label=node_label(ctx),
            output=id(ctx),
            op=function if function is not None else ctx.op,
            is_function=function is not None,
            inputs=inputs,
            arguments=tuple(getattr(ctx, "arguments", ())),
            params=None if entry is None else entry[1],
            received=np.array(g),
        )
        # `sent` lists the parents that received a gradient, in the parents' order
        position = 0
        for parent, pg in sent:
            while parents[position] is not parent:
                position += 1
            record.sent[position] = np.array(pg)
            position += 1
        self.records.append(record)


@contextlib.contextmanager
def _op_parameters(store: dict[int, Kept]) -> Iterator[None]:
    """Keep the keyword parameters and input values of every recorded `Op` applied in this
    thread (a node keeps neither the parameters its forward took, such as Sum's axes, nor the
    values of inputs other ops made). `Op.apply` is wrapped for the duration; other threads
    pass straight through."""
    original = Op.__dict__.get("apply")
    if not isinstance(original, classmethod):  # nothing to wrap: Ops' nodes go unchecked
        yield
        return
    thread = threading.get_ident()

    def apply(cls: type[Op], *inputs: Any, **params: Any) -> Tensor:
        out = original.__func__(cls, *inputs, **params)
        if threading.get_ident() == thread and out.grad_fn is not None:
            # the ctx kept, so that its id stays unique; the inputs' values copied
            store[id(out.grad_fn)] = (out.grad_fn, params, [np.array(t.array) for t in inputs])
        return out

    Op.apply = classmethod(apply)
    try:
        yield
    finally:
        Op.apply = original


def node_label(ctx: Any) -> str:
    """A node's name: its Function's (`MyMul`), else its op's (`Mul`)."""
    function = getattr(ctx, "function", None)
    return function.__name__ if function is not None else ctx.name


def record_backward(
    fn: Any, inputs: list[Tensor], upstream: np.ndarray
) -> tuple[list[NodeRecord], str | None]:
    """Run `fn(*inputs)` and its backward under `upstream`, keeping every step. Returns the
    records and, when backward raised, the node it raised in ("MyMul (node 2 of 4)")."""
    params: dict[int, Kept] = {}
    recorder = _Recorder(params)
    with _op_parameters(params):
        out = fn(*inputs)
    nodes = [n for n in autograd.topological_order(out) if isinstance(n, Context)]
    labels = [(id(n), node_label(n)) for n in nodes]
    autograd.tracers.append(recorder)
    try:
        out.backward(upstream)
    except Exception:
        done = {r.output for r in recorder.records}
        step, label = next(
            ((i, lb) for i, (key, lb) in enumerate(labels, 1) if key not in done), (0, "?")
        )
        return recorder.records, f"{label} (node {step} of {len(labels)})"
    finally:
        autograd.tracers.remove(recorder)
    return recorder.records, None


def local_forward(record: NodeRecord, arrays: list[np.ndarray]) -> np.ndarray:
    """The node's forward alone, on `arrays` in place of its inputs, as float64."""
    with no_grad():
        tensors = [Tensor.wrap(a) for a in arrays]
        if record.is_function:
            given = iter(tensors)
            args = [next(given) if hasattr(a, "array") else a for a in record.arguments]
            out = record.op.apply(*args)
        else:
            out = record.op.apply(*tensors, **(record.params or {}))
    return np.asarray(out.array, dtype=np.float64)


def _projected(record: NodeRecord, arrays: list[np.ndarray], g: np.ndarray) -> float:
    return float(np.sum(g * local_forward(record, arrays)))


def first_divergence(records: list[NodeRecord], rtol: float, atol: float) -> Divergence | None:
    """The first node, in backward order, whose gradient sent to an input differs from central
    differences of its own forward (|sent − numeric| > atol + rtol·|numeric|, or not finite).
    None when every node's rule holds (then what differs is the forward, not a rule). An Op
    whose parameters were not recorded, or whose forward cannot be rerun, is passed over."""
    for step, record in enumerate(records, start=1):
        if record.params is None and not record.is_function:
            continue
        arrays = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in record.inputs]
        g = record.received.astype(np.float64)
        for index, sent in sorted(record.sent.items()):
            sent = sent.astype(np.float64)
            try:
                numeric = numeric_gradient(partial(_projected, record, arrays, g), arrays[index])
            except Exception:
                break
            if not np.isfinite(numeric).all():
                continue  # the forward is not finite near this point: nothing to hold it to
            bad = ~np.isfinite(sent) | (np.abs(sent - numeric) > atol + rtol * np.abs(numeric))
            if bad.any():
                where = tuple(int(k) for k in np.argwhere(bad)[0])
                return Divergence(
                    record.label,
                    step,
                    len(records),
                    index,
                    where,
                    float(sent[where]),
                    float(numeric[where]),
                )
    return None
