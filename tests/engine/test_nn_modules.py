"""nn's modules against torch.nn: Linear's first numbers, the containers, the activations,
Dropout, how modules are found, added and printed.

Initial numbers and dropout masks are compared bit for bit after the same seed; values and
gradients with PyTorch's own, and in float64 with central differences (`check_op`).
"""

import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
import tinygrad_lr.functional as F
import tinygrad_lr.random as rnd
from tinygrad_lr import GraphError, nn, no_grad, tensor
from tinygrad_lr.testing import check_op

X = np.random.default_rng(0).standard_normal((5, 4))


def torch_dtype(dtype):
    return {np.float32: torch.float32, np.float64: torch.float64}[dtype]


def assert_same_array(ours, theirs):
    """Bit for bit: the same dtype, shape and values (PyTorch tensors are detached first)."""
    expected = theirs.detach().numpy()
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_array_equal(ours, expected)


def torch_copy(ours, theirs):
    """Give a torch module the weights of ours (same names), in float64, and return it."""
    theirs.double().load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    return theirs


# --- Linear: PyTorch's first numbers -----------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("seed", [0, 7, 2**40 + 3])
@pytest.mark.parametrize("sizes", [(1, 1), (4, 3), (30, 17), (3, 0), (0, 3)])
def test_linear_after_manual_seed_holds_torchs_first_numbers(sizes, seed, dtype):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rnd.manual_seed(seed)
        ours = nn.Linear(*sizes, dtype=dtype)
        torch.manual_seed(seed)
        theirs = torch.nn.Linear(*sizes, dtype=torch_dtype(dtype))
    assert_same_array(ours.weight.array, theirs.weight)
    assert_same_array(ours.bias.array, theirs.bias)
    # an empty weight is left alone, with PyTorch's warning, by both
    no_ops = ["no-op" in str(w.message) for w in caught]
    assert sum(no_ops) == (2 if 0 in sizes else 0)


def test_consecutive_layers_draw_torchs_stream_in_torchs_order():
    rnd.manual_seed(11)
    ours = [nn.Linear(5, 4), nn.Linear(4, 3, bias=False), nn.Linear(3, 2)]
    torch.manual_seed(11)
    theirs = [torch.nn.Linear(5, 4), torch.nn.Linear(4, 3, bias=False), torch.nn.Linear(3, 2)]
    for a, b in zip(ours, theirs):
        assert_same_array(a.weight.array, b.weight)
        assert (a.bias is None) == (b.bias is None)
        if a.bias is not None:
            assert_same_array(a.bias.array, b.bias)
    np.testing.assert_array_equal(rnd.rand(3), torch.rand(3).numpy())  # nothing more drawn


def test_linear_with_our_generator_equals_torch_with_its_generator_and_spares_the_default():
    rnd.manual_seed(1)
    ours = nn.Linear(6, 2, generator=rnd.Generator(99))
    after_ours = rnd.rand(2)
    theirs = torch.nn.Linear(6, 2)
    with torch.no_grad():  # torch.nn.Linear takes no generator: initialise it by hand
        gen = torch.Generator().manual_seed(99)
        torch.nn.init.kaiming_uniform_(theirs.weight, a=5**0.5, generator=gen)
        bound = 1 / math.sqrt(6)
        torch.nn.init.uniform_(theirs.bias, -bound, bound, generator=gen)
    assert_same_array(ours.weight.array, theirs.weight)
    assert_same_array(ours.bias.array, theirs.bias)
    rnd.manual_seed(1)
    np.testing.assert_array_equal(rnd.rand(2), after_ours)


def test_linear_with_a_numpy_generator_draws_numpys_numbers_within_torchs_bounds():
    layer = nn.Linear(9, 4, dtype=np.float64, generator=np.random.default_rng(5))
    rng = np.random.default_rng(5)
    np.testing.assert_array_equal(layer.weight.array, rng.uniform(-1 / 3, 1 / 3, (4, 9)))
    np.testing.assert_array_equal(layer.bias.array, rng.uniform(-1 / 3, 1 / 3, 4))


def test_linear_refuses_negative_sizes():
    with pytest.raises(RuntimeError, match="in_features=-1"):
        nn.Linear(-1, 3)


# --- finding modules ---------------------------------------------------------------------------


