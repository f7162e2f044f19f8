"""tinygrad_lr computes what PyTorch computes, in value and in gradient.

Three parts, each a specification held against PyTorch (float64 unless said otherwise):

1. Random op graphs. Hypothesis writes small programs: one to three float64 leaves of small,
   broadcastable shapes (0-d and size-1 dims included), then 3-12 ops drawn from the whole
   Tensor API, each on a recent node or on an older one (so nodes feed several ops). The same
   program text runs on tinygrad_lr and on torch; the output, the gradient of every leaf and of
   one retained intermediate node must agree to 1e-10 under a fixed random upstream gradient.
2. PyTorch-style expressions, written once and run unchanged on both libraries with
   `tinygrad_lr.testing.check_op` (which also runs gradcheck), plus float32 and mixed-dtype
   expressions whose output and gradient dtypes must be PyTorch's.
3. Ties: `amax` and `amin` (and `max()`/`min()` of all elements) split the gradient evenly
   between tied elements, exactly as `torch.amax`/`torch.amin` do.

In the random programs, `amax(t, dim, keepdim)` is `t.amax(dim, keepdim)` in tinygrad_lr and
`torch.amax` in PyTorch (`amin` likewise), `frozen(t)` is `t * 2 + 1` computed under the
library's `no_grad`, and `c0, c1, ...` are constant arrays (NumPy arrays for tinygrad_lr, so the
NumPy-operand and reflected forms are exercised, torch tensors for PyTorch).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_lr import Tensor, no_grad, tensor
from tinygrad_lr.testing import check_op, random_inputs

TOL = {"rtol": 1e-10, "atol": 1e-10}
FLOAT32_TOL = {"rtol": 1e-5, "atol": 1e-5}
GRAPH_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _ours_amax(t: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return t.amax(dim, keepdim)


def _ours_amin(t: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return t.amin(dim, keepdim)


def _torch_amax(t: torch.Tensor, dim: Any = None, keepdim: bool = False) -> torch.Tensor:
    return torch.amax(t, () if dim is None else dim, keepdim)


def _torch_amin(t: torch.Tensor, dim: Any = None, keepdim: bool = False) -> torch.Tensor:
    return torch.amin(t, () if dim is None else dim, keepdim)


def _ours_frozen(t: Tensor) -> Tensor:
    with no_grad():
        return t * 2 + 1


def _torch_frozen(t: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return t * 2 + 1


LIBRARIES: dict[str, dict[str, Any]] = {
    "tinygrad_lr": {"amax": _ours_amax, "amin": _ours_amin, "frozen": _ours_frozen},
    "torch": {"amax": _torch_amax, "amin": _torch_amin, "frozen": _torch_frozen},
}


def to_numpy(t: Tensor | torch.Tensor | None) -> np.ndarray | None:
    if t is None:
        return None
    return t.detach().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def torch_dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).removeprefix("torch.")


# =============================================================================================
# 1. Random op graphs
# =============================================================================================
@dataclass
class Program:
    """Straight-line code: leaves `v0..`, constants `c0..`, then one `vN = expr` per op."""

    leaves: list[np.ndarray]
    constants: list[np.ndarray] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)

    def text(self) -> str:
        head = [f"v{i} = leaf of shape {a.shape}" for i, a in enumerate(self.leaves)]
        head += [f"c{i} = constant of shape {c.shape}" for i, c in enumerate(self.constants)]
        return "\n".join(head + [f"{name} = {expr}" for name, expr in self.lines])

    def namespace(self, library: str) -> dict[str, Any]:
        """Fresh leaves that require grad, and the constants, in `library`'s types."""
        env: dict[str, Any] = dict(LIBRARIES[library])
        for i, a in enumerate(self.leaves):
            env[f"v{i}"] = (
                tensor(a.copy(), requires_grad=True)
                if library == "tinygrad_lr"
                else torch.tensor(a, requires_grad=True)
            )
        for i, c in enumerate(self.constants):
            env[f"c{i}"] = c.copy() if library == "tinygrad_lr" else torch.tensor(c)
        return env

    def run(self, library: str, retained: str | None = None) -> dict[str, Any]:
        """Every node of the program; `retained` gets `retain_grad()` as soon as it exists."""
        env = self.namespace(library)
        for name, expr in self.lines:
            env[name] = evaluate(expr, env)
            if name == retained:
                env[name].retain_grad()
        return env

    @property
    def output(self) -> str:
        return self.lines[-1][0]


def evaluate(expr: str, env: dict[str, Any]) -> Any:
    return eval(expr, {}, env)


