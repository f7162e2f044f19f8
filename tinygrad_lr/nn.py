"""Modules: `Parameter`, `Module`, `Linear`, `CrossEntropyLoss`, named and shaped as in PyTorch."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from . import functional as F
from .dtypes import to_numpy
from .errors import ShapeError, StateDictError
from .tensor import Tensor, clear_grads, tensor

_default_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed the generator that initialises new layers' weights (like `torch.manual_seed`)."""
    global _default_generator
    _default_generator = np.random.default_rng(seed)


class Parameter(Tensor):
    """A tensor that is a model's weight: requires grad, and `Module` finds it automatically."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        values = tensor(data)  # the data's own dtype, as torch.nn.Parameter keeps its tensor's
        super().__init__(values, dtype=values.dtype, requires_grad=requires_grad, name=name)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def _set_names(self, name: str) -> None:
        self.name = name


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of models. Parameters are found among the attributes: `Parameter`s, other
    `Module`s, and lists or tuples of either, in the order they were assigned."""

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __setattr__(self, name: str, value: Any) -> None:
        # Name parameters after where they live ("fc.weight"), for graphs and traces.
        for item_name, item in _named_items({name: value}, Parameter | Module):
            item._set_names(item_name)
        super().__setattr__(name, value)

    def _set_names(self, prefix: str) -> None:
        for name, p in self._all_parameters(f"{prefix}."):
            p.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- finding parameters --------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        return _named_items(vars(self), Module)

    def _own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        return _named_items(vars(self), Parameter)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """("fc.weight", parameter) pairs, each parameter once even when shared."""
        seen: set[int] = set()
        for name, p in self._all_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for name, p in self._own_parameters():
            yield prefix + name, p
        for name, child in self.named_children():
            yield from child._all_parameters(f"{prefix}{name}.")

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, each once even when shared."""
        seen: set[int] = set()
        stack: list[Module] = [self]
        while stack:
            module = stack.pop()
            if id(module) not in seen:
                seen.add(id(module))
                yield module
                stack.extend(reversed([child for _, child in module.named_children()]))

    # --- training helpers ----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (set it to None, or fill it with zeros)."""
        clear_grads(self.parameters(), set_to_none)

    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def to(self, dtype: Any) -> Module:
        """Convert every parameter's values to `dtype` in place (the same Parameter objects)."""
        for p in self.parameters():
            p.array = p.array.astype(dtype)
            p.grad = None
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # --- state ---------------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Parameter name → a copy of its values, as NumPy arrays.

        Copies, where PyTorch's share memory with the parameters: a state dict taken before
        training still holds the values of that moment. A parameter shared by two modules
        appears under both names, as in PyTorch.
        """
        return OrderedDict((name, p.array.copy()) for name, p in self._all_parameters(""))

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters (keeping their dtype). Values may be anything
        array-like: NumPy arrays, lists, or PyTorch tensors (`torch_model.state_dict()`).

        With `strict`, missing or unexpected keys are an error; a wrong shape always is.
        """
        own = dict(self._all_parameters(""))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append(f"missing keys: {', '.join(missing)}")
        if strict and unexpected:
            problems.append(f"unexpected keys: {', '.join(unexpected)}")
        values = {}
        for key in own.keys() & state_dict.keys():
            value = to_numpy(state_dict[key])
            if value.shape != own[key].shape:
                problems.append(
                    f"{key}: the state dict has shape {value.shape}, the parameter {own[key].shape}"
                )
            values[key] = value
        if problems:
            raise StateDictError(
                f"cannot load the state dict into {type(self).__name__}: " + "; ".join(problems)
            )
        for key, value in values.items():
            own[key].array[...] = value
            own[key].version.bump()  # an in-place change: a graph that saved it is now stale
        return IncompatibleKeys(missing, unexpected)

    # --- printing ------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = [
            f"  ({name}): " + repr(child).replace("\n", "\n  ")
            for name, child in self.named_children()
        ]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n" + "\n".join(children) + "\n)"


def _named_items(attributes: dict[str, Any], kind: type | Any) -> Iterator[tuple[str, Any]]:
    """(name, value) for attributes of type `kind`, and ("name.i", item) for such items of
    attributes that are lists or tuples: where a module keeps its parameters and children."""
    for name, value in attributes.items():
        if isinstance(value, kind):
            yield name, value
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, kind):
                    yield f"{name}.{i}", item


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features), as `torch.nn.Linear`.

    Initialised as PyTorch does: W and b uniform in ±1/√in_features, drawn from `generator`
    (default: the one `manual_seed` seeds).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = np.float32,
        generator: np.random.Generator | None = None,
    ) -> None:
        if in_features <= 0 or out_features <= 0:
            raise ShapeError(
                f"Linear needs positive sizes, got in_features={in_features}, "
                f"out_features={out_features}"
            )
        self.in_features, self.out_features = in_features, out_features
        rng = generator if generator is not None else _default_generator
        bound = 1 / np.sqrt(in_features)
        weight = rng.uniform(-bound, bound, (out_features, in_features))
        self.weight = Parameter(weight.astype(dtype))
        self.bias = (
            Parameter(rng.uniform(-bound, bound, out_features).astype(dtype)) if bias else None
        )

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class CrossEntropyLoss(Module):
    """`F.cross_entropy` as a module: class-index targets, optional per-class `weight`.

    With `weight` and `reduction="mean"`, the loss is divided by the sum of the targets'
    weights, not by N (PyTorch's weighted mean).
    """

    def __init__(self, weight: Any = None, reduction: str = "mean") -> None:
        if reduction not in F.REDUCTIONS:
            raise ValueError(f"reduction must be one of {F.REDUCTIONS}, got {reduction!r}")
        self.weight = None if weight is None else tensor(to_numpy(weight))
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" + (", weight=..." if self.weight is not None else "")