def build(lib):
    """The same model in tinygrad_lr (lib = nn) and PyTorch (lib = torch.nn): a shared layer,
    nested containers, parameters of its own."""

    class Block(lib.Module):
        def __init__(self):
            super().__init__()
            self.fc = lib.Linear(3, 3)
            self.act = lib.Tanh()

        def forward(self, x):
            return self.act(self.fc(x))

    class Net(lib.Module):
        def __init__(self):
            super().__init__()
            self.scale = lib.Parameter((torch.ones if lib is torch.nn else np.ones)(3))
            self.body = lib.Sequential(Block(), lib.ReLU(), Block())
            self.heads = lib.ModuleList([lib.Linear(3, 2), lib.Linear(3, 1)])
            self.again = self.body[0]  # the same block twice

        def forward(self, x):
            h = self.again(self.body(x * self.scale))
            return [head(h) for head in self.heads]

    return Net()


def test_children_named_children_and_named_modules_are_torchs():
    ours, theirs = build(nn), build(torch.nn)
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m) for m in ours.children()] == [nn.Sequential, nn.ModuleList, type(ours.again)]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    every = [n for n, _ in ours.named_modules(prefix="net", remove_duplicate=False)]
    assert every == [n for n, _ in theirs.named_modules(prefix="net", remove_duplicate=False)]
    assert "net.again.fc" in every
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()
    ]


def test_parameters_state_dict_and_outputs_are_torchs():
    ours, theirs = build(nn), build(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    theirs = torch_copy(ours.double(), theirs)
    outs = ours(tensor(X[:, :3]))
    expected = theirs(torch.tensor(X[:, :3]))
    for out, want in zip(outs, expected):
        np.testing.assert_allclose(out.array, want.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_apply_visits_every_module_innermost_first_as_torch():
    ours, theirs = build(nn), build(torch.nn)
    seen_ours, seen_theirs = [], []
    assert ours.apply(lambda m: seen_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs
    assert seen_ours[-1] == "Net"


def test_apply_with_init_functions_initialises_every_linear_layer():
    model = build(nn)

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.zeros_(m.weight)

    model.apply(init)
    assert all(not m.weight.array.any() for m in model.modules() if isinstance(m, nn.Linear))


def test_train_and_eval_reach_modules_inside_containers():
    model = build(nn)
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


# --- adding by name ----------------------------------------------------------------------------


def test_add_module_and_register_parameter_add_attributes_found_like_torchs():
    ours, theirs = nn.Module(), torch.nn.Module()
    for model, lib, values in ((ours, nn, np.ones(2)), (theirs, torch.nn, torch.ones(2))):
        model.register_parameter("gain", lib.Parameter(values))
        model.add_module("layer_1", lib.Linear(2, 2))
        model.register_module("layer_2", lib.Linear(2, 1))
        model.register_parameter("unused", None)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours.unused is None and isinstance(ours.layer_1, nn.Linear)


def test_a_module_or_parameter_may_replace_one_of_its_kind():
    layer = nn.Linear(2, 2, bias=False)
    layer.register_parameter("bias", nn.Parameter(np.zeros(2, np.float32)))  # was None
    layer.register_parameter("weight", nn.Parameter(np.ones((2, 2), np.float32)))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    seq = nn.Sequential(nn.ReLU())
    seq.add_module("0", nn.Tanh())
    assert isinstance(seq[0], nn.Tanh) and len(seq) == 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: m.add_module("a.b", nn.ReLU()), KeyError, "contain"),
        (lambda m: m.add_module("", nn.ReLU()), KeyError, "empty"),
        (lambda m: m.add_module(3, nn.ReLU()), TypeError, "string"),
        (lambda m: m.add_module("x", np.ones(2)), TypeError, "not a Module"),
        (lambda m: m.add_module("forward", nn.ReLU()), KeyError, "already exists"),
        (lambda m: m.add_module("weight", nn.ReLU()), KeyError, "already exists"),
        (lambda m: m.register_parameter("p.q", None), KeyError, "contain"),
        (lambda m: m.register_parameter("w", tensor([1.0])), TypeError, "Parameter or None"),
        (lambda m: m.register_parameter("training", None), KeyError, "already exists"),
    ],
    ids=[
        "dotted-name",
        "empty-name",
        "int-name",
        "not-a-module",
        "a-method",
        "a-parameter",
        "dotted-parameter",
        "a-tensor-parameter",
        "an-attribute",
    ],
)
def test_adding_by_name_is_checked_as_in_torch(call, error, message):
    with pytest.raises(error, match=message):
        call(nn.Linear(2, 2))