def broadcastable(*shapes: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


def matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    if not a or not b:
        return None
    try:
        return np.matmul(np.empty(a), np.empty(b)).shape
    except ValueError:
        return None


def clear_extreme(v: np.ndarray, axes: tuple[int, ...], sign: float) -> bool:
    """True when the max (sign 1) or min (sign -1) over `axes` is unique by a clear margin.

    Random programs only reduce with max/min (or take argmax) where the winner is clear: after
    exp, pow or matmul, two mathematically equal values may differ in their last bit in one
    library and not in the other, which would turn a tie into a non-tie. Ties are tested in
    part 3, on exact values.
    """
    if v.ndim == 0:
        return True
    w = sign * v
    top = w.max(axis=axes, keepdims=True)
    near = (w >= top - 1e-7 * (1 + np.abs(top))).sum(axis=axes)
    return bool((near == 1).all())


def no_near_zeros(v: np.ndarray) -> bool:
    """Exact zeros (from relu) are the same in both libraries; values within 1e-8 of 0 may not."""
    return bool(((v == 0) | (np.abs(v) > 1e-8)).all())


class GraphBuilder:
    """Draws a random `Program` op by op, running each candidate on tinygrad_lr to keep values
    in every op's domain (log of positives, pow with positive bases, division away from 0)."""

    SCALARS = (2, -1.5, 0.5, 3, 0.25)

    def __init__(self, data: st.DataObject, leaves: list[np.ndarray]) -> None:
        self.data = data
        self.program = Program(leaves)
        self.env = self.program.namespace("tinygrad_lr")
        self.names = [f"v{i}" for i in range(len(leaves))]

    # --- drawing helpers -----------------------------------------------------------------------
    def pick(self, options: Sequence[Any]) -> Any:
        return self.data.draw(st.sampled_from(options))

    def integer(self, low: int, high: int) -> int:
        return self.data.draw(st.integers(low, high))

    def flag(self) -> bool:
        return self.data.draw(st.booleans())

    def value(self, name: str) -> np.ndarray:
        return self.env[name].numpy()

    def shape(self, name: str) -> tuple[int, ...]:
        return self.value(name).shape

    def operand(self) -> str:
        """Usually the newest node (deep chains), sometimes any node (a node used twice)."""
        if self.pick(["newest", "newest", "any"]) == "any":
            return self.pick(self.names)
        return self.names[-1]

    def constant(self, shape: tuple[int, ...], values: str = "normal") -> str:
        """A new constant array: standard normal, "positive" or "away_from_zero" (|c| ≥ 0.5)."""
        rng = np.random.default_rng(self.integer(0, 2**16))
        c = rng.standard_normal(shape)
        if values != "normal":
            sign = 1.0 if values == "positive" else np.sign(c + 1e-300)
            c = sign * rng.uniform(0.5, 2.0, shape)
        self.program.constants.append(c)
        name = f"c{len(self.program.constants) - 1}"
        self.env[name] = c.copy()
        return name

    def dim_arg(self, ndim: int) -> Any:
        """None, one dim, or a sequence of distinct dims (negative ones included)."""
        if ndim == 0:
            return self.pick([None, 0, -1])
        kind = self.pick(["none", "int", "tuple", "list"])
        if kind == "none":
            return None
        if kind == "int":
            return self.integer(-ndim, ndim - 1)
        axes = sorted(self.data.draw(st.sets(st.integers(0, ndim - 1), min_size=1)))
        dims = [a - ndim if self.flag() else a for a in axes]
        return tuple(dims) if kind == "tuple" else dims

    # --- the ops: each returns an expression, or None when it does not apply here ------------
    def op_scalar_arithmetic(self, a: str) -> str | None:
        s = self.pick(self.SCALARS)
        form = self.pick(["a + s", "s + a", "a - s", "s - a", "a * s", "s * a", "a / s"])
        return form.replace("a", a).replace("s", f"({s})")

    def op_reflected_division(self, a: str) -> str | None:
        if np.abs(self.value(a)).min(initial=np.inf) < 0.3:
            return None
        return f"{self.pick(self.SCALARS)} / {a}"

    def op_neg(self, a: str) -> str | None:
        return f"-{a}"

    def op_exp(self, a: str) -> str | None:
        if self.value(a).max() <= 3:
            return f"{a}.exp()"
        if not clear_extreme(self.value(a), tuple(range(self.value(a).ndim)), 1):
            return None
        return f"({a} - {a}.max()).exp()"

    def op_log(self, a: str) -> str | None:
        v = self.value(a)
        if v.min() >= 0.1:
            return f"{a}.log()"
        if v.max() <= 3 and self.flag():
            return f"{a}.exp().log()"
        return f"({a} * {a} + 1).log()"

    def op_relu(self, a: str) -> str | None:
        return f"{a}.relu()" if no_near_zeros(self.value(a)) else None

    def op_pow(self, a: str) -> str | None:
        v = self.value(a)
        choice = self.pick(["int", "fraction", "reflected"])
        if choice == "int":
            return f"{a} ** {self.pick([2, 3])}" if np.abs(v).max() <= 10 else None
        if choice == "fraction":
            p = self.pick([0.5, -1.5, 1.7])
            return f"{a} ** {p}" if v.min() >= 0.1 else f"({a} * {a} + 1) ** {p}"
        return f"{self.pick([2, 0.5, 3.0])} ** {a}" if np.abs(v).max() <= 5 else None

    def op_cast_roundtrip(self, a: str) -> str | None:
        return f"{a}.float().double()"

    def op_sum_or_mean(self, a: str) -> str | None:
        method = self.pick(["sum", "mean"])
        dim, keepdim = self.dim_arg(self.value(a).ndim), self.flag()
        if dim is None and not keepdim and self.flag():
            return f"{a}.{method}()"
        if not keepdim and self.flag():
            return f"{a}.{method}({dim!r})"
        return f"{a}.{method}(dim={dim!r}, keepdim={keepdim})"

    def op_max_or_min(self, a: str) -> str | None:
        v = self.value(a)
        method, sign = self.pick([("amax", 1), ("amin", -1)])
        dim, keepdim = self.dim_arg(v.ndim), self.flag()
        dims = (dim,) if isinstance(dim, int) else range(v.ndim) if dim is None else dim
        if not clear_extreme(v, tuple(d % max(v.ndim, 1) for d in dims), sign):
            return None
        if dim is None and not keepdim:  # the full reduction is spelled the same in both
            return f"{a}.{method[1:]}()"
        return f"{method}({a}, {dim!r}, {keepdim})"

    def op_reshape(self, a: str) -> str | None:
        shape = self.shape(a)
        candidates = [(-1,), (1, -1), (-1, 1), (*shape, 1), (1, *shape)]
        if len(shape) >= 2:
            candidates.append(tuple(reversed(shape)))
        target = self.pick(candidates)
        # Not `view`: torch refuses to view some non-contiguous results (the expressions in
        # part 2 use view where torch allows it).
        if self.flag():
            return f"{a}.reshape({target!r})"
        return f"{a}.reshape({', '.join(map(str, target))})"

    def op_transpose(self, a: str) -> str | None:
        n = self.value(a).ndim
        if n < 2:
            return None
        d0 = self.integer(0, n - 1)
        d1 = self.pick([d for d in range(n) if d != d0])
        return f"{a}.transpose({d0 - n if self.flag() else d0}, {d1})"

    def op_permute(self, a: str) -> str | None:
        n = self.value(a).ndim
        if n < 2:
            return None
        dims = self.data.draw(st.permutations(range(n)))
        return f"{a}.permute{tuple(dims)!r}" if self.flag() else f"{a}.permute({list(dims)!r})"

    def op_matrix_transpose(self, a: str) -> str | None:
        return f"{a}.T" if self.value(a).ndim == 2 else None

    def op_unsqueeze(self, a: str) -> str | None:
        n = self.value(a).ndim
        return f"{a}.unsqueeze({self.integer(-n - 1, n)})"

    def op_squeeze(self, a: str) -> str | None:
        shape = self.shape(a)
        if not shape or self.flag():
            return f"{a}.squeeze()"
        return f"{a}.squeeze({self.integer(-len(shape), len(shape) - 1)})"

    def op_flatten(self, a: str) -> str | None:
        n = self.value(a).ndim
        if n == 0 or self.flag():
            return f"{a}.flatten()"
        start = self.integer(0, n - 1)
        return f"{a}.flatten({start}, {self.integer(start, n - 1)})"

    def op_index(self, a: str) -> str | None:
        v = self.value(a)
        if v.ndim == 0:
            return f"{a}[{self.pick(['None', '...', '()'])}]"
        n0 = v.shape[0]
        kind = self.pick(["int", "slice", "newaxis", "int_array", "two_arrays", "mask", "argmax"])
        if kind == "int":
            return f"{a}[{self.integer(-n0, n0 - 1)}]"
        if kind == "slice":
            if v.ndim >= 2 and v.shape[1] >= 2 and self.flag():
                return f"{a}[:, 1:]"
            return f"{a}[{self.pick(['1:', '::2', ':-1', '-2:'])}]" if n0 >= 2 else f"{a}[0:]"
        if kind == "newaxis":
            return f"{a}[{self.pick(['None', '..., None', ':, None', 'None, ..., 0'])}]"
        if kind == "int_array":
            i, j = self.integer(0, n0 - 1), self.integer(-n0, n0 - 1)
            return f"{a}[[{i}, {j}, {i}]]"
        if kind == "two_arrays":
            if v.ndim < 2:
                return None
            rows = [self.integer(0, n0 - 1) for _ in range(3)]
            cols = [self.integer(0, v.shape[1] - 1) for _ in range(3)]
            return f"{a}[{rows[:2] + rows[:1]}, {cols[:2] + cols[:1]}]"
        if kind == "mask":
            if not (v > 0).any() or not no_near_zeros(v):
                return None
            return f"{a}[{a} > 0]"
        if v.ndim == 2 and clear_extreme(v, (1,), 1):
            return f"{a}[{list(range(n0))}, {a}.argmax(dim=1)]"
        if clear_extreme(v, tuple(range(v.ndim)), 1):
            return f"{a}.reshape(-1)[{a}.argmax()]"
        return None

    def op_matmul(self, a: str) -> str | None:
        shape = self.shape(a)
        if not shape:
            return None
        kind = self.pick(["self", "partner", "constant", "reflected_constant"])
        if kind == "self":
            return f"{a} @ {a}" if len(shape) == 1 else f"{a} @ {a}.transpose(-1, -2)"
        if kind == "partner":
            partners = [b for b in self.names if matmul_shape(shape, self.shape(b)) is not None]
            return f"{a} @ {self.pick(partners)}" if partners else None
        k = shape[-1] if kind == "constant" else shape[0] if len(shape) == 1 else shape[-2]
        other = self.pick([(k,), (k, 2), (3, k) if kind != "constant" else (k, 3)])
        if kind == "constant":
            other = other if len(other) == 1 or other[0] == k else (k, other[0])
            return f"{a} @ {self.constant(other)}"
        other = other if len(other) == 1 or other[-1] == k else (other[1], k)
        return f"{self.constant(other)} @ {a}"

    def op_binary(self, a: str) -> str | None:
        shape = self.shape(a)
        partners = [b for b in self.names if broadcastable(shape, self.shape(b))]
        b = self.pick(partners)
        vb = self.value(b)
        operator = self.pick(["+", "-", "*", "/", "**"])
        if operator == "/":
            if np.abs(vb).min(initial=np.inf) >= 0.3:
                return f"{a} / {b}"
            return f"{a} / ({b} * {b} + 1)"
        if operator == "**":
            if self.value(a).min() < 0.1 or np.abs(vb).max() > 3:
                return None
            return f"{a} ** {b}"
        return f"{a} {operator} {b}"

    def op_binary_with_constant(self, a: str) -> str | None:
        shape = self.shape(a)
        drop = self.integer(0, len(shape))
        cshape = tuple(1 if self.flag() else n for n in shape[drop:])
        operator = self.pick(["+", "-", "*", "/", "**"])
        v = self.value(a)
        if operator == "**":  # positive bases only
            if self.flag() and np.abs(v).max() <= 5:
                return f"{self.constant(cshape, 'positive')} ** {a}"
            return f"{a} ** {self.constant(cshape)}" if v.min() >= 0.1 else None
        c = self.constant(cshape, "away_from_zero" if operator == "/" else "normal")
        if operator == "/" and np.abs(v).min(initial=np.inf) < 0.3:
            return f"{a} / {c}"
        return f"{a} {operator} {c}" if self.flag() else f"{c} {operator} {a}"

    def op_cut_from_graph(self, a: str) -> str | None:
        """A factor that does not require grad: `detach()`, or computed under `no_grad`."""
        b = self.pick([b for b in self.names if broadcastable(self.shape(a), self.shape(b))])
        return f"{a} * {b}.detach()" if self.flag() else f"{a} - frozen({b})"

    OPS = (
        "scalar_arithmetic",
        "reflected_division",
        "neg",
        "exp",
        "log",
        "relu",
        "pow",
        "cast_roundtrip",
        "sum_or_mean",
        "max_or_min",
        "reshape",
        "transpose",
        "permute",
        "matrix_transpose",
        "unsqueeze",
        "squeeze",
        "flatten",
        "index",
        "matmul",
        "binary",
        "binary_with_constant",
        "cut_from_graph",
    )

    def add_op(self) -> bool:
        """Try one random op; keep it when its result is small, finite and of moderate size."""
        a = self.operand()
        op = self.pick(self.OPS)
        expr = getattr(self, f"op_{op}")(a)
        if expr is None:
            return False
        with np.errstate(all="ignore"):
            result = evaluate(expr, self.env)
        v = result.numpy()
        if not 1 <= v.size <= 64 or not np.isfinite(v).all() or np.abs(v).max() > 1e3:
            return False
        name = f"v{len(self.names)}"
        self.env[name] = result
        self.names.append(name)
        self.program.lines.append((name, expr))
        return True


@st.composite
def leaf_arrays(draw: st.DrawFn, max_leaves: int = 3) -> list[np.ndarray]:
    """1-3 float64 arrays whose shapes broadcast together: a base shape with leading dims
    dropped and some dims set to 1 (so 0-d and size-1 dims both occur)."""
    base = draw(st.lists(st.sampled_from([1, 2, 3, 3]), min_size=1, max_size=3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    leaves = []
    for _ in range(draw(st.sampled_from(range(1, max_leaves + 1)))):
        dropped = min(draw(st.sampled_from([0, 0, 0, 1, 2, 3])), len(base))
        shape = tuple(1 if draw(st.sampled_from([0, 0, 1])) else n for n in base[dropped:])
        leaves.append(rng.standard_normal(shape))
    return leaves


def draw_program(data: st.DataObject) -> Program:
    builder = GraphBuilder(data, data.draw(leaf_arrays(), label="leaves"))
    n_ops, attempts = data.draw(st.sampled_from(range(3, 13)), label="ops"), 0
    while len(builder.program.lines) < n_ops and attempts < 10 * n_ops:
        builder.add_op()
        attempts += 1
    assume(len(builder.program.lines) >= 3)
    note(builder.program.text())
    return builder.program


def retainable(program: Program) -> list[str]:
    """Nodes that are a distinct non-leaf tensor in both libraries, so `retain_grad()` on them
    means the same thing. (torch returns its input itself from, e.g., `flatten()` of a 1-D
    tensor: such a node is its input under another name.)"""
    envs = [program.run(library) for library in LIBRARIES]
    names = [name for name, _ in program.lines]
    return [
        name
        for name in names
        if all(
            not env[name].is_leaf and sum(env[other] is env[name] for other in names) == 1
            for env in envs
        )
    ]


def draw_retained(data: st.DataObject, program: Program) -> str | None:
    candidates = retainable(program)
    return data.draw(st.sampled_from(candidates), label="retained") if candidates else None


def run_both(
    program: Program, upstream_seed: int, retained: str | None, twice: bool, implicit: bool
) -> dict[str, dict[str, Any]]:
    """Run `program` in both libraries, `retain_grad()` one node, backpropagate from the last."""
    results = {}
    for library in LIBRARIES:
        env = program.run(library, retained)
        out = env[program.output]
        rng = np.random.default_rng(upstream_seed)
        first, second = (rng.standard_normal(tuple(out.shape)) for _ in range(2))
        if library == "torch":
            first, second = torch.tensor(first), torch.tensor(second)
        if implicit:
            out.backward()
        else:
            out.backward(first, retain_graph=twice)
            if twice:
                out.backward(second)
        results[library] = env
    return results


def assert_programs_agree(
    program: Program, results: dict[str, dict[str, Any]], retained: str | None
) -> None:
    ours, theirs = results["tinygrad_lr"], results["torch"]
    out, expected = ours[program.output], theirs[program.output]
    assert out.shape == tuple(expected.shape), "output shape"
    assert str(out.dtype) == torch_dtype_name(expected), "output dtype"
    np.testing.assert_allclose(out.numpy(), to_numpy(expected), **TOL, err_msg="output value")
    checked = [f"v{i}" for i in range(len(program.leaves))] + ([retained] if retained else [])
    grads = {name: (to_numpy(ours[name].grad), to_numpy(theirs[name].grad)) for name in checked}
    assume(all(np.abs(g).max(initial=0) < 1e6 for g, _ in grads.values() if g is not None))
    for name, (got, want) in grads.items():
        assert (got is None) == (want is None), f"{name}.grad: {got} vs PyTorch's {want}"
        if got is not None:
            assert got.shape == want.shape, f"{name}.grad shape"
            np.testing.assert_allclose(got, want, **TOL, err_msg=f"gradient of {name}")


@GRAPH_SETTINGS
@given(data=st.data())
def test_random_graph_matches_pytorch_in_value_and_in_every_gradient(data: st.DataObject):
    program = draw_program(data)
    retained = draw_retained(data, program)
    seed = data.draw(st.integers(0, 2**16), label="upstream seed")
    results = run_both(program, seed, retained, twice=False, implicit=False)
    assert_programs_agree(program, results, retained)


@settings(GRAPH_SETTINGS, max_examples=20)
@given(data=st.data())
def test_random_graph_gradients_accumulate_over_two_backward_calls_like_pytorch(
    data: st.DataObject,
):
    program = draw_program(data)
    retained = draw_retained(data, program)
    results = run_both(program, data.draw(st.integers(0, 2**16)), retained, True, False)
    assert_programs_agree(program, results, retained)


@settings(GRAPH_SETTINGS, max_examples=20)
@given(data=st.data())
def test_random_graph_reduced_to_a_scalar_backpropagates_without_an_explicit_gradient(
    data: st.DataObject,
):
    program = draw_program(data)
    total = f"v{len(program.leaves) + len(program.lines)}"
    program.lines.append((total, f"{program.output}.sum()"))
    note(f"{total} = {program.lines[-1][1]}")
    retained = draw_retained(data, program)
    results = run_both(program, 0, retained, twice=False, implicit=True)
    assert_programs_agree(program, results, retained)


@settings(GRAPH_SETTINGS, max_examples=30)
@given(
    leaves=leaf_arrays(),
    operator=st.sampled_from(["+", "-", "*", "/", "**"]),
    scalar=st.sampled_from([2, 0.5, -3.0]),
    data=st.data(),
)
def test_elementwise_ops_between_broadcastable_leaves_reduce_each_gradient_to_its_leaf_shape(
    leaves: list[np.ndarray], operator: str, scalar: float, data: st.DataObject
):
    if operator in ("/", "**"):  # keep to the domain: positive bases, denominators away from 0
        leaves = [np.abs(a) % 1.5 + 0.5 for a in leaves]  # in [0.5, 2)
    names = [f"v{i}" for i in range(len(leaves))]
    a, b = data.draw(st.sampled_from(names)), data.draw(st.sampled_from(names))
    forms = [
        f"{a} {operator} {b}",  # a leaf may meet itself: x * x, x ** x
        f"({a} {operator} {b}) {operator} {scalar}",
        f"{abs(scalar)} {operator} ({a} {operator} {b})",  # reflected: Python number first
    ]
    expr = data.draw(st.sampled_from(forms))
    program = Program(leaves, lines=[(f"v{len(leaves)}", expr)])
    note(program.text())
    retained = draw_retained(data, program)
    results = run_both(program, 0, retained, twice=False, implicit=False)
    assert_programs_agree(program, results, retained)


# =============================================================================================
# 2. PyTorch-style expressions, run unchanged on both libraries
# =============================================================================================
def positive(*shape: int, seed: int = 1) -> np.ndarray:
    """Values in [0.5, 2): the domain of log, fractional powers and denominators."""
    return random_inputs(shape, seed=seed, low=0.5, high=2.0)[0]


def compile_expression(expr: str, n_inputs: int) -> Callable[..., Any]:
    names = ", ".join("xyz"[:n_inputs])
    return eval(f"lambda {names}: {expr}", {"np": np, "torch": torch})


def case(expr: str, *inputs: Any, torch_expr: str | None = None, gradcheck: bool = True):
    return pytest.param(expr, inputs, torch_expr, gradcheck, id=expr)


EXPRESSIONS = [
    # elementwise arithmetic, broadcasting, reflected forms with Python scalars
    case("x + y", (2, 3), (3,)),
    case("x - y", (3, 1), (1, 4)),
    case("x * y", (), (2, 3)),
    case("x / y", (2, 3), positive(2, 1)),
    case("3 - x * 2.5 + 1", (2, 3)),
    case("2.5 / x", positive(3)),
    case("-x + x * x * x", (4,)),
    case("1 / (1 + (-x).exp())", (2, 3)),
    case("2 ** x", (2, 3)),
    case("x ** 2 + x ** 3", (4,)),
    case("x ** 0.5 + x ** -1.5", positive(2, 3)),
    case("x ** y", positive(2, 3), (3,)),
    case("(x * x + 1).log() - x.exp().log()", (2, 3)),
    case("x.relu() * y.relu()", (2, 3), (2, 3)),
    case("x.exp() + y", (), (3,)),
    # reductions
    case("x.sum((0, 2))", (2, 3, 4)),
    case("x.sum(-1, keepdim=True) / x.sum()", (2, 3)),
    case("x.mean(dim=[0, -1], keepdim=True)", (2, 3, 4)),
    case("((x - x.mean(0)) ** 2).mean(0)", (4, 3)),
    case("x.sum() * 2 + x.mean(0)", ()),
    case("x.max() - x.min()", (3, 4)),
    case("x.amax(dim=(0, 2), keepdim=True)", (2, 3, 4)),
    case("x.amin(dim=1)", (3, 4)),
    case("(x - x.amax(dim=-1, keepdim=True)).exp().sum(-1).log()", (3, 4)),
    case(
        "(x - x.max(dim=-1, keepdim=True).values).exp().sum(-1).log()",
        (3, 4),
    ),
    case("x.min(dim=0)[0] * x.max(1, True)[0]", (3, 3)),
    case("x.amin(0) * x.amax(1, True)", (3, 3)),
    case("x.max(dim=1).indices.float() + x.min(0).values", (3, 3)),
    case("(x.exp().sum(-1).log() - x[[0, 1, 2], [3, 0, 1]]).mean()", (3, 4)),
    # movement
    case("x.reshape(-1).unsqueeze(0).T.squeeze()", (2, 3)),
    case("x.view(3, -1) @ y", (2, 3), (2,)),
    case("x.transpose(0, 1)", (2, 3, 4)),
    case("x.transpose(-1, 0)", (2, 3, 4)),
    case("x.permute(2, 0, 1)", (2, 3, 4)),
    case("x.T @ x", (3, 2)),
    case("x.flatten(1)", (2, 3, 4)),
    case("x.flatten(0, 1)", (2, 3, 4)),
    case("x.flatten()", ()),
    case("x.squeeze(1).unsqueeze(-1)", (3, 1, 2)),
    case("x.squeeze((0, 2))", (1, 3, 1)),
    case("x.unsqueeze(0) * y.unsqueeze(-1)", (3,), (4,)),
    case("x.unsqueeze(-1)", ()),
    # matmul
    case("x @ y", (2, 1, 3, 4), (5, 4, 2)),
    case("x @ y", (3,), (3, 4)),
    case("x @ y", (3, 4), (4,)),
    case("x @ y", (4,), (4,)),
    case("x @ y", (4,), (2, 4, 3)),
    case("x @ y", (2, 3, 4), (4,)),
    case("(x @ y.T).relu().sum(dim=1, keepdim=True) / x.mean()", (3, 4), (5, 4)),
    # indexing
    case("x[[0, 0, 1], [2, 2, 0]] * 3", (3, 4)),
    case("x[[2, 0, 2]]", (3, 2)),
    case("x[:, [0, 0, 2]]", (2, 3)),
    case("x[[0, 1], :, [1, 1]]", (2, 3, 4)),
    case("x[[0, 1], 1:, [2, 3]]", (2, 3, 4)),
    case("x[1, [-1, 0, -1]]", (2, 3)),
    case("x[:, [True, False, True]]", (2, 3)),
    case("x[x.sum(1) > 0]", (4, 3)),
    case("x[2:2].sum() + x[x > 10].sum() + x.mean()", (3, 4)),
    case("x[..., None]", (2, 3)),
    case("x[None, :, None]", (3,)),
    case("x[1:, ::2]", (3, 5)),
    case("x[0] + x[-1, 1:].sum()", (3, 4)),
    case("x[x > 0]", (3, 4)),
    case("x[None]", ()),
    case("x.reshape(-1)[x.argmax()]", (3, 4)),
    case("x[[0, 1, 2], x.argmax(dim=1)]", (3, 4)),
    # conversions (a float32 round trip is not differentiable by central differences)
    case("x.float().double() * 2", (2, 3), gradcheck=False),
    case("x.double() + x", (2, 3)),
    # NumPy arrays as operands (torch needs tensors there, hence torch_expr)
    case(
        "x * np.arange(3.0) - np.ones((2, 1))",
        (2, 3),
        torch_expr="x * torch.arange(3.0, dtype=torch.float64) - torch.ones(2, 1).double()",
    ),
    case(
        "np.arange(3.0) - x / np.full(3, 2.0)",
        (2, 3),
        torch_expr="torch.arange(3.0).double() - x / torch.full((3,), 2.0).double()",
    ),
    case(
        "np.ones((2, 3)) @ x",
        (3, 4),
        torch_expr="torch.ones(2, 3, dtype=torch.float64) @ x",
    ),
    case("np.array([2.0, 3.0]) ** x", (3, 2), torch_expr="torch.tensor([2.0, 3.0]).double() ** x"),
    case("x ** np.array([1, 2, 3])", (2, 3), torch_expr="x ** torch.tensor([1, 2, 3])"),
]


@pytest.mark.parametrize(("expr", "inputs", "torch_expr", "gradcheck"), EXPRESSIONS)
def test_pytorch_style_expression_matches_pytorch_and_passes_gradcheck(
    expr: str, inputs: tuple[Any, ...], torch_expr: str | None, gradcheck: bool
):
    fn = compile_expression(expr, len(inputs))
    torch_fn = compile_expression(torch_expr, len(inputs)) if torch_expr else None
    check_op(fn, *inputs, torch_fn=torch_fn, run_gradcheck=gradcheck)


def test_squeeze_with_an_empty_tuple_of_dims_squeezes_nothing_like_torch():
    # torch: `dim` lists the dims that may be squeezed, so () squeezes none. (For sum, mean and
    # amax, dim=() does mean "all dims" in torch, and tinygrad_lr rightly does the same there.)
    check_op(lambda x: x.squeeze(()), (1, 3, 1))


def f32(*shape: int, seed: int = 2, positive_values: bool = False) -> np.ndarray:
    if positive_values:
        return positive(*shape, seed=seed).astype(np.float32)
    return random_inputs(shape, seed=seed)[0].astype(np.float32)


def f64(*shape: int, seed: int = 3) -> np.ndarray:
    return random_inputs(shape, seed=seed)[0]


def dtype_case(expr: str, *arrays: np.ndarray, id: str) -> Any:
    return pytest.param(expr, arrays, id=f"{id}: {expr}")


DTYPE_EXPRESSIONS = [
    # float32 stays float32 with Python numbers, 0-d float64 tensors and other float32 tensors
    dtype_case("x * 2.0 - 1", f32(2, 3), id="float32 with python numbers -> float32"),
    dtype_case("2 ** x", f32(2, 3), id="python int ** float32 -> float32"),
    dtype_case("x + y", f32(3), f64(), id="float32 + 0-d float64 -> float32"),
    dtype_case("x * y", f64(), f32(2, 3), id="0-d float64 * float32 -> float32"),
    dtype_case("x @ y", f32(2, 3), f32(3, 4), id="float32 matmul"),
    dtype_case("x ** y", f32(3, positive_values=True), f32(3), id="float32 pow"),
    dtype_case(
        "(x - x.amax(-1, keepdim=True)).exp().sum(-1).log()", f32(3, 4), id="float32 logsumexp"
    ),
    dtype_case("x.mean(0) / x.sum()", f32(3, 4), id="float32 reductions"),
    dtype_case("x[x > 0] * 2", f32(3, 4), id="float32 boolean mask"),
    dtype_case("x.relu() ** 2", f32(3, 4), id="float32 relu"),
    # between tensors of the same rank float64 wins; casts send gradients back in the old dtype
    dtype_case("x + y", f32(3), f64(3), id="float32 + float64 -> float64"),
    dtype_case("x * y", f32(), f64(), id="0-d float32 * 0-d float64 -> float64"),
    dtype_case("x.double() * y", f32(3), f64(3), id="float32.double()"),
    dtype_case("x.float() + 1", f64(2, 2), id="float64.float()"),
    # integers: true division and Python floats give float32; a float tensor decides the float
    dtype_case("x / 2", np.array([1, 2, 3]), id="int64 / int -> float32"),
    dtype_case("x + 1.5", np.array([1, 2, 3]), id="int64 + python float -> float32"),
    dtype_case("x * y", np.array([1, 2, 3]), f32(3), id="int64 * float32 -> float32"),
    dtype_case("y * x", np.array([1, 2, 3]), f32(), id="0-d float32 * int64 -> float32"),
    dtype_case("x + y", np.array([1, 2], np.int32), f64(), id="int32 + 0-d float64 -> float64"),
    dtype_case("x.float() / x.double()", np.array([1, 2]), id="int64 cast to both floats"),
]


@pytest.mark.parametrize(("expr", "arrays"), DTYPE_EXPRESSIONS)
def test_output_and_gradient_dtypes_follow_pytorch_and_float32_values_agree(
    expr: str, arrays: tuple[np.ndarray, ...]
):
    fn = compile_expression(expr, len(arrays))
    ours = [tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out, expected = fn(*ours), fn(*theirs)
    assert str(out.dtype) == torch_dtype_name(expected), "output dtype"
    assert out.shape == tuple(expected.shape), "output shape"
    np.testing.assert_allclose(out.numpy(), to_numpy(expected), **FLOAT32_TOL)
    assert out.requires_grad == expected.requires_grad
    if not expected.requires_grad:
        return
    upstream = np.random.default_rng(0).standard_normal(out.shape).astype(out.dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if b.grad is None:
            assert a.grad is None
            continue
        assert str(a.grad.dtype) == torch_dtype_name(b.grad) == str(a.dtype), f"grad {i} dtype"
        np.testing.assert_allclose(a.grad.numpy(), to_numpy(b.grad), **FLOAT32_TOL)


# =============================================================================================
# 3. Ties in max / min
# =============================================================================================
def dims_strategy(ndim: int) -> st.SearchStrategy[Any]:
    """None, one dim, or a tuple of distinct dims (negative ones included), for `ndim` dims."""
    if ndim == 0:
        return st.sampled_from([None, 0, -1])
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(one, min_size=1, max_size=ndim, unique_by=lambda d: d % ndim)
    return st.none() | one | several.map(tuple)


def grads_of(
    ours_fn: Callable[[Tensor], Tensor],
    torch_fn: Callable[[torch.Tensor], torch.Tensor],
    x: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Values agree; returns (our gradient, PyTorch's) under a fixed random upstream."""
    ours, theirs = tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours_fn(ours), torch_fn(theirs)
    assert isinstance(out, Tensor)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.numpy(), to_numpy(expected), **TOL)
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    return ours.grad.numpy(), theirs.grad.numpy()


TIED = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4),
    elements=st.sampled_from([-1.0, 0.0, 2.0]),  # three values: ties almost everywhere
)


@settings(max_examples=40, deadline=None)
@given(x=TIED, data=st.data())
def test_max_and_min_with_ties_split_the_gradient_like_torch_amax_and_amin(
    x: np.ndarray, data: st.DataObject
):
    method = data.draw(st.sampled_from(["amax", "amin"]))
    dim, keepdim = data.draw(dims_strategy(x.ndim)), data.draw(st.booleans())
    reference = torch.amax if method == "amax" else torch.amin
    got, want = grads_of(
        lambda t: getattr(t, method)(dim, keepdim),
        lambda t: reference(t, () if dim is None else dim, keepdim),
        x,
    )
    np.testing.assert_allclose(got, want, **TOL)


@settings(max_examples=20, deadline=None)
@given(x=TIED, method=st.sampled_from(["max", "min"]))
def test_max_and_min_of_all_elements_split_ties_like_torch_max_and_min(x: np.ndarray, method):
    got, want = grads_of(lambda t: getattr(t, method)(), lambda t: getattr(t, method)(), x)
    np.testing.assert_allclose(got, want, **TOL)


def test_max_of_equal_values_gives_each_element_an_equal_share_of_the_gradient():
    x = tensor(np.full((2, 2), 3.0), requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2), 0.25))
    got, want = grads_of(lambda t: t.max(), lambda t: torch.amax(t), np.full((2, 2), 3.0))
    np.testing.assert_allclose(got, want, **TOL)


def test_amax_along_a_dim_shares_each_rows_gradient_among_that_rows_ties_only():
    x = tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]], dtype=np.float64)
    x.requires_grad = True
    x.amax(dim=1).backward(np.array([1.0, 3.0, 2.0]))
    expected = [[0.0, 0.5, 0.5], [1.0, 1.0, 1.0], [0.0, 2.0, 0.0]]
    np.testing.assert_allclose(x.grad.numpy(), expected, **TOL)
    got, want = grads_of(lambda t: t.amax(1), lambda t: torch.amax(t, 1), x.numpy())
    np.testing.assert_allclose(got, want, **TOL)


