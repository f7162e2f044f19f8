"""Tensor printing: every case is printed by PyTorch too, and the two strings must be identical.

A learner compares `import torch` with `import tinygrad_lr as torch` line by line, so "close" is
a failure here: each test checks exact string equality with `repr` of a real torch tensor.
"""

import math

import numpy as np
import pytest
import torch

from tinygrad_lr.printing import format_tensor, set_printoptions, tensor_repr

NAN, INF = math.nan, math.inf


@pytest.fixture(autouse=True)
def default_print_options():
    """Every test starts, and leaves, with PyTorch's default print options on both sides."""
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")


def our_repr(t: torch.Tensor) -> str:
    """Our print of the values, dtype and autograd state of a torch tensor."""
    grad_fn = None if t.grad_fn is None else type(t.grad_fn).__name__
    return tensor_repr(
        t.detach().numpy(),
        requires_grad=t.requires_grad,
        grad_fn_name=grad_fn,
        is_parameter=isinstance(t, torch.nn.Parameter),
    )


def assert_prints_like_torch(t: torch.Tensor) -> None:
    assert our_repr(t) == repr(t)


def normal(shape, dtype=np.float32, scale=1.0, seed=0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


# --- values: random normals of many shapes and scales -----------------------------------------

SHAPES = [(), (1,), (2,), (5,), (9,), (17,), (33,), (100,), (1, 1), (3, 4), (10, 10), (7, 2),
          (2, 3, 4), (4, 1, 5), (1, 2, 1), (2, 2, 2, 2), (3, 1, 4, 2), (2, 3, 2, 5)]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_random_normals_print_like_torch(shape, dtype):
    assert_prints_like_torch(torch.tensor(normal(shape, dtype)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scale", [1e-9, 1e-5, 1e-4, 1e-3, 0.1, 10.0, 999.0, 1e4, 1e7, 1e9, 1e30])
@pytest.mark.parametrize("shape", [(), (6,), (3, 5), (2, 2, 3)], ids=str)
def test_huge_and_tiny_values_switch_notation_like_torch(shape, scale, dtype):
    assert_prints_like_torch(torch.tensor(normal(shape, dtype, scale, seed=1)))


@pytest.mark.parametrize(
    "values",
    [
        [1e-5, 1.0],
        [1e-4, 1.0],
        [9.9e-5, 1.0],
        [1.0, 1000.0],
        [1.0, 1000.5],
        [0.5, 500.0],
        [0.5, 501.0],
        [1e8, 1.0],
        [1e8 + 1, 1.0],
        [1e8, 5e5],
        [1.5e8, 1e6],
        [1e-4, 0.05],
        [123456.789],
        [-0.00012, 0.5, -3.25],
        [0.99995, 0.00015],
        [-1.5, 2.25, -3.125, 4.0625],
        [0.1, 0.2, 0.3],
        [0.0, 0.0],
        [0.0],
        [1e-40, 1.0],
        [3.4e38, -3.4e38],
    ],
    ids=str,
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_thresholds_of_scientific_notation_match_torch(values, dtype):
    with np.errstate(over="ignore"):  # float16 turns the largest of these into inf
        array = np.array(values, dtype=dtype)
    assert_prints_like_torch(torch.tensor(array))


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0],
        [0.0, 1.0, -2.0],
        list(range(-5, 6)),
        [100.0, -2.0, 3.0],
        [1e6, 2.0],
        [1e9, 2.0],
        [123456789.0],
        [2.0],
        7.0,
        -3.0,
        0.0,
        -0.0,
        [-0.0, 1.0],
        [-0.0, 0.0],
        [-0.0, 0.5],
        [[1.0, -0.0], [20.0, 3.0]],
    ],
    ids=str,
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_whole_number_floats_and_negative_zero_print_like_torch(values, dtype):
    assert_prints_like_torch(torch.tensor(np.array(values, dtype=dtype)))


@pytest.mark.parametrize(
    "values",
    [
        [NAN],
        [INF, -INF],
        [NAN, INF, -INF, 1.5],
        [NAN, 2.0, 3.0],
        [INF, 1e-6, 1.0],
        [-INF, 123.0, 0.0],
        [[NAN, 0.25], [1e10, -INF]],
        [NAN, 0.0],
        NAN,
        -INF,
    ],
    ids=str,
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan_and_inf_print_like_torch(values, dtype):
    assert_prints_like_torch(torch.tensor(np.array(values, dtype=dtype)))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8])
@pytest.mark.parametrize("shape", [(), (1,), (7,), (40,), (3, 4), (2, 3, 4), (2, 1, 2, 3)], ids=str)
def test_integers_print_like_torch(shape, dtype):
    info = np.iinfo(dtype)
    low, high = max(info.min, -(10**6)), min(info.max, 10**6)
    values = np.random.default_rng(2).integers(low, high, size=shape, endpoint=True).astype(dtype)
    assert_prints_like_torch(torch.tensor(values))


@pytest.mark.parametrize("shape", [(), (1,), (5,), (30,), (3, 4), (2, 3, 4)], ids=str)
def test_bools_print_like_torch(shape):
    values = np.random.default_rng(3).random(shape) < 0.5
    assert_prints_like_torch(torch.tensor(values))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.uint8, bool])
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (2, 0, 4), (0, 0)], ids=str)
def test_empty_tensors_print_size_and_dtype_like_torch(shape, dtype):
    assert_prints_like_torch(torch.tensor(np.zeros(shape, dtype=dtype)))


