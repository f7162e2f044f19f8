"""Where an op under test comes from, and how to write it back as code.

`load_op("my_ops.py:MyMul")` loads a user's file and returns the function, or `.apply` of the
`Function` subclass, it names; `torch_reference("lambda x, y: x * y")` evaluates a PyTorch
reference with `torch` and `F` (torch.nn.functional) in scope. Anything wrong with either (no
such file, no such name, a syntax error) is an `OpSpecError` whose message is one line.
`reproducer` writes the ready-to-paste pytest function a failing check prints.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from .autograd import Function, Op


class OpSpecError(ValueError):
    """A `FILE.py:NAME` or a PyTorch reference expression that cannot be used, said in one line;
    `argument` says which of the two ("FILE.py:NAME" or "--torch")."""

    def __init__(self, message: str, argument: str = "FILE.py:NAME") -> None:
        super().__init__(message)
        self.argument = argument


def load_module(path: str | Path) -> ModuleType:
    """Run a Python file as a module (its folder importable while it loads)."""
    file = Path(path)
    if not file.is_file():
        raise OpSpecError(f"no file {path}" + (" (it is a folder)" if file.is_dir() else ""))
    name = "user_" + re.sub(r"\W", "_", file.stem)
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise OpSpecError(f"{path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.parent))
    sys.modules[name] = module  # dataclasses and pickling look a module up by name
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(name, None)
        where = path if error.filename == str(file) else Path(error.filename or path).name
        raise OpSpecError(
            f"{where}, line {error.lineno}: {error.msg} (a syntax error: fix it and run again)"
        ) from None
    except Exception as error:
        sys.modules.pop(name, None)
        raise OpSpecError(f"{path} raised {type(error).__name__} while loading: {error}") from None
    finally:
        sys.path.remove(str(file.parent))
    return module


def load_op(spec: str) -> tuple[Callable[..., Any], str]:
    """`FILE.py:NAME` → (the callable to check, the code that names it in a reproducer). A
    `Function` (or `Op`) subclass is called through its `.apply`."""
    path, colon, name = spec.rpartition(":")
    if not colon or not path or not name:
        raise OpSpecError(f"expected FILE.py:NAME (a file and the function in it), got {spec!r}")
    if not name.isidentifier():
        raise OpSpecError(f"{name!r} is not a Python name (in {spec!r})")
    module = load_module(path)
    if not hasattr(module, name):
        defined = sorted(
            n
            for n, v in vars(module).items()
            if not n.startswith("_")
            and callable(v)
            and getattr(v, "__module__", "") == module.__name__
        )
        known = f"; it defines {', '.join(defined)}" if defined else ""
        raise OpSpecError(f"{path} has no {name!r}{known}")
    target = getattr(module, name)
    source = f"load_op({spec!r})[0]"
    if isinstance(target, type):
        if issubclass(target, Function | Op):
            return target.apply, source
        raise OpSpecError(
            f"{name} in {path} is a class but not a tinygrad_lr.autograd.Function: give a "
            "function of tensors, or a Function subclass"
        )
    if not callable(target):
        kind = type(target).__name__
        raise OpSpecError(f"{name} in {path} is a value of type {kind}, not a function")
    return target, source


def torch_reference(expression: str) -> Callable[..., Any]:
    """Evaluate `expression` with `torch` and `F` (torch.nn.functional) in scope; it must give a
    callable, the PyTorch reference (e.g. "lambda x, y: x * y")."""
    try:
        code = compile(expression, "--torch", "eval")
    except SyntaxError as error:
        raise OpSpecError(
            f"{expression!r} is not a Python expression ({error.msg})", "--torch"
        ) from None
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        raise OpSpecError(
            "a PyTorch reference needs PyTorch, which is not installed (pip install torch)",
            "--torch",
        ) from None
    try:
        reference = eval(code, {"torch": torch, "F": F})
    except Exception as error:
        raise OpSpecError(
            f"{expression!r} raised {type(error).__name__}: {error}", "--torch"
        ) from None
    if not callable(reference):
        kind = type(reference).__name__
        raise OpSpecError(f"{expression!r} gives a value of type {kind}, not a callable", "--torch")
    return reference


# --- writing code back -----------------------------------------------------------------------
def display_name(fn: Callable[..., Any]) -> str:
    """How a report names `fn`: `MyMul.apply`, `softplus`, or a lambda's source text."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type):
        return f"{owner.__name__}.{fn.__name__}"
    if getattr(fn, "__name__", "") == "<lambda>":
        return _lambda_source(fn) or "<lambda>"
    return getattr(fn, "__qualname__", None) or type(fn).__name__


