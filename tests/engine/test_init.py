"""nn.init against torch.nn.init: after the same seed, the same values bit for bit (orthogonal_'s
to rounding: the two QRs round differently), written into the same tensor in place, and as many
numbers drawn; PyTorch's gains, fans and argument checks."""

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
    draws_normals = name.endswith("normal_") or name == "sparse_"
    if draws_normals and dtype == np.float32 and math.prod(shape) >= 16:
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


# ---------------------------------------------------------------------------------------------
# eye_, dirac_, sparse_, trunc_normal_ (bit for bit) and orthogonal_ (to rounding)
# ---------------------------------------------------------------------------------------------

IDENTITIES = [
    ("eye_", (3, 4), {}),
    ("eye_", (5, 5), {}),
    ("eye_", (6, 2), {}),
    ("dirac_", (4, 3, 5), {}),
    ("dirac_", (6, 4, 3, 2), dict(groups=2)),
    ("dirac_", (6, 2, 4, 5), dict(groups=3)),
    ("dirac_", (2, 5, 3, 3, 3), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "shape", "kwargs"), IDENTITIES)
def test_eye_and_dirac_write_torchs_values_and_draw_nothing(name, shape, kwargs, dtype):
    rnd.manual_seed(1)
    expected_after = rnd.rand(2)
    ours, returned, theirs = both(name, shape, dtype, seed=1, **kwargs)
    assert returned is ours
    assert_same(ours, theirs)
    np.testing.assert_array_equal(rnd.rand(2), expected_after)


def test_dirac_passes_each_groups_channels_through_a_convolution():
    weight = init.dirac_(tensor(np.zeros((4, 2, 3, 3), np.float32)), groups=2)
    x = np.arange(2 * 5 * 5, dtype=np.float32).reshape(1, 2, 5, 5)
    out = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(weight.array), padding=1)
    np.testing.assert_array_equal(out.numpy(), np.concatenate([x, x], axis=1))


# 25 rows at sparsity 0.28 zero ⌈0.28 · 25⌉ = ⌈7.000000000000001⌉ = 8 rows per column, not 7
SPARSE_SHAPES = [(3, 4), (25, 7), (40, 30), (1, 5)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SPARSE_SHAPES)
def test_sparse_after_manual_seed_writes_torchs_numbers_in_place(shape, dtype):
    skip_unless_avx2_normal("sparse_", dtype, shape)
    ours, returned, theirs = both("sparse_", shape, dtype, seed=7, sparsity=0.28, std=0.5)
    assert returned is ours
    assert_same(ours, theirs)
    np.testing.assert_array_equal(rnd.rand(2), torch.rand(2).numpy())


def test_sparse_zeroes_the_rows_torchs_permutations_name_in_each_column():
    ours, _, theirs = both("sparse_", (25, 7), np.float64, seed=3, sparsity=0.28)
    zeros = ours.array == 0
    np.testing.assert_array_equal(zeros, theirs.detach().numpy() == 0)
    assert (zeros.sum(axis=0) == 8).all()  # ⌈0.28 · 25⌉ in floating point, as PyTorch has it
    rnd.manual_seed(3)
    rnd.normal((25, 7), 0.0, 0.01, np.float64)
    for col in range(7):  # column by column, one randperm(25) each, its first 8 rows zeroed
        assert set(np.flatnonzero(zeros[:, col])) == set(rnd.randperm(25)[:8].tolist())


def test_sparse_above_one_zeroes_everything_as_torch():
    ours, _, theirs = both("sparse_", (4, 3), np.float32, sparsity=1.5)
    assert_same(ours, theirs)
    assert not ours.array.any()


def test_sparse_with_a_generator_draws_the_permutations_from_the_default_generator_as_torch():
    ours = tensor(np.zeros((6, 5), np.float32))
    rnd.manual_seed(0)
    ours_generator = rnd.Generator(5)
    init.sparse_(ours, 0.5, generator=ours_generator)
    theirs = torch.zeros(6, 5)
    torch.manual_seed(0)
    theirs_generator = torch.Generator().manual_seed(5)
    torch.nn.init.sparse_(theirs, 0.5, generator=theirs_generator)
    assert_same(ours, theirs)
    np.testing.assert_array_equal(rnd.rand(3), torch.rand(3).numpy())
    np.testing.assert_array_equal(
        rnd.rand(3, generator=ours_generator), torch.rand(3, generator=theirs_generator).numpy()
    )


