"""`tinygrad_lr.autograd.functional` against `torch.autograd.functional` (float64, 1e-9).

1. Random programs: a seeded generator writes small expression trees over a handful of
   differentiable ops (unary: sin, cos, tanh, sigmoid, exp∘tanh, square, log(1 + t²),
   √(1 + t²), softplus, cumsum, flip, softmax; binary: add, sub, mul, a / (1 + b²), a·σ(b)) on
   one to three inputs of small broadcastable shapes, every input used. `jacobian`, `hessian`,
   `vjp`, `jvp`, `hvp` and `vhp` of each program equal PyTorch's, with the same nesting of
   tuples and the same shapes, for a single tensor, a tuple of one tensor and a tuple of
   several; for one output and a tuple of outputs. Random vectors v, never ones.
2. `create_graph=True`: the results carry a graph back to the inputs, and their gradient
   (a third-order quantity for `hessian`, `hvp`, `vhp`) equals PyTorch's.
3. The arguments as PyTorch has them: `strict=True` raises exactly where PyTorch raises (an
   output independent of an input, an output that needs no gradient, a gradient independent
   of the inputs), `v` may be omitted for one element only, and a `v` of the wrong shape or
   number is an error.
4. Logistic regression: the Hessian of the mean cross-entropy of softmax regression with
   respect to (W, b), by `hessian`, equals the closed form
       H = Σₙ x̃ₙx̃ₙᵀ ⊗ (diag(pₙ) − pₙpₙᵀ) / N,   x̃ = (x, 1),
   in the layout θ = [W | b]ᵀ flattened (feature-major: θ[j·C + c] = W̃[c, j]), and its
   class-weighted form; for two classes with a single logit, X̃ᵀ diag(p(1 − p)) X̃ / N.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
import torch.autograd.functional as TAF
import torch.nn.functional as torch_F

import tinygrad_lr as tg
import tinygrad_lr.autograd.functional as AF
import tinygrad_lr.nn.functional as F
from tinygrad_lr.autograd import grad
from tinygrad_lr.errors import GraphError, ShapeError

TOL = {"rtol": 1e-9, "atol": 1e-9}
FUNCTIONALS = ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp")
SCALAR_OUTPUT = {"hessian", "hvp", "vhp"}  # the others take any output


# ---------------------------------------------------------------------------------------------
# Both libraries side by side
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Library:
    name: str
    tensor: Callable[..., Any]
    functional: Any  # the module with jacobian, hessian, ...
    grad: Callable[..., Any]
    softplus: Callable[..., Any]
    is_tensor: Callable[[Any], bool]


OURS = Library(
    "tinygrad_lr",
    lambda a, **k: tg.tensor(np.asarray(a, dtype=np.float64), **k),
    AF,
    grad,
    F.softplus,
    lambda t: isinstance(t, tg.Tensor),
)
TORCH = Library(
    "torch",
    lambda a, **k: torch.tensor(np.asarray(a, dtype=np.float64), **k),
    TAF,
    torch.autograd.grad,
    torch_F.softplus,
    lambda t: isinstance(t, torch.Tensor),
)


def as_numpy(t: Any) -> np.ndarray:
    return t.detach().numpy()


def assert_same(ours: Any, theirs: Any, what: str) -> None:
    """The same nesting of tuples, the same shapes and the same values (1e-9)."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), f"{what}: PyTorch gives a tensor, we give {ours!r}"
        assert tuple(ours.shape) == tuple(theirs.shape), (
            f"{what}: shape {tuple(ours.shape)}, PyTorch's {tuple(theirs.shape)}"
        )
        np.testing.assert_allclose(as_numpy(ours), as_numpy(theirs), **TOL, err_msg=what)
        return
    assert isinstance(theirs, tuple), f"{what}: unexpected {type(theirs)} from PyTorch"
    assert isinstance(ours, tuple), f"{what}: PyTorch gives a tuple, we give {type(ours)}"
    assert len(ours) == len(theirs), f"{what}: {len(ours)} items, PyTorch's {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_same(a, b, f"{what}[{i}]")


