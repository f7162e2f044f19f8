"""The autograd engine: how an op is recorded, and how backward walks the record.

Reading order: `Context` (what an op remembers), `Op` (how an op is applied and recorded),
`Function` (PyTorch's API for an op of your own, on tensors),
`unbroadcast` (the one place where broadcasting is undone), `topological_order` and `backward`
(the chain rule, run from the output back to the leaves).

The ops themselves, each a `Op` with its forward and backward side by side, are in `ops.py`.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import numpy as np

from .errors import GraphError, ShapeError

# The engine works on `tensor.Tensor`s but does not import that module (which imports this one):
# what it uses of a tensor is `data`, `grad`, `grad_fn`, `requires_grad`, `retains_grad`,
# `version` (its VersionCounter) and `Tensor.wrap`, which makes a new tensor around an array.
Tensor = Any


# ---------------------------------------------------------------------------------------------
# Gradient mode: `no_grad` switches recording off, as `torch.no_grad` does, in its own thread only.
# ---------------------------------------------------------------------------------------------
class _GradMode(threading.local):
    """Whether ops are recorded, one flag per thread (as in PyTorch): `no_grad` in one thread
    leaves the others recording."""

    enabled = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True when ops are being recorded for backward in this thread (the default)."""
    return _grad_mode.enabled


class _SetGradMode(contextlib.ContextDecorator):
    """Switch recording on or off for a `with` block (or a decorated function), then restore
    what it was before, in this thread, also when the block raises. One object may be entered
    by several threads at once (a decorated function called from two threads): each thread
    keeps its own stack of previous modes."""

    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled
        self._previous = threading.local()

    def __enter__(self) -> None:
        stack = self._previous.__dict__.setdefault("stack", [])
        stack.append(_grad_mode.enabled)
        _grad_mode.enabled = self._enabled

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._previous.stack.pop()


class no_grad(_SetGradMode):  # noqa: N801 - named as in PyTorch
    """Context manager and decorator: ops inside it are not recorded, their results need no grad.

    >>> with no_grad():
    ...     y = w * 2          # y.requires_grad is False, nothing is kept for backward
    """

    def __new__(cls, function: Any = None) -> Any:
        """`@no_grad` without parentheses decorates too, as in PyTorch."""
        if function is not None and callable(function):
            return super().__new__(cls).__class__()(function)
        return super().__new__(cls)

    def __init__(self, function: Any = None) -> None:
        super().__init__(False)


class enable_grad(_SetGradMode):  # noqa: N801 - named as in PyTorch
    """Context manager and decorator: switches recording back on inside a `no_grad` block."""

    def __init__(self) -> None:
        super().__init__(True)


class set_grad_enabled:  # noqa: N801 - named as in PyTorch
    """Switch recording on or off: at once when called (`set_grad_enabled(False)`), and back to
    what it was when used as a context manager (`with set_grad_enabled(is_training): ...`)."""

    def __init__(self, mode: bool) -> None:
        self._previous = _grad_mode.enabled
        _grad_mode.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._previous


# ---------------------------------------------------------------------------------------------
# Version counters: how the engine notices a tensor changed in place after an op saved it.
# ---------------------------------------------------------------------------------------------
class VersionCounter:
    """How many times a tensor's values have been changed in place (PyTorch's `_version`).

    In-place changes (`zero_()`, an optimizer's `step()`, `load_state_dict`, ...) call `bump()`.
    A view (a reshape, a transpose, a slice, `detach()`) shares its base's counter, since a
    change through either changes both. When an op saves a tensor for backward, its context
    notes the counter's value; backward refuses to run the op's rule if it has moved since.
    """

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def bump(self) -> None:
        self.value += 1


