"""`Tensor`: a NumPy array that records the ops applied to it, for `backward()` to differentiate.

Every method here is thin: it checks the arguments in the user's terms, then applies a primitive
op from `ops.py` (or composes several, like `mean`). The engine itself is in `autograd.py`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import autograd, ops, printing, random
from .autograd import Context, Op, VersionCounter
from .autograd.hooks import add_hook
from .device import check_cpu, device, dtype_asked
from .dtypes import (
    DEFAULT_FLOAT,
    DIMENSIONED,
    SCALAR,
    TYPE_NAMES,
    ZERO_DIM,
    as_array,
    category,
    is_floating,
    result_dtype,
)
from .errors import DimError, DtypeError, GraphError, ShapeError
from .ops.on_tensors import Tensors

Dims = int | Sequence[int] | None


class Size(tuple):
    """A tensor's shape: a tuple of ints that prints as PyTorch's `torch.Size([3, 1])`, so that
    printed shapes read as they do in PyTorch. Compares equal to the plain tuple."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class ValuesIndices(NamedTuple):
    """What `max(dim)` returns, as PyTorch's `torch.return_types.max`: the values and the
    indices they were taken from (`MinValuesIndices` for `min(dim)`)."""

    values: Tensor
    indices: Tensor

    def __repr__(self) -> str:
        name = "min" if isinstance(self, MinValuesIndices) else "max"
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"


