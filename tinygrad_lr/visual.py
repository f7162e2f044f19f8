"""See the backward pass: the graph behind a tensor as Graphviz DOT, and a chain-rule trace.

`draw_graph(loss)` returns DOT text: one box per tensor (name, shape, dtype, a summary of its
values and, after backward, of its gradient; the graph keeps no intermediate result, so those
show their values only when drawn from or retaining their gradient), one ellipse per op, arrows
in the direction data flows. `with trace() as t: loss.backward()` records one row per backward
step, in the order the engine visits the ops; `print(t)` shows them, `t.records` gives them as
dicts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from . import autograd
from .autograd import Context
from .tensor import Tensor


def summary(array: np.ndarray | None) -> str:
    """A short description of an array's values: the value itself when small, else its range."""
    if array is None:
        return "-"
    a = np.asarray(array, dtype=np.float64)
    if a.size <= 4:
        return np.array2string(a.ravel(), precision=4, separator=", ", suppress_small=True)
    return f"mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}"


def _describe(node: Any) -> str:
    """A node of the graph by the name of its tensor, else what made it ("Sub result"); a
    leaf by its name, else "leaf"."""
    if isinstance(node, Context):
        return _output_name(node) or f"{node.name} result"
    return node.name or "leaf"


def _output_name(node: Context) -> str | None:
    """The name given to the tensor a node made (`Tensor.name` tells its node), if any."""
    return node.__dict__.get("output_name")


# --- graph drawing ---------------------------------------------------------------------------
def _box(name: str | None, shape: tuple[int, ...], dtype: np.dtype, rest: list[str]) -> str:
    """A tensor's box as DOT label text: its name (if any), shape and dtype, then `rest`."""
    lines = ([name] if name else []) + [f"{tuple(shape)} {dtype}", *rest]
    return "\\n".join(line.replace('"', "'") for line in lines)


def _label(t: Tensor, show_grad: bool) -> str:
    rest = [f"data {summary(t.array)}"]
    if show_grad and t.grad is not None:
        rest.append(f"grad {summary(t.grad.array)}")
    return _box(t.name, t.shape, t.dtype, rest)


def _unkept_label(node: Context) -> str:
    """An intermediate result's box: its name, shape and dtype; its values are not kept."""
    return _box(_output_name(node), node.out_shape, node.out_dtype, ["values not kept"])


def _style(t: Tensor) -> str:
    if t.is_leaf and t.requires_grad:  # a parameter: what training changes
        return 'shape=box, style="filled,bold", fillcolor="#cfe8ff"'
    if t.is_leaf:  # an input or constant: data the graph reads
        return 'shape=box, style="dashed"'
    return 'shape=box, style="rounded"'


def draw_graph(tensor: Tensor, path: str | Path | None = None, show_grad: bool = True) -> str:
    """The graph behind `tensor` as Graphviz DOT text; also written to `path` when given.

    Parameters (leaves that require grad) are filled boxes, inputs and constants dashed boxes,
    results rounded boxes, ops ellipses. A tensor's `name` is shown (`Module` parameters are
    named after their attributes, e.g. `fc.weight`). With `path` ending in `.svg` or `.png`,
    Graphviz's `dot` program renders it; without `dot`, the DOT text is written to a `.dot`
    file beside it and a message says how to install Graphviz. Draw before `backward()`, or
    call `backward(retain_graph=True)`: backward releases the graph.
    """
    lines = [
        "digraph tinygrad_lr {",
        "  rankdir=TB;",
        '  node [fontname="Helvetica", fontsize=10];',
    ]
    root = autograd.engine.node_of(tensor)
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not isinstance(node, Context):  # a leaf: a parameter, the data, a constant
            lines.append(f'  t{id(node)} [label="{_label(node, show_grad)}", {_style(node)}];')
            continue
        # the tensor an op made: the graph keeps the op's node, not the tensor, so its values
        # are known only for the one drawn from and for one that asked to retain its gradient
        made = tensor if node is root else (node.retained and node.retained())
        label = _label(made, show_grad) if made is not None else _unkept_label(node)
        lines.append(f'  t{id(node)} [label="{label}", shape=box, style="rounded"];')
        op_label = node.name + (" (released by backward)" if node.released else "")
        style = 'shape=ellipse, style=filled, fillcolor="#f4f4f4"'
        lines.append(f'  op{id(node)} [label="{op_label}", {style}];')
        lines.append(f"  op{id(node)} -> t{id(node)};")
        for parent in node.inputs:
            lines.append(f"  t{id(parent)} -> op{id(node)};")
            stack.append(parent)
    lines.append("}")
    dot = "\n".join(lines) + "\n"
    if path is not None:
        render(dot, Path(path))
    return dot


def render(dot: str, path: Path) -> Path:
    """Write `dot` to `path`: rendered by Graphviz for .svg/.png, as DOT text otherwise.

    Returns the file written, which is `path` with a `.dot` suffix when Graphviz is missing.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("svg", "png"):
        path.write_text(dot)
        return path
    dot_program = shutil.which("dot")
    if dot_program is None:
        fallback = path.with_suffix(".dot")
        fallback.write_text(dot)
        print(
            f"Graphviz's `dot` program is not installed, so {path.name} was not drawn; the "
            f"graph is in {fallback} (install Graphviz, e.g. `apt-get install graphviz` or "
            "`brew install graphviz`, to render it)."
        )
        return fallback
    subprocess.run([dot_program, f"-T{fmt}", "-o", str(path)], input=dot.encode(), check=True)
    return path


# --- backward trace --------------------------------------------------------------------------
class trace:  # noqa: N801 - used like no_grad: `with trace() as t:`
    """Record every step of the backward passes run inside the `with` block.

    Each record: `step`, `op`, `output` (the name of the tensor the op made, or what made it)
    and `output_id` (the `id` of the op's node, its `grad_fn`), `rule` (the op's math, from its
    docstring), `grad_out` (shape and summary of the gradient arriving at the op), `grads_in`
    (for each input that receives a gradient: its name and the id of its node, the op that made
    it or the leaf itself, shape, a summary and the array of the gradient sent to it, after
    unbroadcasting).
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def __enter__(self) -> trace:
        autograd.tracers.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        autograd.tracers.remove(self)

    def record(self, ctx: Context, g: np.ndarray, inputs: list[tuple[Any, np.ndarray]]) -> None:
        doc = (ctx.op.__doc__ or "").strip().splitlines()
        g = getattr(g, "array", g)  # a recorded backward (create_graph) sends tensors
        inputs = [(p, getattr(pg, "array", pg)) for p, pg in inputs]
        self.records.append(
            {
                "step": len(self.records) + 1,
                "op": ctx.name,
                "output": _describe(ctx),
                "output_id": id(ctx),
                "rule": doc[0] if doc else "",
                "grad_out": {"shape": tuple(g.shape), "summary": summary(g)},
                "grads_in": [
                    {
                        "input": _describe(p),
                        "input_id": id(p),
                        "shape": tuple(pg.shape),
                        "summary": summary(pg),
                        "array": pg,
                    }
                    for p, pg in inputs
                ],
            }
        )

    def __str__(self) -> str:
        rows = []
        for r in self.records:
            sent = "; ".join(f"{i['input']} {i['shape']}: {i['summary']}" for i in r["grads_in"])
            rows.append(
                f"{r['step']:>3}  {r['op']:<8} {r['rule']}\n"
                f"       in  {r['grad_out']['shape']}: {r['grad_out']['summary']}\n"
                f"       out {sent}"
            )
        return "\n".join(
            ["step op       rule / incoming gradient / gradients sent to inputs", *rows]
        )