def tensors_in(result: Any) -> list[Any]:
    """Every tensor of a nested tuple, in order."""
    if isinstance(result, tuple):
        return [t for r in result for t in tensors_in(r)]
    return [] if result is None else [result]


# ---------------------------------------------------------------------------------------------
# Random programs
# ---------------------------------------------------------------------------------------------
UNARY: dict[str, Callable[[Library, Any], Any]] = {
    "sin": lambda lib, t: t.sin(),
    "cos": lambda lib, t: t.cos(),
    "tanh": lambda lib, t: t.tanh(),
    "sigmoid": lambda lib, t: t.sigmoid(),
    "exp∘tanh": lambda lib, t: t.tanh().exp(),
    "square": lambda lib, t: t * t,
    "log(1+t²)": lambda lib, t: (t * t + 1).log(),
    "√(1+t²)": lambda lib, t: (t * t + 1).sqrt(),
    "softplus": lambda lib, t: lib.softplus(t),
    # these need a dim
    "cumsum": lambda lib, t: t.cumsum(-1),
    "flip": lambda lib, t: t.flip(-1),
    "softmax": lambda lib, t: t.softmax(-1),
}
NEEDS_A_DIM = {"cumsum", "flip", "softmax"}
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1 + b * b),
    "gate": lambda a, b: a * b.sigmoid(),
}
BASE_SHAPES = [(3,), (2, 3), (2, 2)]


@dataclass(frozen=True)
class Program:
    """An expression tree: ("x", i) a leaf, (unary name, node), (binary name, node, node)."""

    tree: tuple
    inputs: tuple[np.ndarray, ...]
    weights: np.ndarray  # the scalar output is Σ weights · tree (random, never ones)

    def text(self, node: tuple | None = None) -> str:
        node = self.tree if node is None else node
        if node[0] == "x":
            return f"x{node[1]}"
        return f"{node[0]}({', '.join(self.text(n) for n in node[1:])})"

    def evaluate(self, lib: Library, xs: tuple, node: tuple | None = None) -> Any:
        node = self.tree if node is None else node
        if node[0] == "x":
            return xs[node[1]]
        args = [self.evaluate(lib, xs, n) for n in node[1:]]
        if node[0] in UNARY:
            return UNARY[node[0]](lib, *args)
        return BINARY[node[0]](*args)

    def vector(self, lib: Library) -> Callable[..., Any]:
        return lambda *xs: self.evaluate(lib, xs)

    def scalar(self, lib: Library) -> Callable[..., Any]:
        w = lib.tensor(self.weights)
        return lambda *xs: (self.evaluate(lib, xs) * w).sum()

    def pair(self, lib: Library) -> Callable[..., Any]:
        """Two outputs: the tree and a scalar of it."""

        def both(*xs: Any) -> tuple:
            out = self.evaluate(lib, xs)
            return out, (out * out).sum().tanh()

        return both


def random_program(seed: int) -> Program:
    """One to three inputs (the first of the base shape, the others of the base shape, its
    last dim or 0-d); each through a random unary op, combined by random binary ops (so every
    input is used), then up to two more ops, one of which may bring an input in again."""
    rng = np.random.default_rng(seed)
    base = BASE_SHAPES[rng.integers(len(BASE_SHAPES))]
    n = int(rng.integers(1, 4))
    shapes = [base] + [[base, base[-1:], ()][rng.integers(3)] for _ in range(n - 1)]

    def unary(node: tuple, ndim: int) -> tuple:
        names = [u for u in UNARY if ndim or u not in NEEDS_A_DIM]
        return (names[rng.integers(len(names))], node)

    def binary(a: tuple, b: tuple) -> tuple:
        names = list(BINARY)
        pair = (a, b) if rng.random() < 0.5 else (b, a)
        return (names[rng.integers(len(names))], *pair)

    nodes = [
        (unary(("x", i), len(s)) if rng.random() < 0.7 else ("x", i)) for i, s in enumerate(shapes)
    ]
    tree = nodes[0]
    for node in nodes[1:]:
        tree = binary(tree, node)
    for _ in range(int(rng.integers(1, 3))):
        tree = (
            unary(tree, len(base))
            if rng.random() < 0.7
            else binary(tree, ("x", int(rng.integers(n))))
        )
    inputs = tuple(rng.standard_normal(s) for s in shapes)
    return Program(tree, inputs, rng.standard_normal(base))


