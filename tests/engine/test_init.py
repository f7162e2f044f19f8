"""nn.init against torch.nn.init: after the same seed, the same values bit for bit, written into
the same tensor in place; PyTorch's gains, fans and argument checks."""

import math
import warnings

import numpy as np
import pytest
import torch

import tinygrad_lr.random as rnd
from tinygrad_lr import GraphError, nn, tensor
from tinygrad_lr.nn import init

DTYPES = [np.float32, np.float64]
TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}
# 2-d weights (Linear) and a 4-d one (a convolution's: fans multiply by the kernel size);
# fewer and more than 16 elements, where PyTorch's normal takes different paths
SHAPES = [(3, 4), (7, 5), (40, 30), (8, 3, 2, 2)]

DRAWING = {
    "uniform_": dict(a=-0.3, b=2.0),
    "normal_": dict(mean=0.5, std=2.0),
    "xavier_uniform_": dict(gain=1.5),
    "xavier_normal_": dict(gain=0.7),
    "kaiming_uniform_": dict(a=math.sqrt(5)),
    "kaiming_normal_": dict(mode="fan_out", nonlinearity="relu"),
}
CONSTANT = {"constant_": dict(val=0.25), "zeros_": {}, "ones_": {}}


def skip_unless_avx2_normal(name, dtype, shape):
    """PyTorch's float32 normal for 16+ elements is its AVX2 kernel, which tinygrad_lr.random
    replays; on other CPUs PyTorch may differ in the last bit."""
    if name.endswith("normal_") and dtype == np.float32 and math.prod(shape) >= 16:
        capability = torch.backends.cpu.get_cpu_capability()
        if capability not in ("AVX2", "AVX512"):
            pytest.skip(f"PyTorch uses its {capability} float32 normal kernel here, not AVX2's")


def both(name, shape, dtype, seed=0, **kwargs):
    """Run init.<name> on a fresh parameter here and torch.nn.init.<name> on one in PyTorch,
    each after manual_seed(seed); return (ours, the value returned, theirs)."""
    ours = nn.Parameter(np.full(shape, np.nan, dtype))
    rnd.manual_seed(seed)
    returned = getattr(init, name)(ours, **kwargs)
    theirs = torch.nn.Parameter(torch.full(shape, math.nan, dtype=TORCH_DTYPE[dtype]))
    torch.manual_seed(seed)
    getattr(torch.nn.init, name)(theirs, **kwargs)
    return ours, returned, theirs


