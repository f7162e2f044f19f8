"""How an op is recorded: `VersionCounter`, `Context` (what an applied op remembers), `Op` (the
engine's primitives, on arrays) and `Function` (PyTorch's API for an op of your own, on tensors).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import GraphError
from .mode import enable_grad, no_grad, recording
from .xp import Arrays

# The engine works on `tensor.Tensor`s but does not import that module (which imports this one):
# what it uses of a tensor is `array`, `grad`, `grad_fn`, `_requires_grad`, `_hooks` (a leaf's
# gradient hooks), `version` (its VersionCounter), `_version` (its value), `name` and
# `Tensor.wrap`, which makes a new tensor around an array.
Tensor = Any


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
_SHARED_FLAGS: dict[tuple[bool, ...], tuple[bool, ...]] = {}
_FLAG_PAIRS = (((False, False), (False, True)), ((True, False), (True, True)))


def needs_input_grad(parents: tuple[Tensor, ...]) -> tuple[bool, ...]:
    """Which of `parents` require grad, as one tuple object shared by every op with the same
    pattern (`(True, False)`): kept as long as the graph is, a tuple per op would be one more
    object for the garbage collector to visit. For two inputs, the most common case, the tuple
    is picked from the four there are. Past a few hundred patterns, a new tuple each time."""
    if len(parents) == 2:
        return _FLAG_PAIRS[parents[0]._requires_grad][parents[1]._requires_grad]
    flags = tuple([p._requires_grad for p in parents])
    found = _SHARED_FLAGS.get(flags)
    if found is None:
        if len(_SHARED_FLAGS) >= 512:
            return flags
        found = _SHARED_FLAGS[flags] = flags
    return found


class Context:
    """What one applied op remembers for its backward: PyTorch's `ctx`, and a node of the graph.

    `inputs` says where each input's gradient goes: the `Context` of the op that made it, or,
    for a leaf (a parameter, the data, a constant), the tensor itself. An input made by another
    op is not kept: as in PyTorch, an intermediate result lives as long as the program holds it,
    or a backward rule saved its values, and no longer. `needs_input_grad` says which inputs need
    a gradient (so a backward can skip the others), `saved_tensors` holds the arrays the backward
    rule needs, `out_shape` and `out_dtype` describe the output (the gradient arriving here has
    them). Ops may keep other small facts on it too (`ctx.dim`, `ctx.shape`). After backward,
    `release()` drops all of it, so the graph's memory is freed as soon as the output is.

    `saved_versions` notes, for every saved array that is an input's (or the output's) values,
    which one it is and its version when it was saved: `check_versions` compares them before
    backward. `hooks` are the gradient hooks of the output (`register_hook` on a non-leaf), and
    `retained` a weak reference to the output when it asked to keep its gradient (`retain_grad`).
    """

    # Fixed slots make a context cheaper to create; `__dict__` keeps room for what an op adds.
    __slots__ = (
        "__dict__",
        "hooks",
        "inputs",
        "needs_input_grad",
        "op",
        "out_dtype",
        "out_shape",
        "released",
        "retained",
        "saved_tensors",
        "saved_versions",
    )  # fmt: skip

    # a node always leads to something that requires grad (a leaf is a tensor, with its own flag)
    _requires_grad = True

    def __init__(self, op: type[Op], parents: tuple[Tensor, ...]) -> None:
        self.op = op
        self.needs_input_grad = needs_input_grad(parents)
        self.saved_tensors: tuple[Any, ...] = ()
        self.saved_versions: tuple[Any, ...] = ()
        self.released = False

    # the namespace the backward rule computes with: NumPy (`Arrays`) in a plain backward, the
    # same names on tensors while a backward is being recorded (create_graph)
    xp = Arrays

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    def link(self, parents: tuple[Tensor, ...], output: Tensor) -> None:
        """Make this op a node of the graph, once it is known to be recorded: where each
        input's gradient goes, what the output is like, and the versions of what was saved."""
        if len(parents) == 2:  # the most common case, without a loop
            a, b = parents
            self.inputs = (a.grad_fn or a, b.grad_fn or b)
        else:
            self.inputs = tuple([p.grad_fn or p for p in parents])
        self.out_shape, self.out_dtype = output.array.shape, output.array.dtype
        self.hooks = self.retained = None
        if self.saved_tensors:
            self.note_versions(parents, output)

    def note_versions(self, parents: tuple[Tensor, ...], output: Tensor) -> None:
        """For each saved array that is an input's or the output's values, four numbers in one
        flat tuple: its place among the saved values, which tensor it is (the input's position,
        or -1 for the op's own output), that tensor (an input) or its version counter (the
        output: keeping the output itself would be a reference cycle), and its version now.
        An array two inputs share (`x * x.detach()`) counts as the input at its own place. A
        shared constant (`x * 2.0`'s 2: read-only, no version counter, no grad) cannot change,
        and is not noted; a read-only view of a tensor that can change (`b.expand(...)`) is."""
        noted: list[Any] = []
        for k, array in enumerate(self.saved_tensors):
            if array is None:
                continue
            which = -2
            for i, t in enumerate(parents):
                if array is t.array and (which < 0 or i == k):
                    which = i
            if which >= 0:
                t = parents[which]
                if t._requires_grad or array.flags.writeable or t._version_counter is not None:
                    noted += (k, which, t, t._version)
            elif array is output.array:
                noted += (k, -1, output.version, output._version)
        self.saved_versions = tuple(noted)

    def check_versions(self) -> None:
        """Raise GraphError if a saved tensor was changed in place since the forward pass: the
        rule would compute the gradient from values the forward pass never saw."""
        noted = self.saved_versions
        for k in range(0, len(noted), 4):
            which, held, then = noted[k + 1], noted[k + 2], noted[k + 3]
            now = held.value if which < 0 else held._version
            if now != then:
                if which < 0:
                    what, shape, dtype = "its output", self.out_shape, self.out_dtype
                else:
                    name = f" ({held.name})" if held.name else ""
                    what = f"its input {which}{name}"
                    shape, dtype = tuple(held.shape), held.array.dtype
                raise GraphError(
                    f"backward through {self.name}: one of the tensors it saved for the "
                    f"gradient, {what} of shape {shape} ({dtype}), was changed in "
                    f"place after the forward pass: it is at version {now}, {self.name} "
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
        self.__dict__.clear()
        self.inputs = self.needs_input_grad = self.saved_tensors = self.saved_versions = ()
        self.hooks = self.retained = None
        self.released = True

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """Where the gradient goes next, one pair per input, as PyTorch's
        `grad_fn.next_functions`: the input's own `grad_fn`, an `AccumulateGrad` holding it for
        a leaf that requires grad, or None for an input that needs no gradient; the 0 says which
        output of that node (each op here has one). Empty once released."""
        return tuple((_next_node(node), 0) for node in self.inputs)

    def __repr__(self) -> str:
        """As PyTorch prints a node: `<MulBackward0 object at 0x…>`."""
        return f"<{self.torch_name} object at {hex(id(self))}>"


class AccumulateGrad:
    """The node where backward ends for a leaf that requires grad, as PyTorch shows it in
    `next_functions`: it adds the gradient into `variable.grad`. Here only for reading the
    graph (the engine accumulates in `engine.accumulate_grad`); a new one each time it is
    asked for, where PyTorch keeps one per leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _next_node(node: Any) -> Any:
    if isinstance(node, Context):
        return node
    return AccumulateGrad(node) if node.requires_grad else None


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
    # False for an op whose backward rule cannot itself be differentiated (a closed form that
    # saved computed values, for instance): backward(create_graph=True) through it is an error
    backward_is_differentiable = True

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
        out = cls.forward(ctx, *[t.array for t in inputs], **params)
        if type(out) is not np.ndarray:  # NumPy gives a scalar for a 0-d result: an array, please
            scalar, out = out, np.asarray(out)
            saved = ctx.saved_tensors
            for a in saved:  # (and the same array where the op saved it)
                if a is scalar:
                    ctx.saved_tensors = tuple([out if s is scalar else s for s in saved])
                    break
        first = inputs[0]
        view = cls.returns_view and np.may_share_memory(out, first.array)
        if not (True in ctx.needs_input_grad and recording.enabled):
            return first.wrap(out, None, first.version if view else None)
        result = first.wrap(out, ctx, first.version if view else None)
        ctx.link(inputs, result)
        return result


class FunctionCtx(Context):
    """The `ctx` a `Function` gets, as PyTorch's: `save_for_backward(*tensors)`,
    `saved_tensors`, `needs_input_grad`, `mark_non_differentiable(*outputs)`."""

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *outputs: Any) -> None:
        self.non_differentiable = {id(t) for t in outputs}

    def note_versions(self, parents: tuple[Tensor, ...], output: Tensor) -> None:
        """As `Context.note_versions`, for saved tensors: an input is known by identity, the
        output by its memory (forward returned a tensor the recorded output shares it with)."""
        noted: list[Any] = []
        for k, t in enumerate(self.saved_tensors):
            if not hasattr(t, "array"):
                continue
            which = next((i for i, p in enumerate(parents) if p is t), None)
            if which is not None:
                noted += (k, which, t, t._version)
            elif t.array is output.array:
                noted += (k, -1, output.version, output._version)
        self.saved_versions = tuple(noted)

    @property
    def name(self) -> str:
        """The Function's own name (`Exp`), in errors and traces."""
        function = self.__dict__.get("function")
        return function.__name__ if function is not None else self.op.__name__

    @property
    def torch_name(self) -> str:
        """What PyTorch prints for a Function's node: `grad_fn=<ExpBackward>`."""
        return f"{self.name}Backward"


class _Custom(Op):
    """The graph node of a `Function`: its backward calls the Function's, on tensors. In a plain
    backward, `g` is an array and the gradients go back as arrays, computed without recording;
    while a backward is recorded (create_graph), `g` is a tensor and the rule's ops are recorded
    too, so the gradients can be differentiated again."""

    @staticmethod
    def backward(ctx: FunctionCtx, g: Any) -> tuple:
        function = ctx.function
        recorded = hasattr(g, "array")
        with enable_grad() if recorded else no_grad():
            wrap = next(a for a in ctx.arguments if hasattr(a, "array")).wrap
            grads = function.backward(ctx, g if recorded else wrap(g))
        grads = grads if isinstance(grads, tuple) else (grads,)
        tensors = [i for i, a in enumerate(ctx.arguments) if hasattr(a, "array")]
        if len(grads) != len(ctx.arguments):
            raise GraphError(
                f"{function.__name__}.backward returned {len(grads)} gradients, but forward "
                f"took {len(ctx.arguments)} arguments: return one per argument (None for those "
                "without a gradient)"
            )
        if recorded:
            return tuple(grads[i] for i in tensors)
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
    central differences. Written with tensor ops, the rule can be differentiated again
    (`backward(create_graph=True)`, `gradgradcheck`): a saved input or output then carries its
    graph, as in PyTorch. (The engine's own ops are `Op`s, which work on arrays and are faster.)
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
        record = recording.enabled and any(ctx.needs_input_grad)
        if not record or id(out) in ctx.__dict__.get("non_differentiable", ()):
            return out
        # `out` stays what ctx saved (no cycle through the graph); the recorded result shares
        # its memory and version counter, so a change to either is seen at backward
        result = out.wrap(out.array, ctx, out.version)
        ctx.link(tensors, result)
        return result