TRUNCATIONS = {
    # [a, b] holds most of the normal: normals, redrawn where outside
    "defaults": {},
    "redrawn-normals": dict(mean=0.5, std=2.0, a=-1.0, b=3.0),
    "redrawn-normals-p-0.38": dict(a=-0.5, b=0.5),
    # [a, b] holds at most 30%: uniform proposals, accepted by the density
    "uniform-proposals": dict(mean=0.0, std=1.0, a=1.5, b=4.0),
    "uniform-proposals-left": dict(mean=1.0, std=0.3, a=-0.5, b=0.6),
    "uniform-proposals-p-0.24": dict(a=0.5, b=1.5),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [*SHAPES, (2,), (3, 1, 1)])
@pytest.mark.parametrize("case", TRUNCATIONS)
def test_trunc_normal_after_manual_seed_writes_torchs_numbers_in_place(case, shape, dtype):
    skip_unless_avx2_normal("trunc_normal_", dtype, shape)
    kwargs = TRUNCATIONS[case]
    ours, returned, theirs = both("trunc_normal_", shape, dtype, seed=11, **kwargs)
    assert returned is ours
    assert_same(ours, theirs)
    np.testing.assert_array_equal(rnd.rand(2), torch.rand(2).numpy())
    a, b = kwargs.get("a", -2.0), kwargs.get("b", 2.0)
    assert (ours.array >= dtype(a)).all() and (ours.array <= dtype(b)).all()


@pytest.mark.parametrize("case", TRUNCATIONS)
def test_trunc_normal_matches_torch_on_many_values(case):
    skip_unless_avx2_normal("trunc_normal_", np.float32, (300, 200))
    for dtype in DTYPES:
        ours, _, theirs = both("trunc_normal_", (300, 200), dtype, seed=2, **TRUNCATIONS[case])
        assert_same(ours, theirs)
        np.testing.assert_array_equal(rnd.rand(2), torch.rand(2).numpy())


def test_trunc_normal_warns_as_torch_when_the_mean_is_far_from_the_bounds():
    with pytest.warns(UserWarning, match="more than 2 std from"):
        ours, _, theirs = both("trunc_normal_", (5, 4), np.float32, mean=5.0, a=-1.0, b=1.0)
    assert_same(ours, theirs)


# Values are those of a float32 or float64 QR, which NumPy and PyTorch round differently.
ORTHOGONAL_TOLERANCE = {np.float32: 2e-6, np.float64: 1e-14}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [*SHAPES, (3, 7), (1, 6), (6, 1), (5, 2, 3)])
def test_orthogonal_matches_torch_to_rounding_and_draws_as_many_numbers(shape, dtype):
    ours, returned, theirs = both("orthogonal_", shape, dtype, seed=5, gain=1.5)
    assert returned is ours and ours.array.dtype == dtype
    np.testing.assert_allclose(
        ours.array, theirs.detach().numpy(), rtol=0, atol=ORTHOGONAL_TOLERANCE[dtype]
    )
    np.testing.assert_array_equal(rnd.rand(2), torch.rand(2).numpy())