SEEDS = range(40)


def inputs_for(program: Program, lib: Library, form: str, **kwargs: Any) -> Any:
    """The inputs as a single tensor ("single", one input only), or a tuple."""
    xs = tuple(lib.tensor(a, **kwargs) for a in program.inputs)
    return xs[0] if form == "single" else xs


def form_of(program: Program, seed: int) -> str:
    """A single tensor for one input on even seeds, a tuple otherwise."""
    return "single" if len(program.inputs) == 1 and seed % 2 == 0 else "tuple"


def vectors_like(shapes: list[tuple[int, ...]], lib: Library, seed: int, form: str) -> Any:
    rng = np.random.default_rng(seed + 1000)
    vs = tuple(lib.tensor(rng.standard_normal(s)) for s in shapes)
    return vs[0] if form == "single" else vs


# ---------------------------------------------------------------------------------------------
# 1. The six functions on random programs
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_hessian_matches_pytorch(seed):
    program = random_program(seed)
    form = form_of(program, seed)
    ours = AF.hessian(program.scalar(OURS), inputs_for(program, OURS, form))
    theirs = TAF.hessian(program.scalar(TORCH), inputs_for(program, TORCH, form))
    assert_same(ours, theirs, f"hessian of {program.text()}")


@pytest.mark.parametrize("seed", SEEDS)
def test_hvp_and_vhp_match_pytorch(seed):
    program = random_program(seed)
    form = form_of(program, seed)
    shapes = [a.shape for a in program.inputs]
    for name in ("hvp", "vhp"):
        ours = getattr(AF, name)(
            program.scalar(OURS),
            inputs_for(program, OURS, form),
            vectors_like(shapes, OURS, seed, form),
        )
        theirs = getattr(TAF, name)(
            program.scalar(TORCH),
            inputs_for(program, TORCH, form),
            vectors_like(shapes, TORCH, seed, form),
        )
        assert_same(ours, theirs, f"{name} of {program.text()}")


@pytest.mark.parametrize("seed", SEEDS)
def test_jacobian_matches_pytorch_for_one_output_and_a_tuple_of_outputs(seed):
    program = random_program(seed)
    form = form_of(program, seed)
    for outputs in ("vector", "pair"):
        ours = AF.jacobian(getattr(program, outputs)(OURS), inputs_for(program, OURS, form))
        theirs = TAF.jacobian(getattr(program, outputs)(TORCH), inputs_for(program, TORCH, form))
        assert_same(ours, theirs, f"jacobian of {outputs} {program.text()}")


@pytest.mark.parametrize("seed", SEEDS)
def test_vjp_and_jvp_match_pytorch(seed):
    program = random_program(seed)
    form = form_of(program, seed)
    out_shapes = [np.broadcast_shapes(*[a.shape for a in program.inputs]), ()]
    in_shapes = [a.shape for a in program.inputs]
    for outputs, out_form in (("vector", "single"), ("pair", "tuple")):
        ours = AF.vjp(
            getattr(program, outputs)(OURS),
            inputs_for(program, OURS, form),
            vectors_like(out_shapes[: 1 + (out_form == "tuple")], OURS, seed, out_form),
        )
        theirs = TAF.vjp(
            getattr(program, outputs)(TORCH),
            inputs_for(program, TORCH, form),
            vectors_like(out_shapes[: 1 + (out_form == "tuple")], TORCH, seed, out_form),
        )
        assert_same(ours, theirs, f"vjp of {outputs} {program.text()}")
        ours = AF.jvp(
            getattr(program, outputs)(OURS),
            inputs_for(program, OURS, form),
            vectors_like(in_shapes, OURS, seed, form),
        )
        theirs = TAF.jvp(
            getattr(program, outputs)(TORCH),
            inputs_for(program, TORCH, form),
            vectors_like(in_shapes, TORCH, seed, form),
        )
        assert_same(ours, theirs, f"jvp of {outputs} {program.text()}")