# ---------------------------------------------------------------------------------------------
# Recording an op
# ---------------------------------------------------------------------------------------------
class Context:
    """What one applied op remembers for its backward, like PyTorch's `ctx`.

    `parents` are the input tensors, `needs_input_grad` says which of them need a gradient (so a
    backward can skip the others), `saved_tensors` holds the arrays the backward rule needs. Ops
    may keep other small facts on it too (`ctx.dim`, `ctx.shape`). After backward, `release()`
    drops all of it, so the graph's memory is freed as soon as the output is.

    `saved_versions` notes, for every saved array that is an input's (or the output's) values,
    that tensor's version when it was saved: `check_versions` compares them before backward.
    """

    def __init__(self, op: type[Op], parents: tuple[Tensor, ...]) -> None:
        self.op = op
        self.parents = parents
        self.needs_input_grad = tuple(p.requires_grad for p in parents)
        self.saved_tensors: tuple[Any, ...] = ()
        self.saved_versions: list[tuple[VersionCounter, int, int]] = []
        self.released = False

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    def note_versions(self, output: Tensor) -> None:
        """Remember the version of each tensor whose values were saved: (counter, its value
        now, which: the input's position, or -1 for the op's own output)."""
        for array in self.saved_tensors:
            for i, t in enumerate(self.parents):
                if array is t.array:
                    self.saved_versions.append((t.version, t.version.value, i))
            if array is output.array:
                self.saved_versions.append((output.version, output.version.value, -1))

    def check_versions(self, output: Tensor) -> None:
        """Raise GraphError if a saved tensor was changed in place since the forward pass: the
        rule would compute the gradient from values the forward pass never saw."""
        for counter, then, which in self.saved_versions:
            if counter.value != then:
                t = output if which < 0 else self.parents[which]
                what = "its output" if which < 0 else f"its input {which}"
                name = f" ({t.name})" if t.name else ""
                raise GraphError(
                    f"backward through {self.name}: one of the tensors it saved for the "
                    f"gradient, {what}{name} of shape {tuple(t.shape)} ({t.array.dtype}), was "
                    "changed in "
                    f"place after the forward pass: it is at version {counter.value}, {self.name} "
                    f"saved it at version {then}. The gradient would be computed from values "
                    "the forward pass never saw. In-place changes are optimizer.step(), zero_(), "
                    "load_state_dict() and the like: make them after backward(), or run the "
                    "forward pass again."
                )

    @property
    def name(self) -> str:
        return self.op.__name__

    @property
    def torch_name(self) -> str:
        """The name PyTorch prints for this node (`grad_fn=<MulBackward0>`): the op's, or the
        one a composite gave its last node (`functional.cross_entropy`: "NllLossBackward0")."""
        label = self.__dict__.get("label")
        if label:
            return label
        op = self.op.__dict__.get("torch_name") or f"{self.name}Backward0"
        return op(self) if callable(op) else op

    def release(self) -> None:
        """Forget the inputs and saved arrays; a later backward through this op is an error."""
        op = self.op
        self.__dict__.clear()
        self.op, self.parents, self.needs_input_grad = op, (), ()
        self.saved_tensors, self.saved_versions, self.released = (), [], True

    def __repr__(self) -> str:
        return f"<{self.name}Backward{' (released)' if self.released else ''}>"