def test_max_with_a_dim_sends_the_gradient_to_the_index_it_returns_like_torch():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]])
    got, want = grads_of(lambda t: t.max(1).values, lambda t: t.max(1).values, x)
    np.testing.assert_allclose(got, want, **TOL)
    assert (got != 0).tolist() == [[False, True, False], [True, False, False], [False, True, False]]


def test_max_with_a_dim_returns_values_and_indices_like_torch():
    data = np.array([[1.0, 4.0], [4.0, 4.0]])
    ours, theirs = tensor(data).max(dim=0), torch.tensor(data).max(dim=0)
    values, indices = ours
    np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
    assert ours[1] is ours.indices and indices.dtype == np.int64
    assert tensor(data).max(-1, True).values.shape == (2, 1)


def test_amin_with_ties_over_several_dims_with_keepdim_matches_torch_amin():
    x = np.array([[[1.0, 0.0], [0.0, 2.0]], [[0.0, 3.0], [1.0, 0.0]]])
    got, want = grads_of(
        lambda t: t.amin(dim=(0, -1), keepdim=True),
        lambda t: torch.amin(t, (0, -1), keepdim=True),
        x,
    )
    np.testing.assert_allclose(got, want, **TOL)


def test_tied_max_of_a_node_that_is_also_used_elsewhere_matches_torch():
    x = np.array([[2.0, 2.0, -1.0], [0.0, 0.0, 0.0]])
    got, want = grads_of(
        lambda t: (t - t.amax(dim=-1, keepdim=True)).exp().sum(-1) * t.min(),
        lambda t: (t - torch.amax(t, -1, keepdim=True)).exp().sum(-1) * t.min(),
        x,
    )
    np.testing.assert_allclose(got, want, **TOL)
