"""Derivatives of whole functions, built on `grad`, with PyTorch's names and signatures
(`torch.autograd.functional`): `vjp`, `jvp`, `jacobian`, `hessian`, `vhp`, `hvp`.

Each takes `func` (tensors in, a tensor or a tuple of tensors out) and `inputs` (a tensor or a
tuple of tensors). As in PyTorch, `func` is run on copies of the inputs that require grad, and
the results are detached unless `create_graph=True`; an input the outputs do not depend on gets
zeros, or an error with `strict=True`; a single tensor in gives a single tensor out, a tuple a
tuple. Everything here is reverse mode: `jvp` and `hvp` use the double-backward trick (the
gradient of a vector-Jacobian product with respect to its vector is a Jacobian-vector product),
which needs `create_graph` (see `engine.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..creation import stack
from ..errors import GraphError, ShapeError
from .engine import grad
from .graph import Tensor
from .mode import enable_grad


def _as_tuple(x: Any, what: str, name: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether `x` was a tuple, `x` as a tuple of tensors); anything else is a TypeError."""
    is_tuple = isinstance(x, tuple | list)
    items = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(items):
        if not hasattr(t, "array"):
            where = f"{what} {i}" if is_tuple else what
            raise TypeError(
                f"{name}: {where} must be a tensor, got {type(t).__name__} (wrap numbers and "
                "arrays with tensor(...))"
            )
    return is_tuple, items


def _prepare(inputs: tuple[Tensor, ...], create_graph: bool) -> tuple[Tensor, ...]:
    """The tensors `func` runs on: with `create_graph` an input that requires grad is passed
    through an op (so the results keep its graph); every other one is a detached copy of the
    same values that requires grad."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.reshape(tuple(t.shape)))
        else:
            out.append(t.detach().requires_grad_(True))
    return tuple(out)


def _finish(results: Any, create_graph: bool) -> Any:
    """Detach the results (recursively through tuples) unless the caller wants their graph."""
    if isinstance(results, tuple):
        return tuple(_finish(r, create_graph) for r in results)
    if results is None or create_graph:
        return results
    return results.detach()


def _fill(grads: tuple[Any, ...], like: tuple[Tensor, ...], strict: bool, name: str) -> tuple:
    """Zeros of the right shape where an input was unused, or an error with `strict`."""
    out = []
    for i, (g, t) in enumerate(zip(grads, like, strict=True)):
        if g is None:
            if strict:
                raise GraphError(
                    f"{name} (strict=True): the output is independent of input {i}; pass "
                    "strict=False to get zeros for it"
                )
            g = t.wrap(np.zeros(t.array.shape, dtype=t.array.dtype))
        out.append(g)
    return tuple(out)


def _check_v(v: Any, like: tuple[Tensor, ...], what: str, name: str) -> tuple[Tensor, ...]:
    """`v` as a tuple matching `like` in number and shapes; None only for one-element tensors."""
    if v is None:
        if len(like) != 1 or like[0].array.size != 1:
            raise GraphError(
                f"{name}: v can be omitted only when the {what} is a single tensor with one element"
            )
        return (like[0].wrap(np.ones_like(like[0].array)),)
    _, vs = _as_tuple(v, "v", name)
    if len(vs) != len(like):
        raise ShapeError(f"{name}: v has {len(vs)} tensors but the {what} has {len(like)}")
    for i, (a, b) in enumerate(zip(vs, like, strict=True)):
        if tuple(a.shape) != tuple(b.shape):
            raise ShapeError(
                f"{name}: v {i} has shape {tuple(a.shape)}, but the {what} it goes with has "
                f"shape {tuple(b.shape)}"
            )
    return vs


def _outputs(func: Callable[..., Any], inputs: tuple[Tensor, ...], name: str) -> tuple:
    with enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "output", name)


def vjp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), vᵀ J): the vector-Jacobian product, one backward pass with `v` as the
    outputs' gradient. `v` has the outputs' shapes (omit it for a one-element output)."""
    in_tuple, xs = _as_tuple(inputs, "input", "vjp")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _outputs(func, xs, "vjp")
    vs = _check_v(v, outs, "output", "vjp")
    needed = [(o, g) for o, g in zip(outs, vs, strict=True) if o.requires_grad]
    grads: tuple[Any, ...] = (None,) * len(xs)
    if needed:
        grads = grad(
            [o for o, _ in needed],
            xs,
            [g for _, g in needed],
            retain_graph=True,
            create_graph=create_graph,
            allow_unused=True,
        )
    grads = _fill(grads, xs, strict, "vjp")
    out = outs if out_tuple else outs[0]
    return _finish(out, create_graph), _finish(grads if in_tuple else grads[0], create_graph)


def jvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product, `v` with the inputs' shapes.

    By the double-backward trick (`_double_backward`), without forming J.
    """
    _, xs = _as_tuple(inputs, "input", "jvp")
    vs = _check_v(v, xs, "input", "jvp")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _outputs(func, xs, "jvp")
    results, uj = _double_backward(outs, xs, vs, create_graph)
    if strict and any(o.requires_grad for o in outs):
        unused = [i for i, g in enumerate(uj) if g is None]
        if unused:
            raise GraphError(
                f"jvp (strict=True): the output is independent of input {unused[0]}; pass "
                "strict=False to get zeros for it"
            )
    results = _fill(results, outs, strict, "jvp")
    out = outs if out_tuple else outs[0]
    return _finish(out, create_graph), _finish(results if out_tuple else results[0], create_graph)


def jacobian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """The Jacobian of `func` at `inputs`: for an output of shape (m…) and an input of shape
    (n…), a tensor of shape (m…, n…) whose [i…, j…] entry is ∂ output[i…] / ∂ input[j…].

    Row by row: one backward pass per output element, each with a one-hot upstream gradient.
    A tuple of outputs and a tuple of inputs give a tuple (per output) of tuples (per input).
    `vectorize` is accepted for PyTorch's signature and changes nothing (the rows are computed
    one after another either way); only `strategy="reverse-mode"` is implemented.
    """
    if strategy != "reverse-mode":
        raise NotImplementedError(
            f"jacobian: strategy={strategy!r} is not implemented; tinygrad_lr has reverse mode "
            "only (strategy='reverse-mode')"
        )
    in_tuple, xs = _as_tuple(inputs, "input", "jacobian")
    xs = _prepare(xs, create_graph)
    out_tuple, outs = _outputs(func, xs, "jacobian")
    table = []
    for i, out in enumerate(outs):
        rows: list[list[Any]] = [[] for _ in xs]
        for k in range(out.array.size):
            if out.requires_grad:
                onehot = np.zeros(out.array.size, dtype=out.array.dtype)
                onehot[k] = 1
                g = grad(
                    out,
                    xs,
                    out.wrap(onehot.reshape(out.array.shape)),
                    retain_graph=True,
                    create_graph=create_graph,
                    allow_unused=True,
                )
            else:
                g = (None,) * len(xs)
            if strict and any(gj is None for gj in g):
                j = next(j for j, gj in enumerate(g) if gj is None)
                raise GraphError(
                    f"jacobian (strict=True): output {i} is independent of input {j}; pass "
                    "strict=False to get zeros for it"
                )
            for j, gj in enumerate(_fill(g, xs, False, "jacobian")):
                rows[j].append(gj)
        per_input = []
        for j, x in enumerate(xs):
            shape = tuple(out.shape) + tuple(x.shape)
            if rows[j]:
                per_input.append(stack(rows[j]).reshape(shape))
            else:  # an empty output: an empty Jacobian
                per_input.append(x.wrap(np.zeros(shape, dtype=x.array.dtype)))
        table.append(tuple(per_input) if in_tuple else per_input[0])
    result = tuple(table) if out_tuple else table[0]
    return _finish(result, create_graph)


def _scalar_output(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """`func`, checked to return a single tensor with one element (as a 0-d tensor)."""

    def single(*inputs: Tensor) -> Tensor:
        out = func(*inputs)
        if isinstance(out, tuple | list) or not hasattr(out, "array"):
            raise TypeError(f"{name}: func must return a single tensor")
        if out.array.size != 1:
            raise ShapeError(
                f"{name}: func must return a tensor with one element, got shape {tuple(out.shape)}"
            )
        return out.reshape(())

    return single


def hessian(
    func: Callable[..., Any],
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """The Hessian of a function with a one-element output: the Jacobian of its gradient. For an
    input of shape (n…) a tensor of shape (n…, n…); for a tuple of inputs, a tuple of tuples
    (block [i][j] is ∂² f / ∂ input i ∂ input j)."""
    if outer_jacobian_strategy != "reverse-mode":
        raise NotImplementedError(
            f"hessian: outer_jacobian_strategy={outer_jacobian_strategy!r} is not implemented; "
            "tinygrad_lr has reverse mode only"
        )
    single = _scalar_output(func, "hessian")
    in_tuple, xs = _as_tuple(inputs, "input", "hessian")

    def gradient(*inner: Tensor) -> Any:
        return jacobian(single, inner, create_graph=True, strict=strict)

    result = jacobian(gradient, xs, create_graph=create_graph, strict=strict)
    return result if in_tuple else result[0][0]


def vhp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), vᵀ H): a vector-Hessian product, a recorded gradient then a backward
    through it with `v`, without forming H."""
    in_tuple, xs = _as_tuple(inputs, "input", "vhp")
    vs = _check_v(v, xs, "input", "vhp")
    xs = _prepare(xs, create_graph)
    out = _scalar_output(func, "vhp")(*xs)
    g = _first_gradient(out, xs, strict, "vhp")
    used = [(gi, vi) for gi, vi in zip(g, vs, strict=True) if gi is not None and gi.requires_grad]
    result: tuple[Any, ...] = (None,) * len(xs)
    if used:
        result = grad(
            [gi for gi, _ in used],
            xs,
            [vi for _, vi in used],
            create_graph=create_graph,
            allow_unused=True,
        )
    result = _fill(result, xs, strict, "vhp")
    return _finish(out, create_graph), _finish(result if in_tuple else result[0], create_graph)