@pytest.mark.parametrize("shape", [(5, 5), (3, 8), (8, 3), (4, 2, 3)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_gain(shape):
    w = init.orthogonal_(tensor(np.zeros(shape)), gain=2.0).array.reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, 4.0 * np.eye(min(w.shape)), atol=1e-12)


NEW_DRAWING = {
    "trunc_normal_": dict(mean=0.1, std=0.5, a=-0.4, b=0.9),
    "orthogonal_": dict(gain=0.5),
}


@pytest.mark.parametrize("name", list(NEW_DRAWING))
def test_new_inits_with_a_generator_equal_torch_with_its_generator(name):
    skip_unless_avx2_normal(name, np.float32, (20, 10))
    ours_generator, theirs_generator = rnd.Generator(5), torch.Generator().manual_seed(5)
    ours = getattr(init, name)(
        tensor(np.zeros((20, 10), np.float32)), **NEW_DRAWING[name], generator=ours_generator
    )
    theirs = getattr(torch.nn.init, name)(
        torch.zeros(20, 10), **NEW_DRAWING[name], generator=theirs_generator
    )
    np.testing.assert_allclose(ours.array, theirs.numpy(), rtol=0, atol=2e-6)
    if name != "orthogonal_":
        assert_same(ours, theirs)
    np.testing.assert_array_equal(
        rnd.rand(3, generator=ours_generator), torch.rand(3, generator=theirs_generator).numpy()
    )


@pytest.mark.parametrize(
    ("name", "shape", "kwargs"),
    [
        ("eye_", (0, 3), {}),
        ("dirac_", (0, 2, 3), {}),
        ("orthogonal_", (0, 3), {}),
        ("orthogonal_", (2, 0, 3), {}),
        ("sparse_", (0, 3), dict(sparsity=0.5)),
        ("sparse_", (3, 0), dict(sparsity=0.5)),
        ("trunc_normal_", (0, 3), {}),
        ("trunc_normal_", (0,), dict(a=1.5, b=3.0)),
    ],
)
def test_new_inits_of_empty_tensors_draw_nothing_as_torch(name, shape, kwargs):
    ours, _, theirs = both(name, shape, np.float32, seed=4, **kwargs)
    assert_same(ours, theirs)
    after = rnd.rand(2)
    np.testing.assert_array_equal(after, torch.rand(2).numpy())
    rnd.manual_seed(4)
    np.testing.assert_array_equal(after, rnd.rand(2))


@pytest.mark.parametrize(
    ("name", "shape", "kwargs", "message"),
    [
        ("eye_", (4,), {}, "Only tensors with 2 dimensions"),
        ("eye_", (2, 2, 2), {}, "Only tensors with 2 dimensions"),
        ("dirac_", (3, 3), {}, "Only tensors with 3, 4, or 5 dimensions"),
        ("dirac_", (1,) * 6, {}, "Only tensors with 3, 4, or 5 dimensions"),
        ("dirac_", (3, 3, 3), dict(groups=2), "divisible by groups"),
        ("orthogonal_", (4,), {}, "Only tensors with 2 or more dimensions"),
        ("sparse_", (4,), dict(sparsity=0.1), "Only tensors with 2 dimensions"),
        ("sparse_", (2, 2, 2), dict(sparsity=0.1), "Only tensors with 2 dimensions"),
    ],
)
def test_new_inits_refuse_what_torch_refuses_with_a_value_error(name, shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(init, name)(tensor(np.zeros(shape, np.float32)), **kwargs)
    with pytest.raises(ValueError, match=message):
        getattr(torch.nn.init, name)(torch.zeros(shape), **kwargs)


def test_dirac_with_an_empty_kernel_raises_an_index_error_as_torch():
    with pytest.raises(IndexError, match="size 0"):
        init.dirac_(tensor(np.zeros((2, 2, 0), np.float32)))
    with pytest.raises(IndexError, match="size 0"):
        torch.nn.init.dirac_(torch.zeros(2, 2, 0))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # PyTorch divides by zero for groups=0 and writes only zeros for groups < 0
        (lambda t: init.dirac_(t.view(4, 1, 1), groups=0), "groups >= 1"),
        (lambda t: init.dirac_(t.view(4, 1, 1), groups=-2), "groups >= 1"),
        # PyTorch zeroes rows + ⌈sparsity · rows⌉ entries per column for a negative sparsity
        (lambda t: init.sparse_(t, -0.5), "sparsity >= 0"),
        (lambda t: init.sparse_(t, math.nan), "sparsity >= 0"),
        # PyTorch divides by zero for std=0 and goes on with |std| for a negative one
        (lambda t: init.trunc_normal_(t, std=0.0), "std > 0"),
        (lambda t: init.trunc_normal_(t, std=-1.0), "std > 0"),
        # PyTorch's RuntimeErrors here come from its uniform_
        (lambda t: init.trunc_normal_(t, a=2.0, b=-2.0), "a <= b"),
        (lambda t: init.trunc_normal_(t, a=1.5, b=math.inf), "finite bounds"),
    ],
    ids=[
        "dirac-groups-0",
        "dirac-negative-groups",
        "sparse-negative",
        "sparse-nan",
        "trunc-std-0",
        "trunc-negative-std",
        "trunc-a-above-b",
        "trunc-infinite-bound",
    ],
)
def test_new_inits_refuse_arguments_torch_mishandles_before_drawing(call, message):
    rnd.manual_seed(0)
    with pytest.raises(ValueError, match=message):
        call(tensor(np.zeros((4, 1), np.float32)))
    after = rnd.rand(1)
    rnd.manual_seed(0)
    np.testing.assert_array_equal(after, rnd.rand(1))  # nothing drawn


@pytest.mark.parametrize("name", ["eye", "dirac", "orthogonal", "sparse"])
def test_the_old_names_still_work_with_torchs_future_warning(name):
    assert name in init.__all__ and name in torch.nn.init.__all__
    shape = (3, 4, 3) if name == "dirac" else (3, 4)
    kwargs = dict(sparsity=0.5) if name == "sparse" else {}
    with pytest.warns(FutureWarning, match=f"nn.init.{name}_"):
        getattr(init, name)(tensor(np.zeros(shape, np.float32)), **kwargs)
    assert not hasattr(torch.nn.init, "trunc_normal") and not hasattr(init, "trunc_normal")