# --- Sequential and ModuleList -----------------------------------------------------------------


def test_sequential_runs_its_modules_in_order_like_torch():
    rnd.manual_seed(3)
    ours = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1))
    torch.manual_seed(3)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3), torch.nn.Softmax(dim=1)
    )
    assert (
        list(ours.state_dict())
        == list(theirs.state_dict())
        == [
            "0.weight",
            "0.bias",
            "2.weight",
            "2.bias",
        ]
    )
    for key, value in theirs.state_dict().items():
        assert_same_array(ours.state_dict()[key], value)  # the same first numbers
    x, xt = tensor(X.astype(np.float32), requires_grad=True), torch.tensor(X.astype(np.float32))
    xt.requires_grad_()
    out, expected = ours(x), theirs(xt)
    np.testing.assert_allclose(out.array, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_sequential_indexing_len_iteration_and_append():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b)
    assert len(seq) == 2 and list(seq) == [a, b]
    assert seq[0] is a and seq[-1] is b
    assert seq.append(c) is seq and seq[2] is c and len(seq) == 3
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail) == [b, c]
    assert [n for n, _ in tail.named_children()] == ["1", "2"]  # slices keep names, as in torch
    seq[1] = nn.Tanh()
    assert isinstance(seq[1], nn.Tanh) and len(seq) == 3
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    with pytest.raises(IndexError, match="out of range"):
        seq[-4]


def test_sequential_from_an_ordered_dict_uses_its_names_like_torch():
    def make(lib):
        return lib.Sequential(OrderedDict(hidden=lib.Linear(2, 3), act=lib.ReLU()))

    ours, theirs = make(nn), make(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["hidden.weight", "hidden.bias"]
    assert repr(ours) == repr(theirs)
    assert isinstance(ours[1], nn.ReLU)


def test_a_module_listed_twice_counts_twice_in_a_sequential_as_in_torch():
    act = nn.ReLU()
    seq, theirs = nn.Sequential(act, act), torch.nn.Sequential(torch.nn.ReLU())
    theirs.append(theirs[0])
    assert len(seq) == len(theirs) == 2
    assert len(list(seq.children())) == len(list(theirs.children())) == 1
    assert repr(seq) == repr(theirs)


def test_module_list_holds_modules_whose_parameters_are_found():
    ours = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
    theirs = torch.nn.ModuleList([torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)])
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert ours.append(nn.ReLU()) is ours and len(ours) == 3
    ours.extend([nn.Tanh(), nn.Sigmoid()])
    assert [type(m).__name__ for m in ours] == ["Linear", "Linear", "ReLU", "Tanh", "Sigmoid"]
    assert isinstance(ours[-1], nn.Sigmoid)
    part = ours[1:3]
    assert isinstance(part, nn.ModuleList) and [n for n, _ in part.named_children()] == ["0", "1"]
    ours[0] = nn.Tanh()
    assert isinstance(ours[0], nn.Tanh)
    with pytest.raises(IndexError, match="out of range"):
        ours[5]
    with pytest.raises(TypeError, match="iterable"):
        ours.extend(nn.ReLU())
    with pytest.raises(NotImplementedError, match="forward"):
        ours(tensor([1.0]))


# --- printing ----------------------------------------------------------------------------------


def test_printing_equals_torchs_for_every_module():
    def make(lib):
        ones = np.ones(2) if lib is nn else torch.ones(2)
        return lib.Sequential(
            lib.Linear(2, 4),
            lib.ReLU(),
            lib.Dropout(p=0.1),
            lib.ModuleList([lib.Linear(4, 4), lib.Linear(4, 4), lib.Tanh(), lib.Linear(4, 4)]),
            lib.Sequential(),
            lib.ModuleList(),
            lib.Linear(4, 2, bias=False),
            lib.Sigmoid(),
            lib.Softmax(dim=1),
            lib.ReLU(inplace=True),
            lib.Dropout(0.25, inplace=True),
            lib.Softmax(),
            lib.CrossEntropyLoss(weight=ones),
            lib.NLLLoss(),
            lib.MSELoss(reduction="sum"),
            lib.BCELoss(),
            lib.BCEWithLogitsLoss(pos_weight=ones),
        )

    assert repr(make(nn)) == repr(make(torch.nn))
    assert repr(build(nn)) == repr(build(torch.nn))


