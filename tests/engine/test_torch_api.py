"""The top level works as `torch` for the subset tinygrad_lr has: creation functions, dtypes,
PyTorch's dtype rules, indexing, in-place updates, `view`, `autograd.grad`."""

import subprocess
import sys

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
from tinygrad_lr import DtypeError, GraphError, ShapeError


def _same(ours, theirs):
    theirs_np = theirs.detach().numpy()
    assert ours.shape == tuple(theirs.shape), (ours.shape, theirs.shape)
    assert ours.dtype == theirs_np.dtype, (ours.dtype, theirs_np.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs_np, rtol=1e-6, atol=1e-7)


CREATION = {
    "zeros": lambda L: L.zeros(2, 3),
    "zeros tuple": lambda L: L.zeros((2, 3), dtype=L.float64),
    "ones int": lambda L: L.ones(3, dtype=L.long),
    "full float": lambda L: L.full((2, 2), 1.5),
    "full int": lambda L: L.full((2,), 7),
    "full bool": lambda L: L.full((2,), True),
    "arange int": lambda L: L.arange(5),
    "arange float": lambda L: L.arange(0, 1, 0.25),
    "arange start end": lambda L: L.arange(2, 7, 2),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "eye": lambda L: L.eye(3),
    "eye rect": lambda L: L.eye(2, 4),
    "tensor float list": lambda L: L.tensor([1.0, 2.0]),
    "tensor int list": lambda L: L.tensor([[1, 2]]),
    "tensor float64 array": lambda L: L.tensor(np.zeros(3)),
    "as_tensor": lambda L: L.as_tensor(np.arange(3.0)),
    "from_numpy int32": lambda L: L.from_numpy(np.arange(3, dtype=np.int32)),
    "LongTensor": lambda L: L.LongTensor([1, 2]),
    "FloatTensor": lambda L: L.FloatTensor([1, 2]),
    "zeros_like": lambda L: L.zeros_like(L.tensor([[1, 2]])),
    "ones_like float64": lambda L: L.ones_like(L.tensor(np.zeros(2)), dtype=L.float64),
    "full_like": lambda L: L.full_like(L.tensor([1.0, 2.0]), 3),
}


@pytest.mark.parametrize("name", CREATION)
def test_creation_functions_match_pytorch(name):
    _same(CREATION[name](tg), CREATION[name](torch))


SEEDED = {
    "rand": lambda L: L.rand(3, 4),
    "randn": lambda L: L.randn(20),
    "randn float64": lambda L: L.randn(2, 3, dtype=L.float64),
    "randint": lambda L: L.randint(0, 10, (6,)),
    "randint high": lambda L: L.randint(5, (2, 3)),
    "randperm": lambda L: L.randperm(10),
    "rand then randn": lambda L: L.rand(3) + L.randn(3),
    "uniform_": lambda L: L.zeros(5).uniform_(-2, 3),
    "normal_": lambda L: L.zeros(17).normal_(1.0, 0.5),
}


@pytest.mark.parametrize("name", SEEDED)
@pytest.mark.parametrize("seed", [0, 1234])
def test_seeded_random_functions_draw_pytorchs_numbers(name, seed):
    tg.manual_seed(seed)
    ours = SEEDED[name](tg)
    torch.manual_seed(seed)
    theirs = SEEDED[name](torch)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_dtype_names_are_pytorchs():
    assert tg.float == tg.float32 == np.float32 and tg.double == tg.float64
    assert tg.long == tg.int64 and tg.tensor([1]).dtype == tg.long