def test_an_empty_float32_vector_prints_bare_brackets():
    assert tensor_repr(np.zeros(0, np.float32), requires_grad=False, grad_fn_name=None) == (
        "tensor([])"
    )


def test_simple_cases_print_as_the_lesson_shows_them():
    def ours(values, dtype=np.float32):
        return tensor_repr(np.array(values, dtype), requires_grad=False, grad_fn_name=None)

    assert ours(3.0) == "tensor(3.)"
    assert ours(0.5) == "tensor(0.5000)"
    assert ours(True, bool) == "tensor(True)"
    assert ours([1.0, 2.0]) == "tensor([1., 2.])"
    assert ours([1e-5, 1.0]) == "tensor([1.0000e-05, 1.0000e+00])"
    assert ours([1, 2], np.float64) == "tensor([1., 2.], dtype=torch.float64)"


# --- layout: wrapping at 80 columns and summarising above 1000 elements -----------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
@pytest.mark.parametrize(
    "shape", [(100,), (3, 30), (2, 3, 20), (2, 2, 2, 15), (1, 1, 1, 1, 40)], ids=str
)
def test_long_rows_wrap_at_the_line_width_like_torch(shape, dtype):
    values = normal(shape, np.float64, scale=1e3, seed=4).astype(dtype)
    assert_prints_like_torch(torch.tensor(values))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, bool])
@pytest.mark.parametrize(
    "shape",
    [(1001,), (2000,), (40, 30), (6, 200), (5, 300), (300, 5), (11, 11, 11), (2, 2, 300),
     (4, 5, 6, 10), (1, 1001)],
    ids=str,
)  # fmt: skip
def test_tensors_over_the_threshold_are_summarised_like_torch(shape, dtype):
    values = normal(shape, np.float64, scale=50.0, seed=5)
    values = values > 0 if dtype is bool else values.astype(dtype)
    assert_prints_like_torch(torch.tensor(values))


def test_only_the_shown_elements_set_the_width_of_a_summary():
    values = np.ones(2000, np.float32)
    values[1000] = 1e-9  # hidden by the summary, so it must not switch on scientific notation
    assert_prints_like_torch(torch.tensor(values))
    assert "e-" not in our_repr(torch.tensor(values))


# --- autograd suffixes and Parameter ----------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (4,), (3, 4), (2, 3, 4), (0,), (0, 2), (2000,)], ids=str)
def test_leaves_that_require_grad_say_so_like_torch(shape, dtype):
    assert_prints_like_torch(torch.tensor(normal(shape, dtype), requires_grad=True))