def test_the_random_programs_use_every_op_of_the_generator():
    used: set[str] = set()

    def walk(node: tuple) -> None:
        if node[0] != "x":
            used.add(node[0])
            for n in node[1:]:
                walk(n)

    for seed in SEEDS:
        walk(random_program(seed).tree)
    assert used == set(UNARY) | set(BINARY), (set(UNARY) | set(BINARY)) - used
    assert {len(random_program(s).inputs) for s in SEEDS} == {1, 2, 3}
    assert {form_of(random_program(s), s) for s in SEEDS} == {"single", "tuple"}


# ---------------------------------------------------------------------------------------------
# 2. create_graph=True: the results can be differentiated again
# ---------------------------------------------------------------------------------------------
def call(lib: Library, name: str, program: Program, seed: int, form: str, **kwargs: Any):
    """`name` of the program (scalar for hessian, hvp, vhp; a tuple of outputs for the others),
    with random v where it takes one; the inputs require grad."""
    xs = inputs_for(program, lib, form, requires_grad=True)
    in_shapes = [a.shape for a in program.inputs]
    fn = program.scalar(lib) if name in SCALAR_OUTPUT else program.pair(lib)
    if name == "vjp":
        out_shapes = [np.broadcast_shapes(*in_shapes), ()]
        kwargs["v"] = vectors_like(out_shapes, lib, seed, "tuple")
    elif name in ("jvp", "hvp", "vhp"):
        kwargs["v"] = vectors_like(in_shapes, lib, seed, form)
    return xs, getattr(lib.functional, name)(fn, xs, **kwargs)


@pytest.mark.parametrize("seed", [1, 4, 7])
@pytest.mark.parametrize("name", FUNCTIONALS)
def test_create_graph_results_can_be_differentiated_again_as_in_pytorch(name, seed):
    program = random_program(seed)
    form = form_of(program, seed)
    gradients, with_graph = [], []
    for lib in (OURS, TORCH):
        xs, result = call(lib, name, program, seed, form, create_graph=True)
        xs = xs if isinstance(xs, tuple) else (xs,)
        products = tensors_in(result if name in ("jacobian", "hessian") else result[1])
        # a block that does not depend on the inputs (a zero or constant one) has no graph
        with_graph.append([t.requires_grad for t in products])
        rng = np.random.default_rng(seed)
        total = sum((t * lib.tensor(rng.standard_normal(tuple(t.shape)))).sum() for t in products)
        grads = lib.grad(total, xs, allow_unused=True)
        gradients.append(
            tuple(np.zeros(x.shape) if g is None else as_numpy(g) for g, x in zip(grads, xs))
        )
    assert with_graph[0] == with_graph[1], "which results have a graph: ours vs PyTorch's"
    assert any(with_graph[0])
    for i, (a, b) in enumerate(zip(*gradients)):
        np.testing.assert_allclose(a, b, **TOL, err_msg=f"{name}: gradient of input {i}")


@pytest.mark.parametrize("name", FUNCTIONALS)
def test_without_create_graph_the_results_have_no_graph(name):
    program = random_program(2)
    _, result = call(OURS, name, program, 2, "tuple")
    for t in tensors_in(result):
        assert not t.requires_grad and t.grad_fn is None


# ---------------------------------------------------------------------------------------------
# 3. strict, v omitted, v of the wrong shape
# ---------------------------------------------------------------------------------------------
# name: (function of the inputs written for either library, number of inputs)
STRICT_FUNCTIONS: dict[str, tuple[Callable[..., Any], int]] = {
    "every input used": (lambda x, y: (x * y).sin(), 2),
    "an input unused": (lambda x, y: x.sin(), 2),
    "linear": (lambda x: x * 2, 1),
    "bilinear": (lambda x, y: x * y, 2),
    "needs no gradient": (lambda x: x.detach() * 2, 1),
}


