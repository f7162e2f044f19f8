"""Containers: `Sequential` (modules applied in a row) and `ModuleList` (a list of modules whose
parameters the model finds), with PyTorch's indexing, names ("0", "1", ...) and printout."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from .module import Module, indent


def _children_in_order(container: Module) -> list[tuple[str, Module]]:
    """The container's (name, module) pairs in order, a module held twice under both names."""
    return [(name, value) for name, value in vars(container).items() if isinstance(value, Module)]


def _position(index: Any, size: int) -> int:
    index = operator.index(index)
    if not -size <= index < size:
        raise IndexError(f"index {index} is out of range for a container of {size} modules")
    return index % size


class Sequential(Module):
    """Modules applied one after another: `Sequential(a, b, c)(x)` is `c(b(a(x)))`.

    Children are named "0", "1", ... (so parameters "0.weight"), or by the keys of an
    `OrderedDict` given instead. Index it (`seq[0]`, `seq[-1]`, `seq[1:]`, which keeps the
    names), take its `len`, iterate over it, `append` to it.
    """

    def __init__(self, *args: Any) -> None:
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def forward(self, input: Any) -> Any:
        for module in self:
            input = module(input)
        return input

    def __getitem__(self, index: int | slice) -> Any:
        children = _children_in_order(self)
        if isinstance(index, slice):
            return type(self)(OrderedDict(children[index]))
        return children[_position(index, len(children))][1]

    def __setitem__(self, index: int, module: Module) -> None:
        children = _children_in_order(self)
        self.add_module(children[_position(index, len(children))][0], module)

    def __len__(self) -> int:
        return len(_children_in_order(self))

    def __iter__(self) -> Iterator[Module]:
        return iter([module for _, module in _children_in_order(self)])

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of modules, as `torch.nn.ModuleList`: index, iterate, `append`, `extend`. It has
    no `forward`; the model that holds it decides how its modules are called.

    (A plain Python list of modules works here too, which PyTorch does not find.)
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index: int | slice) -> Any:
        modules = [module for _, module in _children_in_order(self)]
        if isinstance(index, slice):
            return type(self)(modules[index])
        return modules[_position(index, len(modules))]

    def __setitem__(self, index: int, module: Module) -> None:
        self.add_module(str(_position(index, len(self))), module)

    def __len__(self) -> int:
        return len(_children_in_order(self))

    def __iter__(self) -> Iterator[Module]:
        return iter([module for _, module in _children_in_order(self)])

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        if not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList.extend should be called with an iterable, got {type(modules).__name__}"
            )
        for module in modules:
            self.append(module)
        return self

    def __repr__(self) -> str:
        """As PyTorch prints it: a run of equal modules is one line, "(0-2): 3 x Linear(...)"."""
        runs: list[list[Any]] = []  # [first index, last index, repr]
        for i, module in enumerate(self):
            text = repr(module)
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        if not runs:
            return f"{type(self).__name__}()"
        lines = [
            indent(f"({a}): {text}" if a == b else f"({a}-{b}): {b - a + 1} x {text}")
            for a, b, text in runs
        ]
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