EXPRESSIONS = {
    "exp of int": lambda L: L.tensor([1, 2]).exp(),
    "sqrt of int": lambda L: L.tensor(4).sqrt(),
    "sum of bool": lambda L: L.tensor([True, False, True]).sum(),
    "sum of int32": lambda L: L.tensor(np.array([1, 2], np.int32)).sum(),
    "min of int": lambda L: L.tensor([3, -1, 2]).min(),
    "max of bool": lambda L: L.tensor([True, False]).max(),
    "amin of int dim": lambda L: L.tensor([[3, -1], [0, 5]]).amin(dim=0),
    "prod of int": lambda L: L.tensor([2, 3, 4]).prod(),
    "eq": lambda L: L.eq(L.tensor([1, 2, 3]), L.tensor([1, 0, 3])),
    "eq sum item": lambda L: L.tensor(L.eq(L.tensor([1, 2]), L.tensor([1, 2])).sum().item()),
    "argmax": lambda L: L.argmax(L.tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1),
    "function forms": lambda L: L.sigmoid(L.tanh(L.tensor([0.5, -1.0]))),
    "where": lambda L: L.where(L.tensor([True, False]), L.tensor([1.0, 2.0]), 0.0),
    "cat ints": lambda L: L.cat([L.tensor([1, 2]), L.tensor([3])]),
    "stack": lambda L: L.stack([L.tensor([1.0]), L.tensor([2.0])], dim=1),
    "index ints and list": lambda L: L.arange(24).reshape(2, 3, 4)[0, :, [0, 1]],
    "index list ints": lambda L: L.arange(24).reshape(2, 3, 4)[[0, 1], 1, 2],
    "index slice list int": lambda L: L.arange(24).reshape(2, 3, 4)[:, [0, 2], 1],
    "index bool": lambda L: L.arange(4)[L.tensor([True, False, True, False])],
    "long of float": lambda L: L.tensor([1.7, -1.7]).long(),
    "to dtype": lambda L: L.tensor([1, 2]).to(L.float64),
    "to device": lambda L: L.tensor([1.0]).to("cpu"),
    "expand": lambda L: L.tensor([[1], [2]]).expand(2, 3),
    "repeat": lambda L: L.tensor([1, 2]).repeat(2, 2),
    "clamp int": lambda L: L.tensor([1, 5, 9]).clamp(2, 6),
    "std default": lambda L: L.tensor([1.0, 2.0, 4.0]).std(),
}


@pytest.mark.parametrize("name", EXPRESSIONS)
def test_expressions_give_pytorchs_values_and_dtypes(name):
    _same(EXPRESSIONS[name](tg), EXPRESSIONS[name](torch))


def test_mean_of_integers_raises_as_in_pytorch():
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).mean()
    with pytest.raises(DtypeError, match="floating-point"):
        tg.tensor([1, 2]).mean()


def test_a_cast_to_an_integer_dtype_is_not_differentiable():
    w = tg.tensor([1.5, 2.5], requires_grad=True)
    assert (
        not w.long().requires_grad
        and not torch.tensor([1.5], requires_grad=True).long().requires_grad
    )


def test_matmul_of_different_float_dtypes_raises_as_in_pytorch():
    with pytest.raises(RuntimeError):
        torch.zeros(2, 2, dtype=torch.float64) @ torch.zeros(2, 2)
    with pytest.raises(DtypeError, match="same dtype"):
        tg.zeros(2, 2, dtype=tg.float64) @ tg.zeros(2, 2)


def test_view_of_a_non_contiguous_tensor_raises_as_in_pytorch_and_reshape_copies():
    with pytest.raises(RuntimeError, match="view"):
        torch.zeros(2, 3).t().view(6)
    x = tg.zeros(2, 3)
    with pytest.raises(ShapeError, match="reshape"):
        x.T.view(6)
    assert x.T.reshape(6).shape == (6,)
    assert np.shares_memory(x.view(3, 2).numpy(), x.numpy())


def test_in_place_updates_under_no_grad_change_the_tensor_as_in_pytorch():
    for L in (tg, torch):
        w = L.tensor([1.0, 2.0], requires_grad=True)
        (w * w).sum().backward()
        with L.no_grad():
            w -= 0.5 * w.grad
            w.add_(1.0)
            w.mul_(2.0)
            w[0] = 10.0
        assert w.tolist() == [10.0, 2.0] and w.requires_grad and w.grad_fn is None
        assert w._version == 4


def test_in_place_update_of_a_leaf_that_requires_grad_outside_no_grad_raises():
    w = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(GraphError, match="leaf"):
        w += 1
    with pytest.raises(GraphError, match="leaf"):
        w[0] = 2.0


def test_an_in_place_update_that_would_change_the_dtype_raises_as_in_pytorch():
    with pytest.raises(RuntimeError):
        torch.tensor([1, 2]).add_(0.5)
    with pytest.raises(DtypeError, match="can't be cast"):
        tg.tensor([1, 2]).add_(0.5)


@pytest.mark.parametrize("seed", [0, 7])
def test_fill_copy_clamp_in_place(seed):
    for L in (tg, torch):
        x = L.zeros(3)
        x.fill_(2.0)
        x.copy_(L.tensor([1.0, -5.0, 5.0]))
        x.clamp_(-1, 1)
        assert x.tolist() == [1.0, -1.0, 1.0]


def test_autograd_grad_returns_the_gradients_without_touching_grad():
    for L in (tg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        y = L.tensor([3.0], requires_grad=True)
        (gx, gy) = L.autograd.grad((x * x * y).sum(), [x, y])
        assert gx.tolist() == [6.0, 12.0] and gy.tolist() == [5.0] and x.grad is None


def test_autograd_grad_refuses_an_unused_input_unless_allowed():
    x, z = tg.tensor([1.0], requires_grad=True), tg.tensor([1.0], requires_grad=True)
    with pytest.raises(GraphError, match="not used"):
        tg.autograd.grad((x * 2).sum(), [x, z])
    assert tg.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)[1] is None