def strict_call(lib: Library, name: str, fn_name: str, strict: bool) -> Any:
    fn, n = STRICT_FUNCTIONS[fn_name]
    rng = np.random.default_rng(5)
    xs = tuple(lib.tensor(rng.standard_normal(3)) for _ in range(n))
    f = (lambda *a: fn(*a).sum()) if name in SCALAR_OUTPUT else fn
    if name == "vjp":
        return lib.functional.vjp(f, xs, lib.tensor(rng.standard_normal(3)), strict=strict)
    if name in ("jvp", "hvp", "vhp"):
        vs = tuple(lib.tensor(rng.standard_normal(3)) for _ in range(n))
        return getattr(lib.functional, name)(f, xs, vs, strict=strict)
    return getattr(lib.functional, name)(f, xs, strict=strict)


@pytest.mark.parametrize("fn_name", STRICT_FUNCTIONS)
@pytest.mark.parametrize("name", FUNCTIONALS)
def test_strict_raises_where_pytorch_raises(name, fn_name):
    try:
        theirs = strict_call(TORCH, name, fn_name, strict=True)
    except RuntimeError:
        with pytest.raises(GraphError):
            strict_call(OURS, name, fn_name, strict=True)
    else:
        assert_same(strict_call(OURS, name, fn_name, strict=True), theirs, f"{name} strict")


@pytest.mark.parametrize("fn_name", STRICT_FUNCTIONS)
@pytest.mark.parametrize("name", FUNCTIONALS)
def test_without_strict_independent_parts_are_zeros_as_in_pytorch(name, fn_name):
    ours = strict_call(OURS, name, fn_name, strict=False)
    theirs = strict_call(TORCH, name, fn_name, strict=False)
    assert_same(ours, theirs, f"{name} of {fn_name}")


# name: (functional, function, input values) with v omitted: allowed for one element
ONE_ELEMENT = {
    "vjp of a 0-d output": ("vjp", lambda x: (x.sin() * x).sum(), [0.3, -1.2, 2.0]),
    "vjp of a (1,) output": ("vjp", lambda x: (x * x).sum().reshape(1), [0.3, -1.2]),
    "jvp of a 0-d input": ("jvp", lambda x: x.sin() * x, 0.7),
    "jvp of a (1,) input": ("jvp", lambda x: (x * x).expand(3) * 2, [0.7]),
    "hvp of a 0-d input": ("hvp", lambda x: (x.sin() * x.exp()).tanh(), 0.7),
    "vhp of a (1, 1) input": ("vhp", lambda x: (x.sin() * x.exp()).tanh().sum(), [[0.7]]),
}


@pytest.mark.parametrize("case", ONE_ELEMENT)
def test_v_may_be_omitted_for_one_element_as_in_pytorch(case):
    name, fn, value = ONE_ELEMENT[case]
    ours = getattr(AF, name)(fn, OURS.tensor(value))
    theirs = getattr(TAF, name)(fn, TORCH.tensor(value))
    assert_same(ours, theirs, case)


# name: (functional, function, input shapes, v shapes or None): each is an error in both
WRONG_V = {
    "vjp without v, 3 outputs": ("vjp", lambda x: x.sin(), [(3,)], None),
    "vjp v of the input's shape": ("vjp", lambda x: x.sum(1), [(2, 3)], [(2, 3)]),
    "vjp v transposed": ("vjp", lambda x: x.sin(), [(2, 3)], [(3, 2)]),
    "vjp two vs for one output": ("vjp", lambda x: x.sin(), [(3,)], [(3,), (3,)]),
    "jvp without v, 3 inputs": ("jvp", lambda x: x.sin(), [(3,)], None),
    "jvp v of the output's shape": ("jvp", lambda x: x.sum(1), [(2, 3)], [(2,)]),
    "jvp one v for two inputs": ("jvp", lambda x, y: x * y, [(3,), (3,)], [(3,)]),
    "hvp without v": ("hvp", lambda x: x.sin().sum(), [(3,)], None),
    "hvp v too long": ("hvp", lambda x: x.sin().sum(), [(3,)], [(4,)]),
    "vhp v of another input": ("vhp", lambda x, y: (x * y).sum(), [(3,), (1,)], [(3,), (3,)]),
    "hessian of a vector": ("hessian", lambda x: x.sin(), [(3,)], None),
}


