"""The backward pass: the chain rule, run from an output back to the leaves.

Reading order: `unbroadcast` (the one place where broadcasting is undone), `topological_order`,
`backward` (the chain rule), `grad` (the same, returning the gradients instead of storing them).

The graph is made of nodes: the `Context` of each recorded op (a tensor's `grad_fn`), whose
`inputs` lead to the nodes of the ops that made its inputs, and the leaves (parameters, data),
which are tensors. As in PyTorch, no intermediate tensor is part of it: a result the program no
longer holds is freed at once, unless a backward rule saved its values.

`backward(..., create_graph=True)` runs the same rules with tensors in place of arrays
(`ctx.xp` is then the tensor namespace, see `xp.py`): each step of the backward pass is recorded
as ops of a new graph, so the gradients it returns can be differentiated again, to any order.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from ..errors import GraphError, ShapeError
from .graph import Context, Tensor
from .hooks import run_gradient_hooks
from .mode import recording, set_grad_enabled
from .xp import Arrays


# ---------------------------------------------------------------------------------------------
# Undoing broadcasting: the only place in the engine that does it.
# ---------------------------------------------------------------------------------------------
def unbroadcast(grad: Any, shape: tuple[int, ...], op_name: str = "op", xp: Any = Arrays) -> Any:
    """Sum `grad` down to `shape`, undoing NumPy broadcasting.

    Broadcasting copied the input along added leading dims and along its size-1 dims; each copy
    received part of the gradient, so the input's gradient is the sum over those dims.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ShapeError(
            f"{op_name} backward returned a gradient of shape {tuple(grad.shape)} for an input "
            f"of shape {shape}: it has fewer dims than the input"
        )
    if extra:
        grad = xp.sum(grad, tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = xp.sum(grad, ones, True)
    if tuple(grad.shape) != shape:
        raise ShapeError(
            f"{op_name} backward returned a gradient that does not reduce to the input's shape "
            f"{shape} (got {tuple(grad.shape)} after unbroadcasting)"
        )
    return grad


# ---------------------------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------------------------
def node_of(t: Tensor) -> Any:
    """Where a tensor sits in the graph: the `Context` of the op that made it, or, for a leaf,
    the tensor itself. The graph is made of these: it keeps no intermediate tensor."""
    return t.grad_fn or t


def topological_order(*roots: Tensor) -> list[Any]:
    """Every node the roots depend on (that requires grad), each listed before its inputs: the
    `Context` of each op, and the leaves (tensors) where the graph ends.

    An explicit stack instead of recursion, so a graph of any depth works. A node is appended
    after all its inputs (post-order), and the list is reversed at the end.
    """
    return _order([node_of(root) for root in roots])


def _order(roots: list[Any]) -> list[Any]:
    order: list[Any] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        if not isinstance(node, Context):  # a leaf has no inputs: it is done as soon as it is seen
            order.append(node)
            continue
        if node.released:
            raise GraphError(
                f"Trying to backward through the graph a second time: the graph behind "
                f"{node.name} was released by an earlier backward(). Call backward("
                f"retain_graph=True) the first time if you need to backward twice."
            )
        stack.append((node, True))
        for parent in node.inputs:
            if parent._requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    order.reverse()
    return order


tracers: list[Any] = []  # active `visual.trace` objects; empty unless a learner asked


def labelled(t: Tensor, torch_name: str) -> Tensor:
    """`t`, its node printed as PyTorch names the one op it computes in one go (a composite's
    last node, e.g. the division ending a mean, prints as "MeanBackward0")."""
    if t.grad_fn is not None:
        t.grad_fn.label = torch_name
    return t


def accumulate_grad(t: Tensor, g: Any) -> None:
    """Add `g` into `t.grad`: a new tensor the first time, then summed in place (PyTorch's
    AccumulateGrad). The first time copies, as the same array may be handed to several inputs.
    A recorded gradient (create_graph) is a tensor: it is cloned the first time and summed out
    of place after, so that the sum is recorded too (PyTorch does the same)."""
    if hasattr(g, "array"):
        t.grad = labelled(g.clone(), "CopyBackwards") if t.grad is None else t.grad + g
    elif t.grad is None:
        t.grad = t.wrap(np.array(g, dtype=t.array.dtype))
    else:
        t.grad.array += g
        t.grad.version.bump()


def _saved_as_tensors(ctx: Context, wrap: Any) -> tuple[Any, ...]:
    """What `ctx` saved for backward, as tensors carrying their graph, for a recorded backward.

    An op saves arrays: its inputs', its output's, or data such as a mask. `ctx.saved_versions`
    says which saved value is which input's (that tensor is kept there) or the output's (a
    tensor around it, made by this node, carries the graph on); a read-only constant input is
    not noted there, and stays a constant, as does data that is not a float (masks, indices). A
    saved float array that is none of these was computed by the op itself, with no graph to
    differentiate: that is an error. A `Function` saves tensors: its inputs are themselves, its
    output becomes the node's.
    """
    noted = ctx.saved_versions
    known = {noted[k]: (noted[k + 1], noted[k + 2]) for k in range(0, len(noted), 4)}
    out = []
    for k, a in enumerate(ctx.saved_tensors):
        which, held = known.get(k, (None, None))
        if a is None:
            out.append(None)
        elif which is not None and which >= 0:
            out.append(held)
        elif which is not None:  # the output: its values, as a result of this node
            out.append(wrap(getattr(a, "array", a), ctx))
        elif hasattr(a, "array"):  # a tensor a Function computed and saved: as it is
            out.append(a)
        elif any(a is leaf.array for leaf in ctx.inputs if not isinstance(leaf, Context)):
            out.append(wrap(a))  # a constant input (not noted: it cannot change)
        elif a.dtype.kind in "fc":
            raise GraphError(
                f"backward through {ctx.name} cannot be recorded (create_graph=True): its rule "
                "uses values it computed in the forward pass, which have no graph to "
                "differentiate"
            )
        else:
            out.append(wrap(a))
    return tuple(out)


def _recorded_rule(ctx: Context, wrap: Any, g: Tensor, xp: Any) -> Any:
    """Run `ctx`'s backward rule on tensors, with `xp` the tensor namespace: every op it applies
    is recorded, so its result has a graph of its own."""
    if not ctx.op.backward_is_differentiable:
        raise GraphError(
            f"{ctx.name}'s backward rule is not differentiable, so backward(create_graph=True) "
            f"cannot go through it; build the function from differentiable ops instead"
        )
    saved = ctx.saved_tensors
    if saved:
        ctx.saved_tensors = _saved_as_tensors(ctx, wrap)
    ctx.xp = xp
    outer, recording.in_recorded_rule = recording.in_recorded_rule, True
    try:
        return ctx.op.backward(ctx, g)
    finally:
        recording.in_recorded_rule = outer
        ctx.saved_tensors = saved
        del ctx.xp


def backward(
    root: Tensor,
    grad: Any,
    retain_graph: bool = False,
    capture: dict[int, Any] | None = None,
    more_roots: tuple[tuple[Tensor, Any], ...] = (),
    create_graph: bool = False,
) -> None:
    """Apply the chain rule from `root` (whose gradient is `grad`) back to every leaf.

    Gradients are collected per tensor in a dict, summed when a tensor feeds several ops, and
    handed to that tensor's op once all its consumers are done, which the topological order
    guarantees. Leaves (and tensors that asked for `retain_grad()`) accumulate into `.grad`;
    with `capture` (id → None for the tensors wanted, as `grad()` asks), the gradients of those
    tensors are stored there instead, and no `.grad` is touched.

    With `create_graph`, `grad` is a tensor, the rules run on tensors (`_recorded_rule`) with
    recording on, and every gradient is a tensor with a graph of its own.
    """
    if create_graph:
        with set_grad_enabled(True):
            _run(root, grad, retain_graph, capture, more_roots, type(root).backward_xp)
    else:
        _run(root, grad, retain_graph, capture, more_roots, None)


def _run(
    root: Tensor,
    grad: Any,
    retain_graph: bool,
    capture: dict[int, Any] | None,
    more_roots: tuple[tuple[Tensor, Any], ...],
    xp: Any,
) -> None:
    """`backward`'s loop; `xp` is the tensor namespace when the backward is recorded, else None."""
    roots = [(node_of(r), g) for r, g in ((root, grad), *more_roots)]
    order = _order([node for node, _ in roots])
    reaches = None
    if capture is not None:  # grad(): only the ops between the outputs and the inputs asked for
        reaches = _leading_to(order, capture)
        order = [node for node in order if id(node) in reaches]
    grads: dict[int, Any] = {}
    for node, g in roots:
        grads[id(node)] = grads[id(node)] + g if id(node) in grads else g
    wrap = root.wrap
    recorded = xp is not None
    for node in order:
        g = grads.pop(id(node), None)
        if g is None:
            continue
        if not isinstance(node, Context):  # a leaf: the gradient ends here
            if node._hooks:  # tensor.register_hook: a learner's look at (or change to) g
                g = run_gradient_hooks(node._hooks, wrap, g, recorded)
            if capture is None:
                accumulate_grad(node, g)
            elif id(node) in capture:
                capture[id(node)] = g
            continue
        ctx = node
        if ctx.hooks:  # the hooks of a tensor an op made
            g = run_gradient_hooks(ctx.hooks, wrap, g, recorded)
        if capture is not None and id(ctx) in capture:
            capture[id(ctx)] = g
        if ctx.retained is not None:  # retain_grad(): its .grad too, while it lives (in grad()
            kept = ctx.retained()  # as well, as in PyTorch)
            if kept is not None:
                accumulate_grad(kept, g)
        if capture is not None and not any(id(p) in reaches for p in ctx.inputs):
            continue  # a captured input with nothing asked for below it
        if ctx.saved_versions:
            ctx.check_versions()
        input_grads = _recorded_rule(ctx, wrap, g, xp) if recorded else ctx.op.backward(ctx, g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        sent = [] if tracers else None  # what each input received, for a visual.trace
        for parent, pg in zip(ctx.inputs, input_grads, strict=True):
            if pg is None or not parent._requires_grad:
                continue
            if isinstance(parent, Context):
                shape, dtype = parent.out_shape, parent.out_dtype
            else:
                shape, dtype = parent.array.shape, parent.array.dtype
            if not recorded:
                if type(pg) is not np.ndarray:  # NumPy returns scalars from 0-d arithmetic
                    pg = np.asarray(pg)
                if pg.shape != shape:
                    pg = unbroadcast(pg, shape, ctx.name)
                if pg.dtype != dtype:  # an op mixing dtypes sends each input its own dtype
                    pg = pg.astype(dtype)
            else:
                if tuple(pg.shape) != shape:
                    pg = unbroadcast(pg, shape, ctx.name, xp)
                if pg.array.dtype != dtype:
                    pg = xp.astype(pg, dtype)
            key = id(parent)
            if key not in grads:
                grads[key] = pg
            elif not recorded and _held_only_by(grads, key):
                np.add(grads[key], pg, out=grads[key])  # no new array (see _held_only_by)
            else:
                grads[key] = grads[key] + pg
            if sent is not None:
                sent.append((parent, pg))
        for tracer in tracers:  # visual.trace: a learner watching the chain rule run
            tracer.record(ctx, g, sent)
        if not retain_graph:
            ctx.release()


def _held_only_by(grads: dict[int, Any], key: int) -> bool:
    """Whether the gradient summed so far for `key` is an array of its own that nothing but
    `grads` refers to, so the next gradient can be added into it in place. The sum is the
    same; what is saved is a new array (for a large one, fresh memory the system must map).
    PyTorch's engine steals its input buffer on the same condition. An array also held
    elsewhere (a rule that sent the same gradient to two inputs, a view of another array, a
    saved value, a hook's or a trace's copy) is never written."""
    total = grads[key]
    # three references: the dict's, `total`'s and getrefcount's own argument
    return total.flags.owndata and total.flags.writeable and sys.getrefcount(total) == 3


def _leading_to(order: list[Tensor], wanted: dict[int, Any]) -> set[int]:
    """The ids of the tensors of `order` from which a `wanted` one can be reached (itself
    included). `grad()` runs the rule of an op only when one of its inputs is among them: the
    graph below the inputs asked for is neither walked nor released, as in PyTorch (and an op
    there whose rule cannot be recorded does not matter)."""
    reaches: set[int] = set()
    for node in reversed(order):  # inputs before the ops that use them
        if id(node) in wanted or (
            isinstance(node, Context) and any(id(p) in reaches for p in node.inputs)
        ):
            reaches.add(id(node))
    return reaches


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Any, ...]:
    """The gradients of `outputs` with respect to `inputs`, returned instead of stored in
    `.grad`, as `torch.autograd.grad`. `grad_outputs` are the gradients of the outputs (needed
    unless each output has one element). An input the outputs do not depend on is an error,
    or None with `allow_unused=True`.

    With `create_graph=True` the backward pass is recorded: the gradients returned are tensors
    with a graph of their own (they require grad when anything they depend on does), so they can
    be differentiated again. `retain_graph` defaults to `create_graph`, as in PyTorch.
    """
    outputs = tuple(outputs) if isinstance(outputs, list | tuple) else (outputs,)
    inputs = tuple(inputs) if isinstance(inputs, list | tuple) else (inputs,)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif not isinstance(grad_outputs, list | tuple):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise ValueError(
            f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; give one per "
            "output"
        )
    roots = []
    for out, g in zip(outputs, grad_outputs, strict=True):
        if not out.requires_grad:
            raise GraphError("grad: an output does not require grad and does not have a grad_fn")
        roots.append((out, root_gradient(out, g, create_graph, "grad")))
    for t in inputs:
        if not t.requires_grad:
            raise GraphError("grad: one of the inputs does not require grad")
    capture: dict[int, Any] = {id(node_of(t)): None for t in inputs}
    keep = create_graph if retain_graph is None else bool(retain_graph)
    backward(roots[0][0], roots[0][1], keep, capture, tuple(roots[1:]), create_graph)
    result = []
    for i, t in enumerate(inputs):
        g = capture[id(node_of(t))]
        if g is None and not allow_unused:
            raise GraphError(
                f"grad: input {i} was not used in the graph of the outputs; pass "
                "allow_unused=True to get None for it"
            )
        if g is None or create_graph:
            result.append(g)
        else:
            result.append(t.wrap(np.array(g, dtype=t.array.dtype)))
    return tuple(result)


def root_gradient(out: Tensor, g: Any, create_graph: bool, caller: str) -> Any:
    """The gradient a backward pass starts from at `out`: `g` (a tensor, an array or a number
    of `out`'s shape), or ones when `out` has one element. A tensor when the backward is
    recorded (create_graph; `g` keeps its own graph), else an array in `out`'s dtype."""
    if g is None:
        if out.array.size != 1:
            raise GraphError(
                f"{caller}: grad can be implicitly created only for scalar outputs (one "
                f"element); this output has shape {tuple(out.shape)}: pass the gradient of that "
                "shape, or reduce the output first (for example .sum())"
            )
        g = np.ones_like(out.array)
    elif hasattr(g, "array"):
        if create_graph:
            if tuple(g.shape) != tuple(out.shape):
                raise ShapeError(
                    f"{caller}: the gradient has shape {tuple(g.shape)} but the output has "
                    f"shape {tuple(out.shape)}; they must be the same"
                )
            return g if g.array.dtype == out.array.dtype else g.to(out.array.dtype)
        g = np.array(g.array, out.array.dtype)
    else:
        g = np.array(g, out.array.dtype)
    if g.shape != out.array.shape:
        raise ShapeError(
            f"{caller}: the gradient has shape {tuple(g.shape)} but the output has shape "
            f"{tuple(out.shape)}; they must be the same"
        )
    return out.wrap(g) if create_graph else g