def assert_same(ours, theirs):
    expected = theirs.detach().numpy()
    assert ours.array.dtype == expected.dtype and ours.shape == expected.shape
    np.testing.assert_array_equal(ours.array, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", [*DRAWING, *CONSTANT])
def test_init_after_manual_seed_writes_torchs_numbers_in_place(name, shape, dtype):
    skip_unless_avx2_normal(name, dtype, shape)
    ours, returned, theirs = both(name, shape, dtype, seed=42, **{**DRAWING, **CONSTANT}[name])
    assert returned is ours  # the same tensor, changed in place
    assert ours.requires_grad and ours.grad_fn is None  # still a leaf parameter
    assert_same(ours, theirs)
    np.testing.assert_array_equal(rnd.rand(2), torch.rand(2).numpy())  # as many words drawn


@pytest.mark.parametrize("name", list(DRAWING))
def test_init_with_a_generator_equals_torch_with_its_generator(name):
    skip_unless_avx2_normal(name, np.float32, (20, 10))
    ours = tensor(np.zeros((20, 10), np.float32))
    theirs = torch.zeros(20, 10)
    getattr(init, name)(ours, **DRAWING[name], generator=rnd.Generator(5))
    getattr(torch.nn.init, name)(
        theirs, **DRAWING[name], generator=torch.Generator().manual_seed(5)
    )
    assert_same(ours, theirs)


def test_a_sequence_of_inits_follows_torchs_stream():
    rnd.manual_seed(3)
    ours = [tensor(np.zeros(s, np.float64)) for s in [(5, 5), (3,), (4, 6)]]
    init.kaiming_normal_(ours[0])
    init.uniform_(ours[1], -1, 1)
    init.xavier_normal_(ours[2])
    torch.manual_seed(3)
    theirs = [torch.zeros(s, dtype=torch.float64) for s in [(5, 5), (3,), (4, 6)]]
    torch.nn.init.kaiming_normal_(theirs[0])
    torch.nn.init.uniform_(theirs[1], -1, 1)
    torch.nn.init.xavier_normal_(theirs[2])
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def test_init_counts_a_version_so_a_graph_that_saved_the_old_values_refuses_backward():
    w = nn.Parameter(np.ones((2, 2)))
    version = w._version
    loss = (w * w).sum()  # Mul saved w
    init.normal_(w)
    assert w._version == version + 1
    with pytest.raises(GraphError):
        loss.backward()


def test_init_of_a_linear_layer_changes_what_it_computes():
    layer = nn.Linear(3, 2)
    init.ones_(layer.weight)
    init.zeros_(layer.bias)
    out = layer(tensor([[1.0, 2.0, 3.0]]))
    np.testing.assert_array_equal(out.array, [[6.0, 6.0]])


@pytest.mark.parametrize(
    ("nonlinearity", "param"),
    [
        ("linear", None),
        ("conv2d", None),
        ("conv_transpose3d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu", None),
    ],
)
def test_calculate_gain_is_torchs(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(
        nonlinearity, param
    )


@pytest.mark.parametrize(
    ("call", "torch_call", "message"),
    [
        (
            lambda t: init.xavier_uniform_(t),
            lambda t: torch.nn.init.xavier_uniform_(t),
            "at least 2 dimensions",
        ),
        (
            lambda t: init.kaiming_uniform_(t),
            lambda t: torch.nn.init.kaiming_uniform_(t),
            "at least 2 dimensions",
        ),
        (
            lambda t: init.calculate_gain("softsign"),
            lambda t: torch.nn.init.calculate_gain("softsign"),
            "Unsupported nonlinearity",
        ),
        (
            lambda t: init.calculate_gain("leaky_relu", "steep"),
            lambda t: torch.nn.init.calculate_gain("leaky_relu", "steep"),
            "not a valid number",
        ),
    ],
    ids=["xavier-1d", "kaiming-1d", "unknown-nonlinearity", "bad-slope"],
)
def test_init_refuses_what_torch_refuses_with_a_value_error(call, torch_call, message):
    with pytest.raises(ValueError, match=message):
        call(tensor(np.zeros(4, np.float32)))
    with pytest.raises(ValueError):
        torch_call(torch.zeros(4))


def test_kaiming_refuses_an_unknown_mode_as_torch():
    with pytest.raises(ValueError, match="fan_avg"):
        init.kaiming_normal_(tensor(np.zeros((2, 2), np.float32)), mode="fan_avg")
    with pytest.raises(ValueError, match="fan_avg"):
        torch.nn.init.kaiming_normal_(torch.zeros(2, 2), mode="fan_avg")


def test_kaiming_of_an_empty_tensor_is_a_no_op_with_torchs_warning():
    empty = tensor(np.zeros((0, 3), np.float32))
    rnd.manual_seed(0)
    with pytest.warns(UserWarning, match="zero-element"):
        assert init.kaiming_uniform_(empty) is empty
    with pytest.warns(UserWarning, match="zero-element"):
        torch.nn.init.kaiming_uniform_(torch.zeros(0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        after = rnd.rand(1)
    rnd.manual_seed(0)
    np.testing.assert_array_equal(after, rnd.rand(1))  # nothing drawn


def test_random_init_of_an_integer_tensor_is_refused():
    with pytest.raises(TypeError, match="float32 or float64"):
        init.uniform_(tensor(np.zeros(3, np.int64)))
    np.testing.assert_array_equal(init.constant_(tensor([1, 2]), 7).array, [7, 7])