@pytest.mark.parametrize("case", WRONG_V)
def test_a_wrong_v_is_an_error_as_in_pytorch(case):
    name, fn, shapes, v_shapes = WRONG_V[case]
    for lib, error in ((TORCH, RuntimeError), (OURS, (ShapeError, GraphError))):
        xs = tuple(lib.tensor(np.full(s, 0.5)) for s in shapes)
        args = [] if v_shapes is None else [tuple(lib.tensor(np.ones(s)) for s in v_shapes)]
        with pytest.raises(error):
            getattr(lib.functional, name)(fn, xs, *args)


# ---------------------------------------------------------------------------------------------
# 4. Logistic regression: the Hessian of the cross-entropy in closed form
# ---------------------------------------------------------------------------------------------
N, D, C = 7, 3, 3
RNG = np.random.default_rng(42)
X = RNG.standard_normal((N, D))
Y = np.array([0, 2, 1, 1, 0, 2, 2])
CLASS_WEIGHTS = np.array([0.5, 2.0, 1.25])
W0, B0 = RNG.standard_normal((C, D)) * 0.5, RNG.standard_normal(C) * 0.5


def softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def closed_form_softmax_hessian(weights: np.ndarray | None) -> np.ndarray:
    """Σₙ wₙ x̃ₙx̃ₙᵀ ⊗ (diag(pₙ) − pₙpₙᵀ) / Σₙ wₙ (wₙ = 1: the mean), feature-major."""
    x1 = np.hstack([X, np.ones((N, 1))])
    p = softmax_rows(X @ W0.T + B0)
    w = np.ones(N) if weights is None else weights[Y]
    blocks = [
        w[n] * np.kron(np.outer(x1[n], x1[n]), np.diag(p[n]) - np.outer(p[n], p[n]))
        for n in range(N)
    ]
    return sum(blocks) / w.sum()


def feature_major(h_ww, h_wb, h_bw, h_bb) -> np.ndarray:
    """The four blocks of hessian(loss, (W, b)) as one matrix over θ = [W | b]ᵀ flattened:
    entry [(j, c), (j', c')] is ∂²L / ∂W̃[c, j] ∂W̃[c', j'], with column D of W̃ the bias."""
    t = np.empty((D + 1, C, D + 1, C))
    t[:D, :, :D, :] = h_ww.transpose(1, 0, 3, 2)  # [c, j, c', j'] → [j, c, j', c']
    t[:D, :, D, :] = h_wb.transpose(1, 0, 2)  # [c, j, c'] → [j, c, c']
    t[D, :, :D, :] = h_bw.transpose(0, 2, 1)  # [c, c', j'] → [c, j', c']
    t[D, :, D, :] = h_bb
    return t.reshape((D + 1) * C, (D + 1) * C)


def softmax_loss(lib: Library, weights: np.ndarray | None) -> Callable[..., Any]:
    x, y = lib.tensor(X), Y
    if lib is TORCH:
        y = torch.tensor(Y)
        w = None if weights is None else torch.tensor(weights)
        return lambda W, b: torch_F.cross_entropy(x @ W.T + b, y, weight=w)
    return lambda W, b: F.cross_entropy(x @ W.T + b, y, weight=weights)