def hvp(
    func: Callable[..., Any],
    inputs: Any,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(func(inputs), H v): a Hessian-vector product, without forming H.

    H is symmetric for a function with continuous second derivatives, so H v = (vᵀ H)ᵀ and
    `vhp` would do; as in PyTorch, this does not rely on it: H is the Jacobian of the
    gradient, and H v comes from the double-backward trick (`_double_backward`).
    """
    in_tuple, xs = _as_tuple(inputs, "input", "hvp")
    vs = _check_v(v, xs, "input", "hvp")
    xs = _prepare(xs, create_graph)
    out = _scalar_output(func, "hvp")(*xs)
    g = _first_gradient(out, xs, strict, "hvp")
    result, _ = _double_backward(g, xs, vs, create_graph)
    result = _fill(result, xs, strict, "hvp")
    return _finish(out, create_graph), _finish(result if in_tuple else result[0], create_graph)


def _double_backward(
    ys: tuple[Any, ...], xs: tuple[Tensor, ...], vs: tuple[Tensor, ...], create_graph: bool
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """J v, one per y (None where a y has no graph), for ys that are functions of xs, by the
    double-backward trick: uᵀJ, a backward from zeros u recorded, is linear in u, and its
    gradient with respect to u with v as the upstream gradient is J v. Also returns uᵀJ, whose
    None entries are the inputs no y depends on (for `strict`)."""
    used = [i for i, y in enumerate(ys) if y is not None and y.requires_grad]
    products: list[Any] = [None] * len(ys)
    if not used:
        return tuple(products), (None,) * len(xs)
    us = [ys[i].wrap(np.zeros_like(ys[i].array)).requires_grad_(True) for i in used]
    uj = grad([ys[i] for i in used], xs, us, create_graph=True, allow_unused=True)
    pairs = [(g, v) for g, v in zip(uj, vs, strict=True) if g is not None and g.requires_grad]
    if pairs:
        jv = grad(
            [g for g, _ in pairs],
            us,
            [v for _, v in pairs],
            create_graph=create_graph,
            allow_unused=True,
        )
        for k, i in enumerate(used):
            products[i] = jv[k]
    return tuple(products), uj


def _first_gradient(out: Tensor, xs: tuple[Tensor, ...], strict: bool, name: str) -> tuple:
    """The gradient of `out` with respect to `xs`, recorded so it can be differentiated."""
    if not out.requires_grad:
        if strict:
            raise GraphError(f"{name} (strict=True): the output does not depend on the inputs")
        return (None,) * len(xs)
    return grad(out, xs, create_graph=True, allow_unused=True)