OPS = {
    "mul": lambda x: x * 2,
    "add": lambda x: x + 1,
    "sum": lambda x: x.sum(),
    "exp": lambda x: x.exp(),
    "mean": lambda x: x.mean(),
    "reshape": lambda x: x.reshape(-1),
    "matmul": lambda x: x @ x.T,
    "sigmoid": torch.sigmoid,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", OPS)
def test_results_of_recorded_ops_name_their_grad_fn_like_torch(op, dtype):
    x = torch.tensor(normal((3, 4), dtype), requires_grad=True)
    assert_prints_like_torch(OPS[op](x))


def test_a_product_names_mul_backward():
    x = torch.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True) * 2
    ours = tensor_repr(x.detach().numpy(), requires_grad=True, grad_fn_name="MulBackward0")
    assert ours == repr(x) == "tensor([2., 4.], grad_fn=<MulBackward0>)"


@pytest.mark.parametrize("width", [60, 64, 66, 68, 70, 72, 74, 76, 78])
def test_suffixes_that_would_pass_the_line_width_start_a_new_line_like_torch(width):
    # Rows of different lengths put the end of the last line on either side of the limit.
    x = torch.tensor(np.linspace(-1, 1, width // 9, dtype=np.float64), requires_grad=True)
    assert_prints_like_torch(x)
    assert_prints_like_torch(x * 3)
    assert_prints_like_torch(torch.tensor(normal((2, width // 10), np.float64)) * x[0])


@pytest.mark.parametrize("linewidth", range(24, 64, 2))
def test_each_suffix_line_is_measured_like_torch(linewidth):
    torch.set_printoptions(linewidth=linewidth)
    set_printoptions(linewidth=linewidth)
    x = torch.tensor(np.array([[0.5, -1.25], [2.0, 4.5]]), requires_grad=True)
    assert_prints_like_torch(x)
    assert_prints_like_torch(x * 2)
    assert_prints_like_torch(torch.nn.functional.layer_norm(x, (2,)))
    assert_prints_like_torch(torch.zeros(0, 3, dtype=torch.float64, requires_grad=True))


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("shape", [(), (3,), (3, 4), (2, 2, 2), (0, 3), (1500,)], ids=str)
def test_parameters_print_like_torch(shape, requires_grad):
    p = torch.nn.Parameter(torch.tensor(normal(shape, np.float32)), requires_grad=requires_grad)
    assert_prints_like_torch(p)
    assert our_repr(p) == str(p)


def test_float64_parameters_name_their_dtype():
    p = torch.nn.Parameter(torch.tensor(normal((2, 3), np.float64)))
    assert_prints_like_torch(p)


# --- many random tensors at once --------------------------------------------------------------


@pytest.mark.parametrize("seed", range(80))
def test_random_tensors_of_every_kind_print_like_torch(seed):
    rng = np.random.default_rng(100 + seed)
    shape = tuple(int(n) for n in rng.integers(1, 7, size=rng.integers(0, 5)))
    values = rng.standard_normal(shape) * 10.0 ** rng.uniform(-7, 10)
    kind = seed % 5
    if kind == 1:  # whole numbers
        values = np.round(values)
    elif kind == 2 and values.size:  # a nonfinite value among the others
        values.reshape(-1)[rng.integers(values.size)] = rng.choice([NAN, INF, -INF])
    elif kind == 3:
        values = np.round(values * 1e-3)
        values = np.clip(values, -(2**31), 2**31 - 1).astype(rng.choice([np.int64, np.int32]))
    elif kind == 4:
        values = values > 0
    dtype = rng.choice([np.float32, np.float64]) if values.dtype.kind == "f" else values.dtype
    requires_grad = seed % 7 == 0 and kind < 3
    assert_prints_like_torch(torch.tensor(values.astype(dtype), requires_grad=requires_grad))


# --- print options ----------------------------------------------------------------------------

OPTIONS = [
    {"precision": 2},
    {"precision": 0},
    {"precision": 8},
    {"threshold": 5},
    {"threshold": 5, "edgeitems": 1},
    {"threshold": 5, "edgeitems": 0},
    {"edgeitems": 0},
    {"linewidth": 40},
    {"linewidth": 10},
    {"linewidth": 200},
    {"sci_mode": True},
    {"sci_mode": False},
    {"profile": "short"},
    {"profile": "full"},
    {"profile": "full", "precision": 6},
]

OPTION_CASES = {
    "vector": np.array([0.123456789, -2.5, 1e-3, 30.0], np.float32),
    "whole": np.array([1.0, -2.0, 3.0], np.float64),
    "long": normal((60,), np.float64, seed=6),
    "matrix": normal((8, 9), np.float32, scale=100.0, seed=7),
    "cube": normal((4, 5, 6), np.float32, seed=8),
    "big": normal((3000,), np.float32, seed=9),
    "ints": np.arange(2000, dtype=np.int64).reshape(40, 50),
    "bools": np.arange(12).reshape(3, 4) % 3 == 0,
    "scalar": np.array(0.0001234, np.float64),
    "specials": np.array([NAN, INF, 0.0], np.float32),
}


@pytest.mark.parametrize("case", OPTION_CASES)
@pytest.mark.parametrize("options", OPTIONS, ids=str)
def test_set_printoptions_changes_prints_as_in_torch(options, case):
    torch.set_printoptions(**options)
    set_printoptions(**options)
    assert_prints_like_torch(torch.tensor(OPTION_CASES[case]))


def test_a_call_without_sci_mode_resets_it_as_in_torch():
    x = torch.tensor(np.array([1e-6, 1.0], np.float32))
    for options in ({"sci_mode": False}, {"precision": 3}):
        torch.set_printoptions(**options)
        set_printoptions(**options)
        assert_prints_like_torch(x)
    assert "e-06" in our_repr(x)


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="profile must be one of"):
        set_printoptions(profile="tiny")


# --- format specs: f"{t:.2f}" -----------------------------------------------------------------


@pytest.mark.parametrize("spec", ["", ".2f", ".3e", ">10", "+.1f", "g", ".0%"])
@pytest.mark.parametrize(
    "value", [np.float32(2.5), np.float64(-1.0 / 3.0), np.float32(1e-7), np.float64(NAN)], ids=str
)
def test_zero_dim_floats_format_as_their_item_like_torch(value, spec):
    t = torch.tensor(np.array(value), requires_grad=True)
    assert format_tensor(t.detach().numpy(), spec, requires_grad=True) == format(t, spec)


@pytest.mark.parametrize("spec", ["", "d", "5d", ".2f", "x", "+"])
@pytest.mark.parametrize("value", [np.int64(42), np.int32(-7), np.uint8(200), np.bool_(True)])
def test_zero_dim_ints_and_bools_format_as_their_item_like_torch(value, spec):
    t = torch.tensor(np.array(value))
    assert format_tensor(t.numpy(), spec) == format(t, spec)


@pytest.mark.parametrize("shape", [(3,), (2, 2), (0,)], ids=str)
def test_other_tensors_refuse_a_format_spec_like_torch(shape):
    t = torch.tensor(normal(shape))
    with pytest.raises(TypeError) as theirs:
        format(t, ".2f")
    with pytest.raises(TypeError) as ours:
        format_tensor(t.numpy(), ".2f")
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("shape", [(3,), (2, 2), (0,)], ids=str)
def test_an_empty_spec_gives_the_print_like_torch(shape):
    t = torch.tensor(normal(shape), requires_grad=True) * 2
    assert format_tensor(t.detach().numpy(), "", grad_fn_name="MulBackward0") == f"{t}"


def test_a_zero_dim_parameter_formats_as_an_object_like_torch():
    p = torch.nn.Parameter(torch.tensor(2.0))
    array = p.detach().numpy()
    assert format_tensor(array, "", requires_grad=True, is_parameter=True) == f"{p}"
    with pytest.raises(TypeError) as theirs:
        format(p, ".2f")
    with pytest.raises(TypeError) as ours:
        format_tensor(array, ".2f", requires_grad=True, is_parameter=True)
    assert str(ours.value) == str(theirs.value)


def test_unsupported_dtypes_are_refused_with_the_dtype_named():
    with pytest.raises(TypeError, match="complex128"):
        tensor_repr(np.zeros(2, complex), requires_grad=False, grad_fn_name=None)