def test_a_multi_line_extra_repr_is_printed_as_torch_prints_it():
    def make(lib):
        class Custom(lib.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.Linear(1, 1)

            def extra_repr(self):
                return "first=1,\nsecond=2"

        return Custom()

    assert repr(make(nn)) == repr(make(torch.nn))


# --- activations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Softmax(dim=0), torch.nn.Softmax(dim=0)),
        (nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
    ],
    ids=["relu", "tanh", "sigmoid", "softmax0", "softmax-1"],
)
def test_activation_modules_match_torch_in_value_and_gradient(ours, theirs):
    check_op(ours, X, torch_fn=theirs, atol=1e-12, rtol=1e-12)
    x = X.astype(np.float32)
    out = ours(tensor(x))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.array, theirs(torch.tensor(x)).numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(4,), (3, 4), (2, 3, 4), (2, 2, 3, 4)])
def test_softmax_without_dim_picks_torchs_legacy_dim_with_its_warning(shape):
    x = np.random.default_rng(2).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = nn.Softmax()(tensor(x))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        expected = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(out.array, expected.numpy(), rtol=1e-12, atol=1e-15)


def test_functional_activations_are_the_primitives():
    check_op(F.relu, X, torch_fn=torch.relu, atol=1e-15, rtol=0)
    check_op(F.sigmoid, X, torch_fn=torch.sigmoid, atol=1e-15, rtol=1e-15)
    check_op(F.tanh, X, torch_fn=torch.tanh, atol=1e-15, rtol=1e-15)


def test_relu_in_place_changes_the_tensor_and_counts_a_version():
    x = tensor([-1.0, 0.5, -0.0, 2.0])
    version = x._version
    assert F.relu(x, inplace=True) is x
    np.testing.assert_array_equal(x.array, torch.relu(torch.tensor([-1.0, 0.5, -0.0, 2.0])))
    assert x._version == version + 1
    assert nn.ReLU(inplace=True)(x) is x


@pytest.mark.parametrize("layer", [nn.ReLU(inplace=True), nn.Dropout(0.5, inplace=True)])
def test_in_place_activation_of_a_tensor_that_requires_grad_is_refused(layer):
    x = tensor(X, requires_grad=True)
    with pytest.raises(GraphError, match=r"inplace=True"):
        layer(x * 2)
    with no_grad():
        assert layer(x) is x  # no gradient flows: allowed, as an in-place change under no_grad


