"""`Parameter` and `Module`: a model's weights, and how a model finds them, as in PyTorch.

A module keeps its parameters and sub-modules as ordinary attributes; nothing needs registering
(`add_module` and `register_parameter` exist for names chosen at run time). `Module` finds them
by looking at the attributes, in the order they were assigned.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from ..autograd.hooks import RemovableHandle, add_hook
from ..device import dtype_asked
from ..dtypes import is_floating, to_numpy
from ..errors import StateDictError
from ..tensor import Tensor, clear_grads, tensor


class Parameter(Tensor):
    """A tensor that is a model's weight: requires grad, and `Module` finds it automatically."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, name: str | None = None) -> None:
        values = tensor(data)  # the data's own dtype, as torch.nn.Parameter keeps its tensor's
        super().__init__(values, dtype=values.dtype, requires_grad=requires_grad, name=name)

    _is_parameter = True  # prints "Parameter containing:" first, as torch.nn.Parameter

    def _set_names(self, name: str) -> None:
        self.name = name


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class of models. Parameters are found among the attributes: `Parameter`s, other
    `Module`s, and lists or tuples of either, in the order they were assigned.

    Unlike PyTorch, a subclass need not call `super().__init__()`.
    """

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __setattr__(self, name: str, value: Any) -> None:
        current = self.__dict__.get(name)
        if isinstance(current, Parameter) and not isinstance(value, Parameter | None):
            raise TypeError(
                f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                "(torch.nn.Parameter or None expected); to change its values, write "
                f"`with no_grad(): self.{name}.copy_(value)`"
            )
        # Name parameters after where they live ("fc.weight"), for graphs and traces.
        for item_name, item in _named_items({name: value}, Parameter | Module):
            item._set_names(item_name)
        super().__setattr__(name, value)

    def _set_names(self, prefix: str) -> None:
        for name, p in self._all_parameters(f"{prefix}."):
            p.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """`forward`, with the forward hooks around it (none unless registered)."""
        pre_hooks = self.__dict__.get("_forward_pre_hooks")
        for hook in list(pre_hooks.values()) if pre_hooks else ():
            changed = hook(self, args)
            if changed is not None:  # new inputs for forward
                args = changed if isinstance(changed, tuple) else (changed,)
        output = self.forward(*args, **kwargs)
        hooks = self.__dict__.get("_forward_hooks")
        for hook in list(hooks.values()) if hooks else ():
            changed = hook(self, args, output)
            if changed is not None:  # a new output
                output = changed
        return output

    # --- hooks ---------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call `hook(module, args)` before each forward; a value it returns (a tuple, or one
        input) replaces the positional inputs. `.remove()` on the returned handle undoes it."""
        return self._add_hook("_forward_pre_hooks", hook)

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call `hook(module, args, output)` after each forward (to look at what a layer
        computed); a value it returns replaces the output."""
        return self._add_hook("_forward_hooks", hook)

    def _add_hook(self, kind: str, hook: Callable[..., Any]) -> RemovableHandle:
        return add_hook(self.__dict__.setdefault(kind, {}), hook)

    # --- adding by name ------------------------------------------------------------------------
    def add_module(self, name: str, module: Module | None) -> None:
        """`setattr(self, name, module)` for a name held in a variable, with PyTorch's checks."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._check_new_name(name, "module", Module)
        setattr(self, name, module)

    register_module = add_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """`setattr(self, name, param)` for a name held in a variable, with PyTorch's checks."""
        self._check_new_name(name, "parameter", Parameter)
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        setattr(self, name, param)

    def _check_new_name(self, name: Any, kind: str, replaceable: type) -> None:
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
        if not name:
            raise KeyError(f'{kind} name can\'t be empty string ""')
        # as in PyTorch, only a module (parameter) or a None may be replaced by another
        own = vars(self)
        if hasattr(self, name) and not (
            name in own and (own[name] is None or isinstance(own[name], replaceable))
        ):
            raise KeyError(f"attribute '{name}' already exists")

    # --- finding modules and parameters --------------------------------------------------------
    def _child_items(self) -> Iterator[tuple[str, Module]]:
        """Every sub-module attribute with its name, a module held twice under both names (what
        the state dict and the printout list)."""
        return _named_items(vars(self), Module)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for the modules directly inside this one, each once even when shared."""
        seen: set[int] = set()
        for name, child in self._child_items():
            if id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(
        self, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """("body.fc", module) for this module ("") and every module inside it, depth first,
        each once even when shared (unless `remove_duplicate` is False)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            inner = [(f"{name}.{n}" if name else n, m) for n, m in module._child_items()]
            stack.extend(reversed(inner))

    def modules(self) -> Iterator[Module]:
        """This module and every module inside it, each once even when shared."""
        for _, module in self.named_modules():
            yield module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call `fn` on every sub-module, innermost first, then on this one (to initialise
        weights: `model.apply(init_fn)`); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

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
        for name, child in self._child_items():
            yield from child._all_parameters(f"{prefix}{name}.")

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    # --- training helpers ----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (set it to None, or fill it with zeros)."""
        clear_grads(self.parameters(), set_to_none)

    def train(self, mode: bool = True) -> Module:
        """Set `training` on this module and every module inside it (`Dropout` reads it)."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        return self.train(False)

    def to(
        self, *args: Any, device: Any = None, dtype: Any = None, non_blocking: bool = False
    ) -> Module:
        """Convert every parameter's values to `dtype` (a floating one) in place (the same
        Parameter objects). A device ("cpu") is accepted and changes nothing: tinygrad_lr runs
        on the CPU only."""
        dtype = dtype_asked(args, device, dtype, "Module.to")
        if dtype is None:
            return self
        if not is_floating(np.dtype(dtype)):
            raise TypeError(f"Module.to only takes floating dtypes, got {np.dtype(dtype)}")
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
                    f"{key}: the state dict has shape {tuple(value.shape)}, the parameter "
                    f"{tuple(own[key].shape)}"
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
        """The settings printed between the parentheses, as `Linear(in_features=2, ...)`."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: settings, then one "(name): child" line per sub-module, indented."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): {indent(repr(child))}" for name, child in self._child_items()]
        if not children and len(lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines + children) + "\n)"


def indent(text: str) -> str:
    """Indent every line but the first by two spaces: a child's repr inside its parent's."""
    return text.replace("\n", "\n  ")


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