def describe(fn: Callable[..., Any]) -> tuple[str, str]:
    """(import lines, expression) that give `fn` back in a test file, as well as can be told:
    a module-level function or a Function's `.apply` by import, a lambda by its source text;
    ("", "") when it cannot be told."""
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, type) and fn.__name__ == "apply":
        found = _importable(owner)
        return (found, f"{owner.__qualname__}.apply") if found is not None else ("", "")
    found = _importable(fn)
    if found is not None:
        return found, fn.__qualname__
    if getattr(fn, "__name__", "") == "<lambda>":
        return "", _lambda_source(fn) or ""
    return "", ""


def _importable(obj: Any) -> str | None:
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname or "." in qualname:
        return None
    if module not in sys.modules or getattr(sys.modules[module], "__spec__", None) is None:
        return None
    if getattr(sys.modules[module], qualname, None) is not obj:
        return None
    return f"from {module} import {qualname}"


def _lambda_source(fn: Callable[..., Any]) -> str | None:
    """The text of a lambda, found in its source line(s): the one lambda there with its
    argument names and the names it uses."""
    try:
        lines = textwrap.dedent(inspect.getsource(fn)).strip()
    except (OSError, TypeError):
        return None
    code = fn.__code__
    wanted = (code.co_varnames[: code.co_argcount], set(code.co_names) | set(code.co_freevars))
    for text in (lines, f"(\n{lines}\n)", lines.rstrip(",)") + ")"):
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        segments = [
            ast.get_source_segment(text, node) or ""
            for node in ast.walk(tree)
            if isinstance(node, ast.Lambda)
        ]
        found = [seg for seg in segments if _lambda_names(seg) == wanted]
        if len(found) == 1:
            return found[0]
    return None


def _lambda_names(segment: str) -> tuple[tuple[str, ...], set[str]] | None:
    try:
        code = compile(segment, "<lambda>", "eval").co_consts[0]
    except (SyntaxError, IndexError):
        return None
    if not hasattr(code, "co_varnames"):
        return None
    return code.co_varnames[: code.co_argcount], set(code.co_names) | set(code.co_freevars)


def _literal(spec: Any) -> str:
    if isinstance(spec, np.ndarray):
        return f"np.array({spec.tolist()!r}, dtype=np.{spec.dtype})"
    return repr(tuple(spec))


def reproducer(
    *,
    name: str,
    source: tuple[str, str],
    torch_source: tuple[str, str] | None,
    case: str,
    specs: tuple[Any, ...],
    dtype: str,
    seed: int,
    options: dict[str, Any],
) -> str:
    """A pytest function that runs the kit on one shape case and one dtype."""
    imports = {"from tinygrad_lr.testing import assert_op_kit"}
    uses = [source[1] or "fn", *([torch_source[1]] if torch_source else [])]
    for lines, _ in (source, *([torch_source] if torch_source else [])):
        imports.update(line for line in lines.splitlines() if line)
    if any("np." in _literal(s) for s in specs):
        imports.add("import numpy as np")
    helpers = [h for h in ("load_op", "torch_reference") if any(f"{h}(" in t for t in uses)]
    if helpers:
        imports.add(f"from tinygrad_lr.check_load import {', '.join(helpers)}")
    shapes = "(" + ", ".join(_literal(s) for s in specs) + ("," if len(specs) == 1 else "") + ")"
    arguments = [(source[1] or "fn", "" if source[1] else "  # the function under test")]
    arguments += [(f"shapes=[{shapes}]", ""), (f'dtypes=["{dtype}"]', ""), (f"seed={seed}", "")]
    if torch_source:
        text = torch_source[1]
        arguments.append((f"torch_fn={text or '...'}", "" if text else "  # the PyTorch reference"))
    arguments += [(f"{k}={v!r}", "") for k, v in options.items()]
    slug = re.sub(r"\W+", "_", f"{name}_{case}_{dtype}".lower()).strip("_")
    body = "".join(f"        {a},{comment}\n" for a, comment in arguments)
    return (
        "\n".join(sorted(imports, key=lambda line: (line.startswith("from"), line)))
        + f"\n\n\ndef test_{slug}():\n    assert_op_kit(\n{body}    )\n"
    )