class Op:
    """Base of every primitive op: `forward` on arrays, `backward` giving one gradient per input.

    `forward(ctx, *arrays, **params)` computes the output array and saves what backward needs.
    `backward(ctx, grad)` receives the gradient of the output and returns one gradient per input
    (`None` where `ctx.needs_input_grad` is False). It may return gradients in the broadcast
    output shape: the engine reduces them with `unbroadcast`. This is the shape of PyTorch's
    `torch.autograd.Function`, except that here forward and backward see NumPy arrays: the
    engine's own ops are `Op`s, and `Function` (below) is PyTorch's API on top of it.

    An op whose output may be a view of its first input's memory (reshape, permute, indexing)
    sets `returns_view`: the output then shares the input's version counter.
    """

    returns_view = False

    @staticmethod
    def forward(ctx: Context, *args: Any, **params: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the op on tensors; record it when grad mode is on and any input requires grad."""
        ctx = Context(cls, inputs)
        first = inputs[0]
        out = cls.forward(ctx, *[t.array for t in inputs], **params)
        record = _grad_mode.enabled and any(ctx.needs_input_grad)
        view = cls.returns_view and np.may_share_memory(out, first.array)
        result = first.wrap(out, ctx if record else None, first.version if view else None)
        if record and ctx.saved_tensors:
            ctx.note_versions(result)
        return result


class FunctionCtx(Context):
    """The `ctx` a `Function` gets, as PyTorch's: `save_for_backward(*tensors)`,
    `saved_tensors`, `needs_input_grad`, `mark_non_differentiable(*outputs)`."""

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *outputs: Any) -> None:
        self.non_differentiable = {id(t) for t in outputs}


class _Custom(Op):
    """The graph node of a `Function`: its backward calls the Function's, on tensors."""

    @staticmethod
    def backward(ctx: FunctionCtx, g: np.ndarray) -> tuple:
        function = ctx.function
        with no_grad():
            grads = function.backward(ctx, ctx.parents[0].wrap(g))
        grads = grads if isinstance(grads, tuple) else (grads,)
        tensors = [i for i, a in enumerate(ctx.arguments) if hasattr(a, "array")]
        if len(grads) != len(ctx.arguments):
            raise GraphError(
                f"{function.__name__}.backward returned {len(grads)} gradients, but forward "
                f"took {len(ctx.arguments)} arguments: return one per argument (None for those "
                "without a gradient)"
            )
        return tuple(
            None if grads[i] is None else getattr(grads[i], "array", grads[i]) for i in tensors
        )


class Function:
    """PyTorch's way to give an op of your own its backward rule (`torch.autograd.Function`):

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                result = x.exp()
                ctx.save_for_backward(result)
                return result

            @staticmethod
            def backward(ctx, grad):
                (result,) = ctx.saved_tensors
                return grad * result

        y = Exp.apply(x)

    `forward` runs on tensors with recording off; `backward` gets the gradient of the output as
    a tensor and returns one gradient per argument of forward (None where there is none). One
    output tensor per Function (PyTorch allows several). `gradcheck` holds your rule against
    central differences. (The engine's own ops are `Op`s, which work on arrays and are faster.)
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a Function must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Any) -> Any:
        raise NotImplementedError("a Function must define backward(ctx, grad) to be differentiated")

    @classmethod
    def apply(cls, *args: Any) -> Tensor:
        tensors = tuple(a for a in args if hasattr(a, "array"))
        if not tensors:
            raise TypeError(f"{cls.__name__}.apply needs at least one tensor argument")
        ctx = FunctionCtx(_Custom, tensors)
        ctx.function, ctx.arguments = cls, args
        ctx.needs_input_grad = tuple(hasattr(a, "array") and a.requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        if not hasattr(out, "array"):
            raise TypeError(
                f"{cls.__name__}.forward must return one tensor, got {type(out).__name__}"
            )
        record = _grad_mode.enabled and any(ctx.needs_input_grad)
        if not record or id(out) in ctx.__dict__.get("non_differentiable", ()):
            return out
        # `out` stays what ctx saved (no cycle through the graph); the recorded result shares
        # its memory and version counter, so a change to either is seen at backward
        result = out.wrap(out.array, ctx, out.version)
        for t in ctx.saved_tensors:
            which = next((i for i, p in enumerate(tensors) if p is t), -1 if t is out else None)
            if which is not None:
                ctx.saved_versions.append((t.version, t.version.value, which))
        return result


# ---------------------------------------------------------------------------------------------
# Undoing broadcasting: the only place in the engine that does it.
# ---------------------------------------------------------------------------------------------
def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], op_name: str = "op") -> np.ndarray:
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
            "of shape "
            f"{shape}: it has fewer dims than the input"
        )
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    if grad.shape != shape:
        raise ShapeError(
            f"{op_name} backward returned a gradient that does not reduce to the input's shape "
            f"{shape} (got {tuple(grad.shape)} after unbroadcasting)"
        )
    return grad


# ---------------------------------------------------------------------------------------------
# The backward pass
# ---------------------------------------------------------------------------------------------
def topological_order(*roots: Tensor) -> list[Tensor]:
    """Every tensor the roots depend on (that requires grad), each listed before its inputs.

    An explicit stack instead of recursion, so a graph of any depth works. A tensor is appended
    after all its inputs (post-order), and the list is reversed at the end.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        ctx = node.grad_fn
        if ctx is None:  # a leaf has no inputs: it is done as soon as it is seen
            order.append(node)
            continue
        if ctx.released:
            raise GraphError(
                f"Trying to backward through the graph a second time: the graph behind "
                f"{ctx.name} was released by an earlier backward(). Call backward("
                f"retain_graph=True) the first time if you need to backward twice."
            )
        stack.append((node, True))
        for parent in ctx.parents:
            if parent.requires_grad and id(parent) not in visited:
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


def accumulate_grad(t: Tensor, g: np.ndarray) -> None:
    """Add `g` into `t.grad`: a new tensor the first time, then summed in place (PyTorch's
    AccumulateGrad). The first time copies, as the same array may be handed to several inputs."""
    if t.grad is None:
        t.grad = t.wrap(np.array(g, dtype=t.array.dtype))
    else:
        t.grad.array += g
        t.grad.version.bump()


def backward(
    root: Tensor,
    grad: np.ndarray,
    retain_graph: bool = False,
    capture: dict[int, np.ndarray | None] | None = None,
    more_roots: tuple[tuple[Tensor, np.ndarray], ...] = (),
) -> None:
    """Apply the chain rule from `root` (whose gradient is `grad`) back to every leaf.

    Gradients are collected per tensor in a dict, summed when a tensor feeds several ops, and
    handed to that tensor's op once all its consumers are done, which the topological order
    guarantees. Leaves (and tensors that asked for `retain_grad()`) accumulate into `.grad`;
    with `capture` (id → None for the tensors wanted, as `grad()` asks), the gradients of those
    tensors are stored there instead, and no `.grad` is touched.
    """
    roots = [(root, grad), *more_roots]
    order = topological_order(*[r for r, _ in roots])
    grads: dict[int, np.ndarray] = {}
    for r, g in roots:
        grads[id(r)] = grads[id(r)] + g if id(r) in grads else g
    for node in order:
        g = grads.pop(id(node), None)
        if g is None:
            continue
        ctx = node.grad_fn
        if capture is not None:
            if id(node) in capture:
                capture[id(node)] = g
        elif ctx is None or node.retains_grad:
            accumulate_grad(node, g)
        if ctx is None:
            continue
        if ctx.saved_versions:
            ctx.check_versions(node)
        input_grads = ctx.op.backward(ctx, g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        sent = []
        for parent, pg in zip(ctx.parents, input_grads, strict=True):
            if pg is None or not parent.requires_grad:
                continue
            data = parent.array
            if type(pg) is not np.ndarray:  # NumPy returns scalars from 0-d arithmetic
                pg = np.asarray(pg)
            if pg.shape != data.shape:
                pg = unbroadcast(pg, data.shape, ctx.name)
            if pg.dtype != data.dtype:  # an op mixing dtypes sends each input its own dtype
                pg = pg.astype(data.dtype)
            key = id(parent)
            grads[key] = grads[key] + pg if key in grads else pg
            sent.append((parent, pg))
        for tracer in tracers:  # visual.trace: a learner watching the chain rule run
            tracer.record(node, g, sent)
        if not retain_graph:
            ctx.release()


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
    or None with `allow_unused=True`. (Gradients of gradients, `create_graph=True`, are not
    supported yet: an error says so.)"""
    if create_graph:
        raise NotImplementedError(
            "grad(create_graph=True): gradients that can be differentiated again are not "
            "supported yet"
        )
    outputs = tuple(outputs) if isinstance(outputs, list | tuple) else (outputs,)
    inputs = tuple(inputs) if isinstance(inputs, list | tuple) else (inputs,)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif not isinstance(grad_outputs, list | tuple):
        grad_outputs = (grad_outputs,)
    roots = []
    for out, g in zip(outputs, grad_outputs, strict=True):
        if not out.requires_grad:
            raise GraphError("grad: an output does not require grad and does not have a grad_fn")
        if g is None:
            if out.array.size != 1:
                raise GraphError(
                    f"grad can be implicitly created only for outputs with one element; pass "
                    f"grad_outputs for the output of shape {tuple(out.shape)}"
                )
            g = np.ones_like(out.array)
        else:
            g = np.asarray(getattr(g, "array", g), dtype=out.array.dtype)
        roots.append((out, g))
    for t in inputs:
        if not t.requires_grad:
            raise GraphError("grad: one of the inputs does not require grad")
    capture: dict[int, np.ndarray | None] = {id(t): None for t in inputs}
    keep = bool(retain_graph)
    backward(roots[0][0], roots[0][1], keep, capture, tuple(roots[1:]))
    result = []
    for i, t in enumerate(inputs):
        g = capture[id(t)]
        if g is None and not allow_unused:
            raise GraphError(
                f"grad: input {i} was not used in the graph of the outputs; pass "
                "allow_unused=True to get None for it"
            )
        result.append(None if g is None else t.wrap(np.array(g, dtype=t.array.dtype)))
    return tuple(result)
