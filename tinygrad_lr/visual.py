"""See the backward pass: the graph behind a tensor as Graphviz DOT, and a chain-rule trace.

`draw_graph(loss)` returns DOT text: one box per tensor (name, shape, dtype, a summary of its
values and, after backward, of its gradient), one ellipse per op, arrows in the direction data
flows. `with trace() as t: loss.backward()` records one row per backward step, in the order the
engine visits the ops; `print(t)` shows them, `t.records` gives them as dicts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from . import autograd
from .tensor import Tensor


def summary(array: np.ndarray | None) -> str:
    """A short description of an array's values: the value itself when small, else its range."""
    if array is None:
        return "-"
    a = np.asarray(array, dtype=np.float64)
    if a.size <= 4:
        return np.array2string(a.ravel(), precision=4, separator=", ", suppress_small=True)
    return f"mean {a.mean():.4g}, min {a.min():.4g}, max {a.max():.4g}"


def _describe(t: Tensor) -> str:
    """A tensor's name, else what made it ("Sub result") or "leaf"."""
    if t.name:
        return t.name
    return f"{t.grad_fn.name} result" if t.grad_fn is not None else "leaf"


# --- graph drawing ---------------------------------------------------------------------------
def _label(t: Tensor, show_grad: bool) -> str:
    lines = [t.name] if t.name else []
    lines.append(f"{tuple(t.shape)} {t.dtype}")
    lines.append(f"data {summary(t.array)}")
    if show_grad and t.grad is not None:
        lines.append(f"grad {summary(t.grad.array)}")
    return "\\n".join(line.replace('"', "'") for line in lines)


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
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        lines.append(f'  t{id(t)} [label="{_label(t, show_grad)}", {_style(t)}];')
        ctx = t.grad_fn
        if ctx is None:
            continue
        op_label = ctx.name + (" (released by backward)" if ctx.released else "")
        lines.append(
            f'  op{id(ctx)} [label="{op_label}", shape=ellipse, style=filled, fillcolor="#f4f4f4"];'
        )
        lines.append(f"  op{id(ctx)} -> t{id(t)};")
        for parent in ctx.parents:
            lines.append(f"  t{id(parent)} -> op{id(ctx)};")
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
    and `output_id` (its `id`),
    `rule` (the op's math, from its docstring), `grad_out` (shape and summary of the gradient
    arriving at the op), `grads_in` (for each input that receives a gradient: its name and id,
    shape, a summary and the array of the gradient sent to it, after unbroadcasting).
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def __enter__(self) -> trace:
        autograd.tracers.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        autograd.tracers.remove(self)

    def record(self, node: Tensor, g: np.ndarray, inputs: list[tuple[Tensor, np.ndarray]]) -> None:
        ctx = node.grad_fn
        doc = (ctx.op.__doc__ or "").strip().splitlines()
        g = getattr(g, "array", g)  # a recorded backward (create_graph) sends tensors
        inputs = [(p, getattr(pg, "array", pg)) for p, pg in inputs]
        self.records.append(
            {
                "step": len(self.records) + 1,
                "op": ctx.name,
                "output": _describe(node),
                "output_id": id(node),
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