class MinValuesIndices(ValuesIndices):
    """What `min(dim)` returns: `torch.return_types.min`."""

    __slots__ = ()


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    Make one with `tensor(data)`, which keeps the data's dtype as `torch.tensor` does (a NumPy
    float64 array stays float64, Python floats become float32, integers int64), or with the
    creation functions (`zeros`, `randn`, ...). `Tensor(data)` is PyTorch's legacy constructor:
    like `torch.Tensor(data)` it gives the default float dtype, float32, whatever the data
    (`Tensor(2, 3)` is a 2 × 3 tensor of zeros, where PyTorch leaves the memory uninitialised).
    Beyond PyTorch, it accepts `dtype=`, `requires_grad=` and `name=` (shown in graphs).

    >>> w = tensor([[1.0, 2.0]], requires_grad=True)
    >>> loss = (w * w).sum()
    >>> loss.backward()
    >>> w.grad
    tensor([[2., 4.]])
    """

    __slots__ = (
        "__weakref__",
        "_hooks",
        "_name",
        "_requires_grad",
        "_version_counter",
        "array",
        "grad",
        "grad_fn",
        "retains_grad",
    )
    __array_ufunc__ = None  # so `array + tensor` calls Tensor.__radd__, not a NumPy loop over us
    # the names the backward rules compute with when a backward is recorded (create_graph):
    # the engine's ops, on tensors (see autograd/xp.py)
    backward_xp = Tensors

    def __init__(
        self,
        *data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if len(data) == 1 and isinstance(data[0], Size):  # Tensor(x.shape): a shape
            data = tuple(data[0])
        if len(data) == 1 and not isinstance(data[0], int | np.integer):
            (values,) = data
            values = values.array if isinstance(values, Tensor) else values
        elif all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in data):
            # Tensor(2, 3): a shape
            # (Tensor() is an empty one, of shape (0,), as in PyTorch)
            values = np.zeros(tuple(int(n) for n in data) if data else (0,))
        else:
            raise TypeError(f"Tensor(): expected data or a shape of ints, got {data!r}")
        self.array: np.ndarray = as_array(values, DEFAULT_FLOAT if dtype is None else dtype)
        self.grad: Tensor | None = None
        self._name = name
        self.grad_fn: Context | None = None  # the record of the op that made it (None: a leaf)
        self._requires_grad = False
        self.retains_grad = False  # backward fills .grad of leaves, and of these (retain_grad)
        self._hooks: dict[int, Any] | None = None  # gradient hooks (register_hook), by handle id
        self._version_counter: VersionCounter | None = None  # see `version`
        self.requires_grad = requires_grad

    @staticmethod
    def from_numpy(array: np.ndarray) -> Tensor:
        """A tensor sharing `array`'s memory (no copy), as `torch.from_numpy`; dtype kept."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"from_numpy expects a NumPy array, got {type(array).__name__}")
        category(array.dtype)  # refuses object and string arrays
        return Tensor.wrap(array)

    @staticmethod
    def wrap(
        data: Any, grad_fn: Context | None = None, version: VersionCounter | None = None
    ) -> Tensor:
        """A tensor around `data` as it is (no copy, no dtype rule): how the engine makes an op's
        output, whose record is `grad_fn` (None when not recorded), and a gradient. A view of
        another tensor's memory passes that tensor's `version` counter, to share it."""
        out = Tensor.__new__(Tensor)
        out.array = data if type(data) is np.ndarray else np.asarray(data)
        out.grad, out._name, out.grad_fn = None, None, grad_fn
        out._requires_grad, out.retains_grad = grad_fn is not None, False
        out._version_counter, out._hooks = version, None
        return out

    @property
    def version(self) -> VersionCounter:
        """The counter of this tensor's in-place changes, shared with its views. Made on first
        use: most tensors (an op's output, a constant) are never changed in place, and each
        object the graph keeps alive costs the garbage collector time."""
        if self._version_counter is None:
            self._version_counter = VersionCounter()
        return self._version_counter

    @property
    def _version(self) -> int:
        """How many times this tensor (or a view of the same memory) was changed in place, as
        PyTorch's `Tensor._version`. Writes into `.array` or through `.data` are not counted (in
        PyTorch, changes through `.data` are not either): use the in-place methods."""
        counter = self._version_counter
        return 0 if counter is None else counter.value

    # --- attributes, as in PyTorch -------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """A name for drawings and traces of the graph (`visual`), e.g. "X" or "loss"."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = value
        if self.grad_fn is not None:  # the graph keeps the node, not this tensor: tell the node
            self.grad_fn.output_name = value

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not is_floating(self.array.dtype):
            raise DtypeError(
                f"only floating-point tensors can require grad, this one is {self.array.dtype}: "
                "a gradient needs values that can change continuously. Convert it first, "
                "for example tensor(data, dtype=np.float64, requires_grad=True)."
            )
        if not value and self.grad_fn is not None:
            raise GraphError(
                "requires_grad can only be changed on leaf tensors; use .detach() to get a "
                "tensor that does not require grad"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def ndim(self) -> int:
        return self.array.ndim

    def dim(self) -> int:
        return self.array.ndim

    def size(self, dim: int | None = None) -> Size | int:
        return Size(self.array.shape) if dim is None else self.array.shape[dim]

    def numel(self) -> int:
        return self.array.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op: the ones whose `.grad` backward fills."""
        return self.grad_fn is None

    def register_hook(self, hook: Any) -> Any:
        """Call `hook(grad)` with the gradient with respect to this tensor when backward has
        it; a tensor it returns replaces the gradient from there on (see `autograd/hooks.py`).
        Returns a handle whose `remove()` takes the hook out."""
        if not self.requires_grad:
            raise GraphError("cannot register a hook on a tensor that does not require grad")
        node = self.grad_fn
        if node is not None:  # kept on the node, which the graph keeps (it may not keep us)
            if node.hooks is None:
                node.hooks = {}
            return add_hook(node.hooks, hook)
        if self._hooks is None:
            self._hooks = {}
        return add_hook(self._hooks, hook)

    def retain_grad(self) -> None:
        """Ask backward to fill `.grad` on this non-leaf tensor too, as in PyTorch."""
        if not self.requires_grad:
            raise GraphError("retain_grad() on a tensor that does not require grad")
        self.retains_grad = True
        if self.grad_fn is not None:  # the node fills .grad while this tensor lives
            self.grad_fn.retained = weakref.ref(self)

    @property
    def data(self) -> Tensor:
        """The same values as a tensor cut from the graph, as PyTorch's `.data`: it shares the
        memory, and changes through it are not seen by autograd (prefer `detach()`, whose
        changes are). Assigning `t.data = other` replaces the values (any shape)."""
        return Tensor.wrap(self.array)

    @data.setter
    def data(self, value: Any) -> None:
        self.array = value.array if isinstance(value, Tensor) else np.asarray(value)

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied). Unlike PyTorch, allowed with requires_grad."""
        return self.array

    def item(self) -> float | int | bool:
        if self.array.size != 1:
            raise ShapeError(
                f"item() needs a tensor with one element, this one has shape {tuple(self.shape)} "
                f"({self.array.size} elements)"
            )
        return self.array.item()

    def tolist(self) -> Any:
        return self.array.tolist()

    def detach(self) -> Tensor:
        """A tensor with the same data (shared, and the same version counter) that is cut from
        the graph."""
        return Tensor.wrap(self.array, None, self.version)

    def zero_(self) -> Tensor:
        """Fill with zeros in place (used on gradients: `w.grad.zero_()`)."""
        self._check_inplace("zero_")
        self.array[...] = 0
        self.version.bump()
        return self

    def _check_inplace(self, op: str) -> None:
        """Refuse an in-place change that would make a gradient silently wrong.

        As in PyTorch, a leaf that requires grad may only be changed in place under `no_grad`
        (an optimizer's update). Unlike PyTorch, which records an in-place op in the graph, a
        tensor made by a recorded op cannot be changed in place here: it is an error, not a
        gradient computed for the values before the change.
        """
        if not self._requires_grad or not autograd.is_grad_enabled():
            return
        if self.grad_fn is None:
            raise GraphError(
                f"{op}: a leaf tensor that requires grad is being used in an in-place "
                "operation; change it inside `with no_grad():` (as an optimizer does)"
            )
        raise GraphError(
            f"{op}: this tensor was made by {self.grad_fn.name}, a recorded op; changing it "
            "in place is not supported here (the graph would not know). Make a new tensor "
            "instead, or detach() it first."
        )

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if self.requires_grad and autograd.mode.recording.in_recorded_rule:
            raise GraphError(
                "a NumPy function was given a tensor that needs a gradient inside a backward "
                "rule being recorded (create_graph=True): it would return a plain array and "
                "silently cut the graph. Write the rule with ctx.xp.<name> (NumPy's names, on "
                "tensors too) or tensor methods"
            )
        if dtype is None:
            return self.array.copy() if copy else self.array
        return self.array.astype(dtype, copy=bool(copy))

    def _print_options(self) -> dict[str, Any]:
        return dict(
            requires_grad=self.requires_grad,
            grad_fn_name=None if self.grad_fn is None else self.grad_fn.torch_name,
            is_parameter=self._is_parameter,
        )

    _is_parameter = False  # nn.Parameter prints "Parameter containing:" first

    def __repr__(self) -> str:
        """As PyTorch prints it, character for character (see `printing.py`)."""
        return printing.tensor_repr(self.array, **self._print_options())

    def __format__(self, spec: str) -> str:
        """`f"{loss:.2f}"`: a 0-d tensor formats as its number, as in PyTorch."""
        return printing.format_tensor(self.array, spec, **self._print_options())

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ShapeError(
                f"the truth value of a tensor of shape {tuple(self.shape)} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    __hash__ = object.__hash__  # defining __eq__ below would otherwise remove it

    # --- backward ------------------------------------------------------------------------------
    def backward(
        self,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        inputs: Any = None,
    ) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        `gradient` is dL/d(self); it may be omitted only for a one-element tensor (it is then 1).
        Results are added to each leaf's `.grad` (zero it between steps). The graph is released
        afterwards unless `retain_graph=True`. With `create_graph=True` the backward pass is
        itself recorded: each `.grad` is then a tensor with a graph of its own, which can be
        differentiated again (and the graph is kept: `retain_graph` defaults to `create_graph`).
        With `inputs` (a tensor or a sequence of them, leaves or not), only their `.grad` is
        filled, as in PyTorch.
        """
        if not self.requires_grad:
            raise GraphError(
                "element 0 of tensors does not require grad and does not have a grad_fn: "
                "nothing it depends on has requires_grad=True"
            )
        grad = autograd.engine.root_gradient(self, gradient, create_graph, "backward")
        keep = create_graph if retain_graph is None else bool(retain_graph)
        if inputs is None:
            autograd.backward(self, grad, keep, create_graph=create_graph)
            return
        inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if not inputs:
            raise ValueError("backward: inputs= was given but is empty")
        for t in inputs:
            if not t.requires_grad:
                raise GraphError("backward: one of the inputs does not require grad")
        keys = {t: id(autograd.engine.node_of(t)) for t in inputs}  # each once, even if twice
        captured: dict[int, Any] = dict.fromkeys(keys.values())
        autograd.backward(self, grad, keep, capture=captured, create_graph=create_graph)
        for t, key in keys.items():
            if captured[key] is not None:
                autograd.accumulate_grad(t, captured[key])

    # --- binary elementwise ops ----------------------------------------------------------------
    def _operands(self, other: Any, reverse: bool = False) -> tuple[Tensor, Tensor]:
        """Both operands as tensors of the result dtype (PyTorch's promotion, see dtypes.py)."""
        if type(other) is int and not -(2**63) <= other < 2**64:
            raise OverflowError(
                f"int too big to convert: {other} is outside the 64-bit range (-2**63 to "
                "2**64 - 1) a Python int in an expression with a tensor may take, as in PyTorch"
            )
        if type(other) in (float, int) and self.array.dtype.kind == "f":  # the common cases, fast
            other = _constant(other, self.array.dtype)
            return (other, self) if reverse else (self, other)
        if type(other) is Tensor and other.array.dtype == self.array.dtype:
            return (other, self) if reverse else (self, other)
        if isinstance(other, np.ndarray | list | tuple):
            other = Tensor.wrap(as_array(other))
        if isinstance(other, Tensor):
            rank = DIMENSIONED if other.ndim else ZERO_DIM
        else:  # a Python or NumPy number: it takes the tensor's dtype when of the same category
            other = Tensor.wrap(as_array(other, np.asarray(other).dtype))
            rank = SCALAR
        own = (self.dtype, DIMENSIONED if self.ndim else ZERO_DIM)
        dtype = self.dtype if other.dtype == self.dtype else result_dtype(own, (other.dtype, rank))
        a = self if self.dtype == dtype else self.to(dtype)
        b = other if other.dtype == dtype else other.to(dtype)
        return (b, a) if reverse else (a, b)

    def _binary(self, op: type[Op], other: Any, reverse: bool = False) -> Tensor:
        a, b = self._operands(other, reverse)
        return _apply_binary(op, a, b)

    def __add__(self, other: Any) -> Tensor:
        return self._binary(ops.Add, other)

    def __radd__(self, other: Any) -> Tensor:
        return self._binary(ops.Add, other, reverse=True)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(ops.Sub, other)

    def __rsub__(self, other: Any) -> Tensor:
        return self._binary(ops.Sub, other, reverse=True)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(ops.Mul, other)

    def __rmul__(self, other: Any) -> Tensor:
        return self._binary(ops.Mul, other, reverse=True)

    def __truediv__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        if not is_floating(a.dtype):  # true division of integers gives floats, as in PyTorch
            a, b = a.float(), b.float()
        return _apply_binary(ops.Div, a, b)

    def __rtruediv__(self, other: Any) -> Tensor:
        b, a = self._operands(other)
        return a.__truediv__(b)

    def __pow__(self, other: Any) -> Tensor:
        a, b = self._operands(other)
        if b.dtype.kind in "iu" and (b.array < 0).any():
            raise DtypeError(
                "integers to negative integer powers are not allowed: convert the base to "
                "float first, for example x.float() ** -1"
            )
        return _apply_binary(ops.Pow, a, b)

    def __rpow__(self, other: Any) -> Tensor:
        b, a = self._operands(other)
        return a.__pow__(b)

    def __matmul__(self, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.dtype != self.dtype:
            raise DtypeError(
                f"matmul: expected both operands to have the same dtype, but got {self.dtype} "
                f"and {other.dtype} (PyTorch does not promote here either): convert one, e.g. "
                ".float()"
            )
        a, b = self._operands(other)
        _check_matmul(a.array.shape, b.array.shape)
        return ops.MatMul.apply(a, b)

    def __rmatmul__(self, other: Any) -> Tensor:
        b, a = self._operands(other)
        return a.__matmul__(b)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    add, sub, mul, div, pow, matmul, neg = (
        __add__,
        __sub__,
        __mul__,
        __truediv__,
        __pow__,
        __matmul__,
        __neg__,
    )

    # Comparisons give bool tensors, never recorded (they have no gradient).
    def _compare(self, other: Any, compare: Any) -> Tensor:
        """Both sides in their promoted dtype first, as PyTorch compares: `float32 <= 0.3`
        compares with 0.3 rounded to float32, not with the float64 0.3."""
        if not isinstance(other, Tensor | np.ndarray | np.generic | int | float | list | tuple):
            return NotImplemented  # so `tensor == None` is False, as in PyTorch
        a, b = self._operands(other)
        _check_broadcast(compare.__name__, a.array.shape, b.array.shape)
        return Tensor.wrap(compare(a.array, b.array), None)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, np.greater_equal)

    # Bitwise (logical, on bool) and, or, xor, not: masks combined, never recorded. As in
    # PyTorch, only bool and integer tensors have them.
    def _bitwise(self, other: Any, combine: Any, name: str) -> Tensor:
        a, b = self._operands(other)
        _check_integral(name, a.array.dtype)
        _check_broadcast(name, a.array.shape, b.array.shape)
        return Tensor.wrap(combine(a.array, b.array), None)

    def __and__(self, other: Any) -> Tensor:
        return self._bitwise(other, np.bitwise_and, "bitwise_and (&)")

    def __or__(self, other: Any) -> Tensor:
        return self._bitwise(other, np.bitwise_or, "bitwise_or (|)")

    def __xor__(self, other: Any) -> Tensor:
        return self._bitwise(other, np.bitwise_xor, "bitwise_xor (^)")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> Tensor:
        _check_integral("bitwise_not (~)", self.array.dtype)
        return Tensor.wrap(np.invert(self.array), None)

    def eq(self, other: Any) -> Tensor:
        return self.__eq__(other)

    def ne(self, other: Any) -> Tensor:
        return self.__ne__(other)

    def lt(self, other: Any) -> Tensor:
        return self.__lt__(other)

    def le(self, other: Any) -> Tensor:
        return self.__le__(other)

    def gt(self, other: Any) -> Tensor:
        return self.__gt__(other)

    def ge(self, other: Any) -> Tensor:
        return self.__ge__(other)

    # --- unary ops -----------------------------------------------------------------------------
    def _floating(self) -> Tensor:
        """This tensor, or its values in the default float dtype when it holds integers or bools,
        as PyTorch converts them before exp, log, sqrt, tanh and sigmoid."""
        return self if is_floating(self.dtype) else self.to(DEFAULT_FLOAT)

    def exp(self) -> Tensor:
        return ops.Exp.apply(self._floating())

    def log(self) -> Tensor:
        return ops.Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self._floating())

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self._floating())

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self._floating())

    def relu(self) -> Tensor:
        return ops.ReLU.apply(self)

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def clamp(self, min: float | None = None, max: float | None = None) -> Tensor:
        """Values limited to [min, max] (either may be None); gradient 1 inside, 0 outside."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        x = self
        if not is_floating(self.dtype) and any(isinstance(b, float) for b in (min, max)):
            x = self.to(DEFAULT_FLOAT)  # float bounds promote an integer tensor, as in PyTorch
        return ops.Clamp.apply(x, low=min, high=max)

    clip = clamp

    # Functions of floats: integer and bool inputs give float32, as in PyTorch.
    def sin(self) -> Tensor:
        return ops.Sin.apply(self._floating())

    def cos(self) -> Tensor:
        return ops.Cos.apply(self._floating())

    def tan(self) -> Tensor:
        return ops.Tan.apply(self._floating())

    def asin(self) -> Tensor:
        return ops.Asin.apply(self._floating())

    def acos(self) -> Tensor:
        return ops.Acos.apply(self._floating())

    def atan(self) -> Tensor:
        return ops.Atan.apply(self._floating())

    def sinh(self) -> Tensor:
        return ops.Sinh.apply(self._floating())

    def cosh(self) -> Tensor:
        return ops.Cosh.apply(self._floating())

    def exp2(self) -> Tensor:
        return ops.Exp2.apply(self._floating())

    def expm1(self) -> Tensor:
        return ops.Expm1.apply(self._floating())

    def log2(self) -> Tensor:
        return ops.Log2.apply(self._floating())

    def log10(self) -> Tensor:
        return ops.Log10.apply(self._floating())

    def log1p(self) -> Tensor:
        return ops.Log1p.apply(self._floating())

    def erf(self) -> Tensor:
        return ops.Erf.apply(self._floating())

    def rsqrt(self) -> Tensor:
        return ops.Rsqrt.apply(self._floating())

    def reciprocal(self) -> Tensor:
        return ops.Reciprocal.apply(self._floating())

    def square(self) -> Tensor:
        """x², composed as `x ** 2` (so it prints PowBackward0, as PyTorch's does); integers
        stay integers (bool gives int64), as in PyTorch."""
        return self**2

    # Step functions: gradient 0. Integer inputs keep their dtype, as in PyTorch.
    def sign(self) -> Tensor:
        """−1, 0 or 1 by the sign of each element (bool stays bool); gradient 0."""
        return ops.Sign.apply(self)

    def floor(self) -> Tensor:
        return self._step(ops.Floor, "floor")

    def ceil(self) -> Tensor:
        return self._step(ops.Ceil, "ceil")

    def trunc(self) -> Tensor:
        return self._step(ops.Trunc, "trunc")

    def round(self, *, decimals: int | None = None) -> Tensor:
        """Rounded to `decimals` places (0 when not given), halves to even as PyTorch; gradient 0.
        Integers are returned as they are, without `decimals` (PyTorch refuses them with it)."""
        if decimals is not None and not is_floating(self.dtype):
            raise DtypeError(f"round(decimals=...) needs a floating-point tensor, got {self.dtype}")
        return self._step(ops.Round, "round", decimals=decimals)

    def _step(self, op: type[Op], name: str, **params: Any) -> Tensor:
        if self.dtype == np.bool_:
            raise DtypeError(f"{name} is not implemented for bool tensors (nor in PyTorch)")
        if not is_floating(self.dtype):  # an integer is its own floor, ceil, trunc and round
            return Tensor.wrap(self.array.copy())
        return op.apply(self, **params)

    def maximum(self, other: Any) -> Tensor:
        """The elementwise maximum; ties split the gradient, as in PyTorch."""
        return self._binary(ops.Maximum, other)

    def minimum(self, other: Any) -> Tensor:
        """The elementwise minimum; ties split the gradient, as in PyTorch."""
        return self._binary(ops.Minimum, other)

    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow back to this tensor, as in PyTorch."""
        return ops.Clone.apply(self)

    def softmax(self, dim: int) -> Tensor:
        """exp(x − m) / Σ exp(x − m) along `dim`, m the (detached) max: see `functional.softmax`."""
        e = self._shifted(dim).exp()
        return autograd.labelled(e / e.sum(dim=dim, keepdim=True), "SoftmaxBackward0")

    def log_softmax(self, dim: int) -> Tensor:
        """(x − m) − log Σ exp(x − m) along `dim`: see `functional.log_softmax`."""
        shifted = self._shifted(dim)
        out = shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
        return autograd.labelled(out, "LogSoftmaxBackward0")

    def _shifted(self, dim: int) -> Tensor:
        """x − max(x) along `dim`: it changes nothing mathematically (it cancels) but keeps exp
        from overflowing. The max is taken of the detached values, so it is not recorded (its
        gradient would be exactly zero) and keeps nothing for a backward. An empty tensor has
        no max and nothing to shift (PyTorch returns an empty result)."""
        x = self._floating()
        if x.numel() == 0:
            return x
        return x - x.detach().amax(dim=dim, keepdim=True)

    # --- dtype conversions ---------------------------------------------------------------------
    def to(
        self,
        *args: Any,
        device: Any = None,
        dtype: Any = None,
        non_blocking: bool = False,
        copy: bool = False,
    ) -> Tensor:
        """This tensor converted to `dtype` (or to another tensor's dtype): itself when nothing
        changes, unless `copy`. A device ("cpu") is accepted and changes nothing: tinygrad_lr
        runs on the CPU only.

        To a floating dtype the conversion is recorded, so gradients flow back in the old dtype.
        To an integer or bool dtype it is not differentiable: the result needs no grad, as in
        PyTorch.
        """
        args = tuple(arg.dtype if isinstance(arg, Tensor) else arg for arg in args)
        dtype = dtype_asked(args, device, dtype, "to")
        dtype = self.dtype if dtype is None else np.dtype(dtype)
        if dtype == self.dtype:
            return self.clone() if copy else self
        if not is_floating(dtype):
            return Tensor.wrap(self.array.astype(dtype))
        return ops.Cast.apply(self, dtype=dtype)

    def type(self, dtype: Any = None) -> Any:
        """With no argument, PyTorch's name for this tensor's type ("torch.FloatTensor");
        otherwise this tensor in `dtype`: a dtype, such a name, or a legacy constructor
        (`tensor.type(torch.FloatTensor)`)."""
        if dtype is None:
            return TYPE_NAMES[self.dtype]
        if isinstance(dtype, str):
            if dtype not in _TYPES_BY_NAME:
                raise ValueError(f"invalid type: {dtype!r}")
            return self.to(_TYPES_BY_NAME[dtype])
        if isinstance(dtype, type) and issubclass(dtype, Tensor):
            return self.to(DEFAULT_FLOAT)  # torch.Tensor is the float32 type
        legacy = getattr(dtype, "dtype", None)  # torch.FloatTensor.dtype is torch.float32
        if isinstance(legacy, np.dtype):
            dtype = legacy
        if any(dtype is python for python in (int, float, bool, complex)) or (
            np.dtype(dtype) not in TYPE_NAMES
        ):
            raise ValueError(f"invalid type: {getattr(dtype, '__name__', dtype)!r}")
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def int(self) -> Tensor:
        return self.to(np.int32)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def cpu(self) -> Tensor:
        """This tensor: tinygrad_lr runs on the CPU only."""
        return self

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def device(self) -> device:
        """Where this tensor lives: always the CPU."""
        return device("cpu")

    # --- reductions ----------------------------------------------------------------------------
    def sum(self, dim: Dims = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        """Sum over `dim` (an int, a sequence of ints, or None for all dims). Integers and bools
        are summed as int64, as in PyTorch."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and not is_floating(x.dtype):
            x = x.to(np.int64)
        return ops.Sum.apply(x, axes=x._dims(dim, "sum"), keepdim=keepdim)

    def mean(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Mean over `dim`: the sum divided by the number of elements summed. Floating tensors
        only, as in PyTorch (`.float().mean()` for integers)."""
        if not is_floating(self.dtype):
            raise DtypeError(
                f"mean(): the input must be a floating-point tensor, this one is {self.dtype}; "
                "convert it first, e.g. x.float().mean()"
            )
        axes = self._dims(dim, "mean")
        count = int(np.prod([self.shape[a] for a in axes]))
        name = "MeanBackward0" if dim is None else "MeanBackward1"
        return autograd.labelled(self.sum(axes, keepdim) / count, name)

    def var(
        self,
        dim: Dims = None,
        keepdim: bool = False,
        *,
        correction: float = 1,
        unbiased: bool | None = None,
    ) -> Tensor:
        """Σ (x − mean)² / (n − correction) over `dim`; correction 1 (Bessel's) by default, as in
        PyTorch; `unbiased=False` is correction 0. Composed of ops: autograd derives it."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        axes = self._dims(dim, "var")
        count = int(np.prod([self.shape[a] for a in axes]))
        centred = self - self.mean(axes, keepdim=True)
        return (centred * centred).sum(axes, keepdim) / max(count - correction, 0)

    def std(
        self,
        dim: Dims = None,
        keepdim: bool = False,
        *,
        correction: float = 1,
        unbiased: bool | None = None,
    ) -> Tensor:
        """√var: see `var`."""
        return self.var(dim, keepdim, correction=correction, unbiased=unbiased).sqrt()

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Product over one dim (or all); integers give int64, as in PyTorch."""
        x = self if is_floating(self.dtype) else self.to(np.int64)
        axis = None if dim is None else x._dim(dim, "prod")
        return ops.Prod.apply(x, axis=axis, keepdim=keepdim)

    def cumsum(self, dim: int, dtype: Any = None) -> Tensor:
        """Running sums along `dim`: z_i = x_0 + … + x_i. Integers and bools give int64, as in
        PyTorch, unless `dtype` is given (the input is converted to it first)."""
        x = self if dtype is None else self.to(dtype)
        if dtype is None and not is_floating(x.dtype):
            x = x.to(np.int64)
        if x.dtype == np.bool_:
            raise DtypeError("cumsum: dtype=bool is not supported (nor in PyTorch)")
        return ops.Cumsum.apply(x, dim=x._dim(dim, "cumsum"))

    def trace(self) -> Tensor:
        """The sum of the diagonal of a matrix (2-D only, as PyTorch); integers give int64."""
        if self.ndim != 2:
            raise ShapeError(f"trace: expected a matrix, but got a tensor with {self.ndim} dims")
        if self.dtype == np.bool_:
            raise DtypeError("trace is not implemented for bool tensors (nor in PyTorch)")
        x = self if is_floating(self.dtype) else self.to(np.int64)
        return ops.Trace.apply(x)

    def _reduce_extreme(self, op: type[Op], name: str, dim: Dims, keepdim: bool) -> Tensor:
        axes = self._dims(dim, name)
        if self.array.size == 0 and (dim is None or any(self.shape[a] == 0 for a in axes)):
            raise DimError(
                f"{name}() over a dim of size 0 (tensor of shape {tuple(self.shape)}) has no "
                "value: "
                "reduce over a dim that is not empty, as PyTorch requires too"
            )
        return op.apply(self, axes=axes, keepdim=keepdim)

    def amax(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Largest value over `dim` (one dim, several, or all); ties share the gradient evenly."""
        return self._reduce_extreme(ops.Max, "amax", dim, keepdim)

    def amin(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Smallest value over `dim`; ties share the gradient evenly."""
        return self._reduce_extreme(ops.Min, "amin", dim, keepdim)

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """As PyTorch's `max`: the largest value of all (`x.max()`, ties share the gradient);
        `(values, indices)` along one dim (`x.max(dim=1)`: the gradient goes to the index
        returned, the first largest); or the elementwise maximum with another tensor."""
        return self._extreme(dim, keepdim, "max")

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """As PyTorch's `min`: see `max`."""
        return self._extreme(dim, keepdim, "min")

    def _extreme(self, dim: Any, keepdim: bool, name: str) -> Any:
        if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
            return self._binary(ops.Maximum if name == "max" else ops.Minimum, dim)
        if dim is None:
            return self.amax() if name == "max" else self.amin()
        if not isinstance(dim, int | np.integer):
            raise TypeError(f"{name}(dim): dim must be an int, got {type(dim).__name__}")
        if self.ndim == 0:  # a 0-d tensor is its own max along dim 0 (or -1), at index 0
            self._dim(dim, name)
            return ValuesIndices(self.clone(), Tensor.wrap(np.asarray(0, dtype=np.int64)))
        indices = self.argmax(dim, keepdim=True) if name == "max" else self.argmin(dim, True)
        values = self.gather(dim, indices)
        if not keepdim:
            values, indices = values.squeeze(dim), indices.squeeze(dim)
        result = ValuesIndices if name == "max" else MinValuesIndices
        return result(values, indices)

    def all(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Whether every element is nonzero (along `dim`), a bool tensor, as `torch.all`."""
        return self._test("all", np.all, dim, keepdim)

    def any(self, dim: Dims = None, keepdim: bool = False) -> Tensor:
        """Whether some element is nonzero (along `dim`), a bool tensor, as `torch.any`."""
        return self._test("any", np.any, dim, keepdim)

    def _test(self, name: str, test: Any, dim: Dims, keepdim: bool) -> Tensor:
        """`all` or `any` over `dim` (None or several dims: all of them); bool, but uint8 for a
        uint8 tensor, as in PyTorch."""
        if isinstance(dim, bool | float):
            raise TypeError(f"{name}: dim must be an int or a sequence of ints, got {dim!r}")
        axes = self._dims(dim, name)
        result = np.asarray(test(self.array != 0, axis=axes, keepdims=keepdim))
        return Tensor.wrap(result.astype(np.uint8) if self.dtype == np.uint8 else result)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the (first) largest value along `dim`, of the flattened tensor when None."""
        return self._arg_extreme(dim, keepdim, "argmax")

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the (first) smallest value along `dim`, of the flattened tensor when None."""
        return self._arg_extreme(dim, keepdim, "argmin")

    def _arg_extreme(self, dim: int | None, keepdim: bool, name: str) -> Tensor:
        find = np.argmax if name == "argmax" else np.argmin
        if dim is None or self.ndim == 0:
            self._dims(dim, name)
            if self.array.size == 0:
                raise DimError(
                    f"{name}() of an empty tensor (shape {tuple(self.shape)}) has no index"
                )
            index = np.asarray(find(self.array), dtype=np.int64)
            return Tensor.wrap(index.reshape((1,) * self.ndim) if keepdim else index)
        axis = self._dim(dim, name)
        if self.shape[axis] == 0:
            raise DimError(
                f"{name}: dim {dim} of a tensor of shape {tuple(self.shape)} is empty, so it "
                "has no "
                "extreme value"
            )
        return Tensor.wrap(find(self.array, axis=axis, keepdims=keepdim).astype(np.int64))

    def gather(self, dim: int, index: Any) -> Tensor:
        """out[i][j] = self[i][index[i][j]] along `dim` (for dim 1), as `torch.gather`."""
        axis = self._dim(dim, "gather")
        index = np.asarray(index.array if isinstance(index, Tensor) else index)
        if index.dtype.kind not in "iu" or index.ndim != self.ndim:
            raise IndexError(
                f"gather: index must be an integer tensor with {self.ndim} dims, got "
                f"{index.dtype} with {index.ndim}"
            )
        return ops.Gather.apply(self, index=index, dim=axis)

    def _dims(self, dim: Dims, op: str) -> tuple[int, ...]:
        """`dim` as a tuple of non-negative axes; None or an empty sequence mean all dims."""
        if dim is None:
            return tuple(range(self.ndim))
        dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
        if not dims:
            return tuple(range(self.ndim))
        axes = [self._dim(d, op) for d in dims]
        if len(set(axes)) < len(axes):
            repeated = next(a for a in axes if axes.count(a) > 1)
            raise DimError(
                f"{op}: dim {repeated} appears multiple times in dims {dims} "
                f"(tensor of shape {tuple(self.shape)})"
            )
        return tuple(sorted(axes)) if self.ndim else ()

    def _dim(self, dim: int, op: str, extra: int = 0) -> int:
        """`dim` as a non-negative axis; as in PyTorch, a 0-d tensor accepts dim 0 and -1."""
        n = self.ndim + extra
        low, high = (-n, n - 1) if n else (-1, 0)
        if not low <= dim <= high:
            raise DimError(
                f"{op}: dim {dim} is out of range for a tensor of shape {tuple(self.shape)} "
                f"(expected a dim in [{low}, {high}])"
            )
        return int(dim) % n if n else 0

    # --- movement ------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape; one dim may be -1 (inferred)."""
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = tuple(shape[0])
        shape = tuple(int(s) for s in shape)
        try:
            np.empty(self.shape, dtype=bool).reshape(shape)
        except ValueError:
            raise ShapeError(
                f"reshape: cannot reshape a tensor of shape {tuple(self.shape)} ({self.array.size} "
                f"elements) into shape {shape}"
            ) from None
        return ops.Reshape.apply(self, shape=shape)

    def view(self, *shape: Any) -> Tensor:
        """The same elements in a new shape, sharing memory: as in PyTorch, an error where that
        is impossible without a copy (after a transpose or permute, say); `reshape` copies."""
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = tuple(shape[0])
        try:
            out = self.reshape(*shape)
        except ShapeError as error:
            raise ShapeError(str(error).replace("reshape:", "view:", 1)) from None
        if not np.shares_memory(out.array, self.array) and self.array.size:
            raise ShapeError(
                f"view: a tensor of shape {tuple(self.shape)} with these strides cannot be "
                "viewed as "
                f"{tuple(shape)} without copying its memory (it is not contiguous, e.g. after a "
                "transpose): use .reshape(...) instead, as PyTorch advises"
            )
        return out

    def expand(self, *sizes: Any) -> Tensor:
        """Size-1 dims repeated (and dims added in front) without copying; -1 keeps a size."""
        if len(sizes) == 1 and not isinstance(sizes[0], int | np.integer):
            sizes = tuple(sizes[0])
        extra = len(sizes) - self.ndim
        if extra < 0:
            raise ShapeError(
                f"expand: the number of sizes ({len(sizes)}) must be at least the number of "
                f"dims ({self.ndim})"
            )
        shape = tuple(
            self.shape[i - extra] if n == -1 and i >= extra else int(n) for i, n in enumerate(sizes)
        )
        for i, n in enumerate(self.shape):
            if n != 1 and n != shape[i + extra]:
                raise ShapeError(
                    f"expand: the size of dim {i} ({n}) must match the new size "
                    f"({shape[i + extra]}) or be 1; tensor of shape {tuple(self.shape)}, sizes "
                    f"{sizes}"
                )
        return self if shape == self.shape else ops.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def repeat(self, *repeats: Any) -> Tensor:
        """The tensor tiled `repeats` times along each dim (copies), as PyTorch's `repeat`."""
        if len(repeats) == 1 and not isinstance(repeats[0], int | np.integer):
            repeats = tuple(repeats[0])
        if len(repeats) < self.ndim:
            raise ShapeError(
                f"repeat: the number of repeats ({len(repeats)}) can not be smaller than the "
                f"number of dims ({self.ndim})"
            )
        return ops.Repeat.apply(self, repeats=tuple(int(r) for r in repeats))

    def permute(self, *dims: Any) -> Tensor:
        """The dims reordered: result dim i is this tensor's dim `dims[i]`."""
        if len(dims) == 1 and not isinstance(dims[0], int | np.integer):
            dims = tuple(dims[0])
        axes = tuple(self._dim(d, "permute") for d in dims)
        if sorted(axes) != list(range(self.ndim)):
            raise ShapeError(
                f"permute: {tuple(dims)} is not an ordering of the {self.ndim} dims of a tensor "
                f"of shape {tuple(self.shape)}"
            )
        return ops.Permute.apply(self, dims=axes)

    def flip(self, *dims: Any) -> Tensor:
        """The elements in reverse order along each dim in `dims` (a copy, as in PyTorch):
        `flip(0)`, `flip(0, 1)` or `flip([0, 1])`."""
        if len(dims) == 1 and not isinstance(dims[0], int | np.integer):
            dims = tuple(dims[0])
        axes = tuple(self._dim(d, "flip") for d in dims) if self.ndim else ()
        if len(set(axes)) < len(axes):
            raise DimError(f"flip: a dim appears multiple times in dims {tuple(dims)}")
        return ops.Flip.apply(self, dims=axes)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two dims, as `torch.transpose(x, dim0, dim1)`."""
        if self.ndim < 2:
            self._dim(dim0, "transpose"), self._dim(dim1, "transpose")
            return self
        dims = list(range(self.ndim))
        a, b = self._dim(dim0, "transpose"), self._dim(dim1, "transpose")
        dims[a], dims[b] = dims[b], dims[a]
        return self.permute(dims)

    def t(self) -> Tensor:
        """The transpose of a matrix (a tensor of 0 or 1 dims is itself), as `torch.t`."""
        if self.ndim > 2:
            raise ShapeError(
                f"t() expects a tensor with <= 2 dimensions, but this one has shape "
                f"{tuple(self.shape)}: use transpose(dim0, dim1)"
            )
        return self.permute(tuple(reversed(range(self.ndim))))  # a view, even of a vector

    def contiguous(self) -> Tensor:
        """This tensor if its elements lie in row order in memory, else a copy that does (after
        a transpose, say), through which gradients flow back, as in PyTorch."""
        return self if self.array.flags.c_contiguous else self.clone()

    def is_contiguous(self) -> bool:
        return bool(self.array.flags.c_contiguous)

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        """The slices at positions `index` (a 1-d integer tensor; repeats allowed) along `dim`,
        as `torch.index_select`; the gradient adds back into the positions picked."""
        if not isinstance(index, Tensor):
            raise TypeError(f"index_select: index must be a tensor, not {type(index).__name__}")
        if index.ndim > 1:
            raise DimError(f"index_select: index must be a vector, got shape {tuple(index.shape)}")
        if index.dtype not in (np.int32, np.int64):
            raise DtypeError(f"index_select: index must be int32 or int64, got {index.dtype}")
        if self.ndim == 0:  # a number: index 0 only, once
            self._dim(dim, "index_select")
            if index.numel() != 1 or int(index.array.reshape(-1)[0]) != 0:
                raise DimError(f"index_select: a 0-d tensor takes the index [0], got {index}")
            return self.clone()
        axis = self._dim(dim, "index_select")
        positions = index.array.reshape(-1)
        size = self.shape[axis]
        if positions.size and (positions.min() < 0 or positions.max() >= size):
            raise DimError(
                f"index_select: indices must be in 0 … {size - 1} along dim {dim}, got "
                f"{positions.tolist()}"
            )
        return self[(slice(None),) * axis + (positions,)]

    @property
    def T(self) -> Tensor:  # noqa: N802 - named as in PyTorch
        """All dims reversed (for a matrix, its transpose)."""
        return self if self.ndim < 2 else self.permute(tuple(reversed(range(self.ndim))))

    def unsqueeze(self, dim: int) -> Tensor:
        """A size-1 dim inserted at `dim`."""
        axis = self._dim(dim, "unsqueeze", extra=1)
        return self.reshape((*self.shape[:axis], 1, *self.shape[axis:]))

    def squeeze(self, dim: Dims = None) -> Tensor:
        """Size-1 dims removed: all of them, or those in `dim` (others are left as they are)."""
        if dim is None:
            axes = range(self.ndim)
        else:  # unlike in a reduction, an empty `dim` here means no dim at all
            dims = (dim,) if isinstance(dim, int | np.integer) else tuple(dim)
            axes = [self._dim(d, "squeeze") for d in dims]
        drop = {a for a in axes if self.ndim and self.shape[a] == 1}
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in drop))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        start, end = self._dim(start_dim, "flatten"), self._dim(end_dim, "flatten")
        return self.reshape((*self.shape[:start], -1, *self.shape[end + 1 :]))

    # --- indexing ------------------------------------------------------------------------------
    def __getitem__(self, index: Any) -> Tensor:
        """Indexing as in PyTorch: ints, slices, None, Ellipsis, integer or bool arrays/tensors.

        Integer arrays gather (`logp[np.arange(n), target]`); their gradient scatters back and
        adds up where an index repeats. Where ints and arrays are mixed, PyTorch applies the
        ints first, as plain selections, so `x[0, :, [0, 1]]` has shape (3, 2) for x of shape
        (2, 3, 4); NumPy would give (2, 3). The two steps are two recorded `Index` ops.
        """
        index = _as_index(index)
        try:
            first, rest = _split_index(index)
            x = self if first is None else ops.Index.apply(self, index=first)
            return ops.Index.apply(x, index=rest)
        except IndexError as error:
            raise IndexError(f"indexing a tensor of shape {tuple(self.shape)}: {error}") from None

    def __setitem__(self, index: Any, value: Any) -> None:
        """`x[index] = value`, in place (see `add_` for the rules on tensors that need grad)."""
        self._check_inplace("setitem")
        _refuse_recorded_source("setitem", value)
        index = _as_index(index)
        first, rest = _split_index(index)
        target = self.array if first is None else self.array[first]
        target[rest] = value.array if isinstance(value, Tensor) else value
        self.version.bump()

    # --- in place ------------------------------------------------------------------------------
    def _inplace(self, name: str, other: Any, combine: Any) -> Tensor:
        """self = combine(self, other), written into this tensor's memory, its version bumped.

        As in PyTorch, only under `no_grad` for a leaf that requires grad (an optimizer's
        update), and the result must keep this tensor's dtype category (an int tensor cannot
        take a float result).
        """
        self._check_inplace(name)
        _refuse_recorded_source(name, other)
        values = other.array if isinstance(other, Tensor) else other
        dtype = result_type(self, other)
        if category(dtype) > category(self.dtype):
            raise DtypeError(
                f"{name}: result type {dtype} can't be cast to the desired output type {self.dtype}"
            )
        try:
            result = np.broadcast_to(combine(self.array, values), self.shape)
        except ValueError:
            raise ShapeError(
                f"{name}: the result of shape {np.broadcast_shapes(self.shape, np.shape(values))}"
                f" does not fit this tensor's shape {tuple(self.shape)}"
            ) from None
        self.array[...] = result
        self.version.bump()
        return self

    def add_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("add_", other, lambda a, b: a + alpha * np.asarray(b))

    def sub_(self, other: Any, alpha: float = 1) -> Tensor:
        return self._inplace("sub_", other, lambda a, b: a - alpha * np.asarray(b))

    def mul_(self, other: Any) -> Tensor:
        return self._inplace("mul_", other, np.multiply)

    def div_(self, other: Any) -> Tensor:
        if not is_floating(self.dtype):
            raise DtypeError(f"div_: true division of {self.dtype} gives floats; use .float()")
        return self._inplace("div_", other, np.true_divide)

    def fill_(self, value: Any) -> Tensor:
        return self._inplace("fill_", value, lambda a, b: np.broadcast_to(b, a.shape))

    def copy_(self, src: Any) -> Tensor:
        """The values of `src` (broadcast to this shape) copied in, in this tensor's dtype."""
        self._check_inplace("copy_")
        _refuse_recorded_source("copy_", src)
        values = src.array if isinstance(src, Tensor) else np.asarray(src)
        self.array[...] = np.broadcast_to(values, self.shape)
        self.version.bump()
        return self

    def clamp_(self, min: float | None = None, max: float | None = None) -> Tensor:
        return self._inplace("clamp_", 0, lambda a, _: np.clip(a, min, max))

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
        """Fill with uniform values in [a, b), PyTorch's numbers after `manual_seed`."""
        return self._fill_random(
            "uniform_", lambda shape: random.uniform(shape, a, b, self.dtype, generator)
        )

    def random_(self, *bounds: int, generator: Any = None) -> Tensor:
        """Fill with integers drawn uniformly from [from, to): `random_(to)` or
        `random_(from, to)`, or with no bounds over every integer the dtype holds (see
        `random.random_full`), PyTorch's numbers after `manual_seed`."""
        if not bounds:
            return self._fill_random(
                "random_", lambda shape: random.random_full(shape, self.dtype, generator)
            )
        if len(bounds) == 1:
            low, high = 0, bounds[0]
        elif len(bounds) == 2:
            low, high = bounds
        else:
            raise TypeError("random_(to) or random_(from, to): give the bounds")
        return self._fill_random(
            "random_", lambda shape: random.randint(low, high, shape, self.dtype, generator)
        )

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
        """Fill with normal values, PyTorch's numbers after `manual_seed`."""
        contiguous = self.array.flags.c_contiguous
        return self._fill_random(
            "normal_",
            lambda shape: random.normal(shape, mean, std, self.dtype, generator, contiguous),
        )

    def bernoulli_(self, p: Any = 0.5, generator: Any = None) -> Tensor:
        """Fill with 1 (probability p) or 0, PyTorch's numbers after `manual_seed`: p a number
        (the path dropout takes), or a float tensor of probabilities, one per element (it is
        broadcast to this tensor's shape)."""
        if not isinstance(p, Tensor):
            return self._fill_random(
                "bernoulli_", lambda shape: random.bernoulli(shape, p, self.dtype, generator)
            )
        order = _memory_order(self.array)
        probabilities = np.broadcast_to(p.array, self.shape).transpose(order)
        return self._fill_random(
            "bernoulli_",
            lambda _: random.bernoulli_probabilities(probabilities, generator).astype(self.dtype),
        )

    def bernoulli(self, p: float | None = None, *, generator: Any = None) -> Tensor:
        """1 with probability self (a float tensor of probabilities), else 0: `torch.bernoulli`;
        with a number p, 1 with probability p in this tensor's shape and dtype. Not recorded:
        the draw has no gradient (PyTorch records it with a zero one)."""
        if p is not None:
            return Tensor.wrap(np.zeros_like(self.array)).bernoulli_(p, generator=generator)
        return Tensor.wrap(random.bernoulli_probabilities(self.array, generator))

    def _fill_random(self, name: str, draw: Callable[[tuple[int, ...]], np.ndarray]) -> Tensor:
        """Fill in place with `draw(shape)`, the numbers laid down in the order of this tensor's
        memory, as PyTorch's kernels walk it: a transposed view is filled column by column."""
        order = _memory_order(self.array)
        values = draw(tuple(self.shape[d] for d in order))
        return self._inplace(name, np.transpose(values, np.argsort(order)), lambda _, v: v)


_TYPES_BY_NAME = {name: dtype for dtype, name in TYPE_NAMES.items()}


def _memory_order(array: np.ndarray) -> list[int]:
    """The array's dims from outermost to innermost in memory (largest stride first)."""
    return sorted(range(array.ndim), key=lambda d: -abs(array.strides[d]))


def tensor(
    data: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    name: str | None = None,
    *,
    device: Any = None,
) -> Tensor:
    """A new tensor holding a copy of `data`, as `torch.tensor`: NumPy arrays keep their dtype,
    Python floats (and lists of them) become float32, Python ints int64, bools bool."""
    if device is not None:
        check_cpu(device)
    if isinstance(data, Tensor):
        data = data.array
    out = Tensor.wrap(as_array(data, dtype))
    out.name = name
    out.requires_grad = requires_grad
    return out


def result_type(a: Any, b: Any) -> np.dtype:
    """The dtype of a binary op on `a` and `b` (tensors or numbers), as `torch.result_type`."""
    first = a if isinstance(a, Tensor) else tensor(a)
    return first._operands(b)[0].dtype


def clear_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Set each tensor's `.grad` to None, or fill it with zeros: `zero_grad` of modules and
    optimizers."""
    for p in params:
        if set_to_none or p.grad is None:
            p.grad = None
        else:
            p.grad.zero_()


def _refuse_recorded_source(op: str, value: Any) -> None:
    """PyTorch records `h[0] = w * 2` (h joins the graph); this engine does not record in-place
    ops, so a value that needs a gradient written in place would silently lose it: refused."""
    if isinstance(value, Tensor) and value.requires_grad and autograd.is_grad_enabled():
        raise GraphError(
            f"{op}: the value written in place requires grad, and in-place writes are not "
            "recorded here, so its gradient would be lost; build the result with cat, stack or "
            "where instead, or write value.detach() if no gradient should flow"
        )


def _split_index(index: Any) -> tuple[Any, Any]:
    """PyTorch's order: (ints applied first, the rest), or (None, index) when that order makes
    no difference (no ints, or no integer/bool arrays to be moved by NumPy's rule)."""
    entries = index if isinstance(index, tuple) else (index,)
    ints = [isinstance(e, int | np.integer) and not isinstance(e, bool) for e in entries]
    arrays = [isinstance(e, np.ndarray) and e.ndim > 0 for e in entries]
    if not any(ints) or not any(arrays):
        return None, index
    first = tuple(
        e if is_int else (Ellipsis if e is Ellipsis else slice(None))
        for e, is_int in zip(entries, ints)
        if e is not None
    )
    rest = tuple(e for e, is_int in zip(entries, ints) if not is_int)
    return first, rest


def _as_index(index: Any) -> Any:
    """Tensors and lists inside an index become NumPy arrays; integer or bool only."""
    if isinstance(index, tuple):
        return tuple(_as_index(i) for i in index)
    if isinstance(index, slice) and index.step is not None and index.step <= 0:
        raise ValueError("step must be greater than zero (PyTorch has no negative slice steps)")
    if isinstance(index, Tensor):
        index = index.array
        if index.ndim == 0 and index.dtype.kind in "iu":  # a 0-d index tensor acts as an int
            return int(index)
    elif isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "iub":
        raise IndexError(
            f"tensors used as indices must hold integers or bools, this one holds {index.dtype}"
        )
    return index


_CONSTANTS: dict[tuple, Tensor] = {}


def _constant(number: float | int, dtype: np.dtype) -> Tensor:
    """A Python number in an expression with a float tensor, as a 0-d tensor of its dtype.

    Equal numbers of one dtype share one read-only tensor: a loop of `y = y * 1.0001` keeps one
    constant alive with its graph, not one per op (each object a graph keeps is one more for
    the garbage collector to visit). -0.0 and 0.0 are equal in Python but not as factors, so a
    zero's sign is part of the key. At most a few hundred are kept; past that, a new one each
    time.
    """
    key = (number, dtype) if number else (number, dtype, str(number))
    found = _CONSTANTS.get(key)
    if found is None:
        array = np.asarray(number, dtype=dtype)
        array.flags.writeable = False
        found = Tensor.wrap(array, None)
        if len(_CONSTANTS) < 512 and number == number:  # (a NaN would never be found again)
            _CONSTANTS[key] = found
    return found


def _apply_binary(op: type[Op], a: Tensor, b: Tensor) -> Tensor:
    """`op` on two tensors already of the result dtype; a broadcasting error names both shapes."""
    try:
        return op.apply(a, b)
    except ValueError as error:
        if isinstance(error, ShapeError):
            raise
        _check_broadcast(op.__name__, a.array.shape, b.array.shape)
        raise


def _check_integral(op: str, dtype: np.dtype) -> None:
    """Bitwise ops are for bool and integer tensors only, as in PyTorch."""
    if dtype.kind not in "biu":
        raise DtypeError(
            f"{op} is defined for bool and integer tensors only, got {dtype} (as in PyTorch)"
        )


def _check_broadcast(op: str, a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """Raise a ShapeError that names both shapes when they cannot broadcast together."""
    for i, (m, n) in enumerate(zip(reversed(a), reversed(b))):
        if m != n and 1 not in (m, n):
            raise ShapeError(
                f"{op}: shapes {a} and {b} cannot be broadcast together: their dim {-i - 1} is "
                f"{m} in one and {n} in the other (sizes must be equal, or one of them 1)"
            )


def _check_matmul(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    """Raise a ShapeError that names both shapes when `a @ b` is not defined."""
    if not a or not b:
        raise ShapeError(f"matmul: both operands need at least 1 dim, got shapes {a} and {b}")
    inner_b = b[0] if len(b) == 1 else b[-2]
    if a[-1] != inner_b:
        raise ShapeError(
            f"matmul: shapes {a} and {b} cannot be multiplied: the last dim of the first "
            f"({a[-1]}) must equal the {'only' if len(b) == 1 else 'second-to-last'} dim of the "
            f"second ({inner_b})"
        )
    try:
        if len(a) > 2 and len(b) > 2:  # batch dims on both sides: they must broadcast
            np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise ShapeError(
            f"matmul: shapes {a} and {b} cannot be multiplied: their batch dims {a[:-2]} and "
            f"{b[:-2]} do not broadcast"
        ) from None