# --- Dropout -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_after_manual_seed_is_torchs_forward_and_backward(p, dtype):
    x = np.random.default_rng(4).standard_normal((6, 7)).astype(dtype)
    rnd.manual_seed(8)
    xt = tensor(x, requires_grad=True)
    out = nn.Dropout(p)(xt)
    torch.manual_seed(8)
    xtorch = torch.tensor(x, requires_grad=True)
    expected = torch.nn.Dropout(p)(xtorch)
    assert_same_array(out.array, expected)
    upstream = np.random.default_rng(5).standard_normal(x.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    assert_same_array(xt.grad.array, xtorch.grad)
    np.testing.assert_array_equal(rnd.rand(2), torch.rand(2).numpy())  # as many words drawn


@pytest.mark.usefixtures("torch_bernoulli_uses_mersenne_twister")
def test_in_place_dropout_without_grad_is_torchs():
    x = np.random.default_rng(4).standard_normal((3, 20)).astype(np.float32)
    ours, theirs = tensor(x), torch.tensor(x)
    rnd.manual_seed(2)
    assert F.dropout(ours, 0.3, inplace=True) is ours
    torch.manual_seed(2)
    torch.nn.functional.dropout(theirs, 0.3, inplace=True)
    assert_same_array(ours.array, theirs)


def test_dropout_keeps_the_expected_value_and_drops_about_p():
    rnd.manual_seed(0)
    out = F.dropout(tensor(np.ones(200_000)), 0.3).array
    assert set(np.unique(out)) == {0.0, 1 / 0.7}
    assert (out == 0).mean() == pytest.approx(0.3, abs=0.005)


@pytest.mark.parametrize("case", ["eval", "p=0", "empty"])
def test_dropout_returns_its_input_and_draws_nothing_when_it_has_nothing_to_do(case):
    layer = nn.Dropout(0.0 if case == "p=0" else 0.5)
    if case == "eval":
        assert layer.eval() is layer and not layer.training
    x = tensor(np.zeros((0, 3)) if case == "empty" else X, requires_grad=True)
    rnd.manual_seed(1)
    assert layer(x) is x
    after = rnd.rand(2)
    rnd.manual_seed(1)
    np.testing.assert_array_equal(after, rnd.rand(2))


def test_dropout_with_p_one_zeroes_everything_and_its_gradient():
    x = tensor(X, requires_grad=True)
    out = nn.Dropout(1.0)(x)
    out.sum().backward()
    np.testing.assert_array_equal(out.array, np.zeros_like(X))
    np.testing.assert_array_equal(x.grad.array, np.zeros_like(X))


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_refuses_a_probability_outside_zero_one_as_torch(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        torch.nn.Dropout(p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(tensor(X), p)


def test_dropout_of_integers_is_refused():
    with pytest.raises(TypeError, match="floating-point"):
        F.dropout(tensor([1, 2, 3]), 0.5)


def test_a_model_with_dropout_is_deterministic_in_eval_mode():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    x = tensor(X.astype(np.float32))
    model.eval()
    np.testing.assert_array_equal(model(x).array, model(x).array)
    model.train()
    rnd.manual_seed(0)
    first = model(x).array
    assert not np.array_equal(first, model(x).array)


# --- nn.functional is functional -----------------------------------------------------------


def test_nn_functional_and_functional_are_the_same_functions():
    import tinygrad_lr.functional
    import tinygrad_lr.nn.functional

    defined_there = [
        name
        for name, value in vars(tinygrad_lr.functional).items()
        if not name.startswith("_") and getattr(value, "__module__", "") == "tinygrad_lr.functional"
    ]
    assert set(defined_there) <= set(tinygrad_lr.nn.functional.__all__)
    for name in tinygrad_lr.nn.functional.__all__:
        assert getattr(tinygrad_lr.nn.functional, name) is getattr(tinygrad_lr.functional, name)
    assert nn.functional is tinygrad_lr.nn.functional


def _hooked_outputs(L):
    """Forward hooks on a small model, as a learner uses them to look inside: what each layer
    saw and made, a pre-hook that changes the input, a hook that changes the output, and
    handles that take them out again."""
    L.manual_seed(0)
    model = L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU(), L.nn.Linear(3, 1))
    seen = []
    handles = [
        layer.register_forward_hook(
            lambda module, args, out: seen.append((type(module).__name__, len(args), out.sum()))
        )
        for layer in model
    ]
    x = L.ones(4, 2)
    first = model(x)
    doubling = model[0].register_forward_pre_hook(lambda module, args: args[0] * 2)
    negating = model.register_forward_hook(lambda module, args, out: -out)
    second = model(x)
    doubling.remove()
    doubling.remove()  # twice does nothing
    with negating:
        third = model(x)
    fourth = model(x)  # leaving the block removed the hook
    for handle in handles:
        handle.remove()
    fifth = model(x)
    return [first, second, third, fourth, fifth], seen


def test_forward_hooks_see_change_and_leave_as_in_pytorch():
    ours, our_seen = _hooked_outputs(tg)
    theirs, their_seen = _hooked_outputs(torch)
    for a, b in zip(ours, theirs):
        assert_same_array(a, b)
    assert len(our_seen) == len(their_seen) == 12
    for (name, count, total), (their_name, their_count, their_total) in zip(our_seen, their_seen):
        assert (name, count) == (their_name, their_count)
        assert_same_array(total, their_total)
    np.testing.assert_array_equal(ours[3].numpy(), -ours[2].numpy())


def test_a_hook_that_is_not_callable_is_refused_when_registered():
    with pytest.raises(TypeError, match="a hook must be callable, got int"):
        nn.Linear(2, 2).register_forward_hook(3)


def _scale_with_hooks(L):
    """A module whose pre-hook returns a tuple and whose forward hook removes itself; its
    forward takes a keyword argument. Returns the first two outputs and the hook's calls."""

    class Scale(L.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    module, calls = Scale(), []
    module.register_forward_pre_hook(lambda m, args: (args[0] + 1,))
    handle = module.register_forward_hook(lambda m, args, out: calls.append(handle.remove()))
    first = module(L.ones(2), factor=3.0)
    second = module(L.ones(2))
    return first.tolist(), second.tolist(), len(calls)


def test_a_pre_hook_may_return_a_tuple_and_keywords_reach_forward_untouched():
    assert _scale_with_hooks(tg) == _scale_with_hooks(torch) == ([6.0, 6.0], [2.0, 2.0], 1)