# --- found by trying learners' code against PyTorch ---------------------------------------------
def test_comparisons_with_python_floats_happen_in_the_tensors_dtype_as_in_pytorch():
    for L in (tg, torch):
        x = L.linspace(0, 1, 11)
        assert (x <= 0.3).sum().item() == 4  # 0.3 rounded to float32 first
        assert (L.tensor([0.1, 0.2]) == 0.1).tolist() == [True, False]


def test_a_0d_index_tensor_acts_as_an_int_in_pytorchs_indexing_order():
    ours = tg.arange(24).reshape(2, 3, 4)[tg.tensor(1), :, [0, 1]]
    theirs = torch.arange(24).reshape(2, 3, 4)[torch.tensor(1), :, [0, 1]]
    _same(ours, theirs)


def test_writing_a_value_that_needs_grad_in_place_is_refused_not_silently_detached():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    h = tg.zeros(2)
    for write in (lambda: h.__setitem__(0, (w * 2).sum()), lambda: h.add_(w), lambda: h.copy_(w)):
        with pytest.raises(GraphError, match="in-place writes are not recorded"):
            write()
    h[0] = (w * 2).sum().detach()  # said explicitly: no gradient should flow
    assert h.tolist()[0] == 6.0


def test_a_negative_slice_step_raises_as_in_pytorch():
    with pytest.raises(ValueError):
        torch.arange(3)[::-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        tg.arange(3)[::-1]


def test_cat_promotes_as_pytorch_does():
    _same(
        tg.cat([tg.tensor([1]), tg.tensor([1.5])]),
        torch.cat([torch.tensor([1]), torch.tensor([1.5])]),
    )


def test_replacing_a_parameter_with_a_plain_tensor_is_refused_as_in_pytorch():
    with pytest.raises(TypeError):
        torch.nn.Linear(2, 3).weight = torch.ones(3, 2)
    with pytest.raises(TypeError, match="Parameter or None expected"):
        tg.nn.Linear(2, 3).weight = tg.ones(3, 2)


def test_no_grad_decorates_without_parentheses_and_modules_accept_a_cpu_device():
    @tg.no_grad
    def double(w):
        return w * 2

    assert not double(tg.ones(2, requires_grad=True)).requires_grad
    model = tg.nn.Linear(2, 2)
    assert model.to("cpu") is model


def test_small_corners_follow_pytorch():
    for L in (tg, torch):
        assert tuple(L.tensor([[1.0, 2.0], [3.0, 0.0]]).argmax(keepdim=True).shape) == (1, 1)
        values, indices = L.tensor(5.0).max(0)
        assert values.item() == 5.0 and indices.item() == 0
        with pytest.raises(RuntimeError):
            L.arange(5, 0)
    assert repr(tg.tensor([[1.0, 2.0]]).min(1)) == repr(torch.tensor([[1.0, 2.0]]).min(1))
    with pytest.raises(ShapeError, match="view:"):
        tg.zeros(2, 3).view(4)


TYPES = (
    lambda L: L.ones(2),
    lambda L: L.ones(2).double(),
    lambda L: L.ones(2).long(),
    lambda L: L.ones(2).int(),
    lambda L: L.ones(2).bool(),
    lambda L: L.ones(2, dtype=L.uint8),
)


@pytest.mark.parametrize("make", TYPES)
def test_type_names_and_conversions_follow_pytorch(make):
    ours, theirs = make(tg), make(torch)
    assert ours.type() == theirs.type()
    for target in ("torch.LongTensor", "torch.DoubleTensor", "torch.BoolTensor"):
        _same(ours.type(target), theirs.type(target))
    for L, x in ((tg, ours), (torch, theirs)):
        assert x.type(L.FloatTensor).dtype == L.float32
        assert x.type(L.LongTensor).dtype == L.int64
        assert x.type(L.float64).dtype == L.float64
        with pytest.raises(ValueError, match="invalid type: 'float64'"):
            x.type("float64")


def test_variable_is_a_detached_tensor_sharing_data_as_in_pytorch():
    for L in (tg, torch):
        x = L.ones(2, requires_grad=True) * 2
        v = L.autograd.Variable(x)
        assert isinstance(v, L.Tensor) and isinstance(x, L.autograd.Variable)
        assert v is not x and not v.requires_grad and v.grad_fn is None
        v2 = L.autograd.Variable(x, requires_grad=True)
        assert v2.requires_grad and v2.is_leaf
        with L.no_grad():
            v2[0] = 5.0  # the same data, not a copy
        assert x[0].item() == 5.0
        assert not isinstance([1.0], L.autograd.Variable)
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            L.autograd.Variable([1.0, 2.0])


def test_cuda_is_never_available():
    assert tg.cuda.is_available() is False and tg.cuda.device_count() == 0


def test_torchsummary_runs_on_tinygrad_lr_as_torch_and_prints_what_it_prints_on_pytorch(
    swap_torch,
):
    """torchsummary (imported by the Linear and Logistic Regression notebooks) imports `torch`
    itself: with tinygrad_lr in its place it uses Variable, cuda, `type(torch.FloatTensor)`,
    forward hooks and `rand`, and prints the same table, then the same next random numbers."""
    pytest.importorskip("torchsummary")
    script = """
import torch
from torchsummary import summary

class MLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(2, 100)
        self.fc2 = torch.nn.Linear(100, 3)

    def forward(self, x):
        return self.fc2(torch.nn.functional.relu(self.fc1(x)))

torch.manual_seed(1234)
summary(MLP(), input_size=(2,))
summary(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()), (2,), device="cpu")
print(torch.rand(3))
"""
    outputs = [
        subprocess.run(
            [sys.executable, "-c", swap + script], capture_output=True, text=True, check=True
        ).stdout
        for swap in (swap_torch, "")
    ]
    assert "Linear-2                    [-1, 3]             303" in outputs[0]
    assert outputs[0] == outputs[1]


def test_legacy_types_answer_isinstance_and_convert_as_in_pytorch():
    for L in (tg, torch):
        x = L.ones(2)
        assert isinstance(x, L.FloatTensor) and not isinstance(x, L.LongTensor)
        assert isinstance(x.long(), L.LongTensor)
        assert x.long().type(L.Tensor).dtype == L.float32  # torch.Tensor is float32's type
        assert tuple(L.FloatTensor(L.zeros(2, 3).shape).shape) == (2, 3)  # a size: a shape
        for python_type in (int, float):
            with pytest.raises(ValueError, match="invalid type"):
                x.type(python_type)
        with pytest.raises(TypeError):
            L.FloatTensor(True)


def test_variable_keeps_the_old_arguments_pytorch_still_takes():
    for L in (tg, torch):
        with pytest.warns(UserWarning, match="volatile"):
            v = L.autograd.Variable(L.ones(2), volatile=True)
        assert not v.requires_grad
        assert tuple(L.autograd.Variable().shape) == (0,)
        with pytest.raises(TypeError):
            L.autograd.Variable(L.ones(2), requires_grad=None)


def test_devices_print_as_pytorchs_and_only_the_cpu_is_accepted():
    for L in (tg, torch):
        device = L.device("cuda" if L.cuda.is_available() else "cpu")
        assert (str(device), repr(device)) == ("cpu", "device(type='cpu')")
        assert repr(L.device("cuda:1")) == "device(type='cuda', index=1)"
        assert str(L.ones(2).device) == "cpu"
        assert L.ones(2).to(device).dtype == L.float32
        assert L.cuda.manual_seed(1) is None and L.cuda.manual_seed_all(1) is None
    model = tg.nn.Linear(2, 2)
    assert model.to(tg.device("cpu")) is model
    for target in ("cuda", tg.device("cuda:0")):
        with pytest.raises(RuntimeError, match="CPU only: cannot move to device 'cuda"):
            tg.ones(2).to(target)
        with pytest.raises(RuntimeError, match="CPU only"):
            model.to(target)


def _selected(L):
    x = L.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = L.index_select(x, 1, L.LongTensor([0, 2, 2]))  # a repeat: its gradients add up
    (y * L.tensor([1.0, 2.0, 3.0])).sum().backward()
    row = x.index_select(0, L.tensor(1))
    transposed = x.T
    return (
        y.tolist(),
        x.grad.tolist(),
        tuple(row.shape),
        tuple(L.t(x).shape),
        transposed.is_contiguous(),
        transposed.contiguous().is_contiguous(),
        x.contiguous() is x,
        x.is_cuda,
    )


def test_index_select_t_and_contiguous_follow_pytorch():
    assert _selected(tg) == _selected(torch)
    for L in (tg, torch):
        x = L.ones(2, 3)
        with pytest.raises(RuntimeError):
            L.ones(2, 2, 2).t()
        with pytest.raises(IndexError):
            x.index_select(1, L.tensor([[0]]))
        with pytest.raises(RuntimeError):
            x.index_select(1, L.tensor([0.0]))


def _tests(L):
    x = L.tensor([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])
    results = (x.all(), x.any(), x.all(dim=1), x.any(0, keepdim=True), L.all(x > -1))
    return [(r.tolist(), tuple(r.shape)) for r in (*results, L.tensor([]).all())]


def test_all_and_any_follow_pytorch():
    assert _tests(tg) == _tests(torch)


def _to_calls(L):
    a = L.ones(2)
    model = L.nn.Linear(2, 2)
    return (
        a.to("cpu", copy=True) is a,
        a.to(L.float32, copy=True) is a,
        a.to(device="cpu") is a,
        str(a.to("cpu", L.float64).dtype).replace("torch.", ""),
        model.to(device="cpu") is model,
        str(model.to("cpu", L.float64).weight.dtype).replace("torch.", ""),
        tuple(L.zeros(2, device="cpu").shape),
        L.tensor([1.0], device=L.device("cpu")).tolist(),
        L.arange(3, device="cpu").tolist(),
    )


def test_to_and_device_keywords_follow_pytorch():
    assert _to_calls(tg) == _to_calls(torch)
    for L in (tg, torch):
        a = L.ones(2)
        with pytest.raises(TypeError):
            a.to(devcie="cuda")
        with pytest.raises(TypeError):
            a.to("cpu", "cpu")
        with pytest.raises(TypeError):
            L.nn.Linear(2, 2).to(L.int64)
        for name in ("CPU", "foo", "cuda:-1", "cuda:x"):
            with pytest.raises(RuntimeError):
                L.device(name)
        with pytest.raises(RuntimeError):
            L.device("cuda:0", 1)
    with pytest.raises(RuntimeError, match="CPU only"):
        tg.zeros(2, device="cuda")


def _selections(L):
    y = L.zeros(2, 3).index_select(1, L.tensor([0, 2]))
    return (
        y.is_contiguous(),
        tuple(y.view(-1).shape),
        L.tensor(5.0).index_select(0, L.tensor([0])).tolist(),
        L.tensor([1, 2], dtype=L.uint8).all().tolist(),
        str(L.tensor([1, 2], dtype=L.uint8).any().dtype).replace("torch.", ""),
        L.ones(2, 3).all(dim=(0, 1)).tolist(),
        tuple(L.ones(2, 3).any(keepdim=True).shape),
    )


def test_selections_and_tests_match_pytorch_at_their_corners():
    assert _selections(tg) == _selections(torch)
    for L in (tg, torch):
        with pytest.raises((IndexError, RuntimeError)):
            L.zeros(2, 3).index_select(1, L.tensor([-1]))
        with pytest.raises(TypeError):
            L.ones(2).all(True)
        v = L.tensor([1.0], requires_grad=True)
        with pytest.raises(RuntimeError):
            v.t().requires_grad_(False)  # t() of a vector is a new tensor, not the leaf


def _backward_with_inputs(L):
    x = L.tensor([1.0, 2.0], requires_grad=True)
    w = L.tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    (y * y).sum().backward(inputs=[w, y])  # a leaf and an intermediate: only they get .grad
    filled = [x.grad, w.grad.tolist(), y.grad.tolist()]
    (x * w).sum().backward(inputs=x)  # one tensor; w's gradient stays as it was
    return [*filled, x.grad.tolist(), w.grad.tolist()]


def test_backward_fills_only_the_inputs_asked_for_as_in_pytorch():
    assert _backward_with_inputs(tg) == _backward_with_inputs(torch)
    for L in (tg, torch):
        x = L.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError):
            (x * 2).sum().backward(inputs=[L.ones(2)])


def _walk(L):
    """Follow `next_functions` from a loss down to its leaf, as a learner walks PyTorch's
    graph: the node names, what each points to, and the leaf at the end."""
    x = L.ones(2, requires_grad=True)
    y = ((x * 2) + L.ones(2)).sum()
    seen, node = [], y.grad_fn
    while type(node).__name__ != "AccumulateGrad":
        name = repr(node).split(" object at ")[0].lstrip("<")
        kinds = [None if n is None else type(n).__name__ for n, _ in node.next_functions]
        seen.append((name, [k if k in (None, "AccumulateGrad") else "node" for k in kinds]))
        node = next(n for n, _ in node.next_functions if n is not None)
    return seen, node.variable is x


def test_next_functions_walk_the_graph_as_in_pytorch():
    assert _walk(tg) == _walk(torch)
    assert _walk(tg)[0][0] == ("SumBackward0", ["node"])