@pytest.mark.parametrize("weights", [None, CLASS_WEIGHTS], ids=["unweighted", "class-weighted"])
def test_softmax_regression_hessian_equals_the_closed_form(weights):
    blocks = AF.hessian(softmax_loss(OURS, weights), (OURS.tensor(W0), OURS.tensor(B0)))
    (h_ww, h_wb), (h_bw, h_bb) = blocks
    assert tuple(h_ww.shape) == (C, D, C, D) and tuple(h_wb.shape) == (C, D, C)
    assert tuple(h_bw.shape) == (C, C, D) and tuple(h_bb.shape) == (C, C)
    h = feature_major(*(as_numpy(b) for b in (h_ww, h_wb, h_bw, h_bb)))
    np.testing.assert_allclose(h, closed_form_softmax_hessian(weights), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, h.T, rtol=0, atol=1e-14)
    # the softmax's redundant direction: adding the same vector to every class changes nothing
    shift = np.kron(np.ones(D + 1), np.ones(C))
    np.testing.assert_allclose(h @ shift, 0, atol=1e-12)
    theirs = TAF.hessian(softmax_loss(TORCH, weights), (TORCH.tensor(W0), TORCH.tensor(B0)))
    assert_same(blocks, theirs, "softmax regression hessian")


def binary_loss(lib: Library, weights: np.ndarray | None) -> Callable[..., Any]:
    """Mean binary cross-entropy of σ(Xw + b) (class-weighted: Σ wₙ ℓₙ / Σ wₙ)."""
    x, y = lib.tensor(X), lib.tensor((Y > 0).astype(np.float64))
    bce = (
        F.binary_cross_entropy_with_logits
        if lib is OURS
        else torch_F.binary_cross_entropy_with_logits
    )
    if weights is None:
        return lambda w, b: bce(x @ w + b, y)
    per_sample = weights[(Y > 0).astype(int)]
    wn = lib.tensor(per_sample)
    return lambda w, b: bce(x @ w + b, y, weight=wn, reduction="sum") / per_sample.sum()


@pytest.mark.parametrize(
    "weights", [None, np.array([0.3, 1.7])], ids=["unweighted", "class-weighted"]
)
def test_two_classes_with_one_logit_give_x_diag_p_1_minus_p_x(weights):
    w0, b0 = RNG.standard_normal(D), 0.3
    x1 = np.hstack([X, np.ones((N, 1))])
    p = 1 / (1 + np.exp(-(x1 @ np.append(w0, b0))))
    per_sample = np.ones(N) if weights is None else weights[(Y > 0).astype(int)]
    expected = x1.T @ np.diag(per_sample * p * (1 - p)) @ x1 / per_sample.sum()
    (h_ww, h_wb), (h_bw, h_bb) = AF.hessian(
        binary_loss(OURS, weights), (OURS.tensor(w0), OURS.tensor(b0))
    )
    h = np.empty((D + 1, D + 1))
    h[:D, :D], h[:D, D], h[D, :D], h[D, D] = (as_numpy(b) for b in (h_ww, h_wb, h_bw, h_bb))
    np.testing.assert_allclose(h, expected, rtol=1e-10, atol=1e-12)
    theirs = TAF.hessian(binary_loss(TORCH, weights), (TORCH.tensor(w0), TORCH.tensor(b0)))
    assert_same(((h_ww, h_wb), (h_bw, h_bb)), theirs, "binary logistic hessian")


def test_hvp_of_the_softmax_loss_is_the_closed_form_hessian_times_v():
    v_w, v_b = RNG.standard_normal((C, D)), RNG.standard_normal(C)
    _, (hv_w, hv_b) = AF.hvp(
        softmax_loss(OURS, CLASS_WEIGHTS),
        (OURS.tensor(W0), OURS.tensor(B0)),
        (OURS.tensor(v_w), OURS.tensor(v_b)),
    )
    theta_v = np.vstack([v_w.T, v_b[None, :]]).reshape(-1)  # feature-major, as the closed form
    expected = (closed_form_softmax_hessian(CLASS_WEIGHTS) @ theta_v).reshape(D + 1, C)
    np.testing.assert_allclose(as_numpy(hv_w), expected[:D].T, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(as_numpy(hv_b), expected[D], rtol=1e-10, atol=1e-12)
