"""Every op's value and gradient, held against PyTorch (float64, 1e-10) and central differences.

Each case runs one expression on tinygrad_lr tensors and on PyTorch tensors through
`tinygrad_lr.testing.check_op`, with a fixed random upstream gradient.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from tinygrad_lr import tensor
from tinygrad_lr.testing import check_op, random_inputs

# Shapes for binary elementwise ops: equal, added leading dims, size-1 dims on either side, 0-d.
BROADCAST_PAIRS = [
    ((3, 4), (3, 4)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 3, 4)),
    ((3, 1), (1, 4)),
    ((2, 1, 4), (3, 1)),
    ((), (3, 4)),
    ((3, 4), ()),
    ((), ()),
    ((1,), (2, 3)),
]


def positive(*shapes, seed=0):
    return random_inputs(*shapes, seed=seed, low=0.5, high=2.0)


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize(
    "fn",
    [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b],
    ids=["add", "sub", "mul"],
)
def test_binary_op_matches_torch_with_broadcasting(fn, shapes):
    check_op(fn, *shapes)


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_div_matches_torch_with_broadcasting(shapes):
    a, b = random_inputs(*shapes, seed=1)
    check_op(lambda x, y: x / y, a, np.sign(b) * (np.abs(b) + 0.5))


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
def test_pow_of_two_tensors_matches_torch_with_broadcasting(shapes):
    check_op(lambda x, y: x**y, *positive(*shapes))


@pytest.mark.parametrize("exponent", [2, 3.0, 0.5, -1.5, 0])
def test_pow_with_constant_exponent_matches_torch(exponent):
    check_op(lambda x: x**exponent, *positive((3, 4)))


def test_pow_at_zero_base_has_the_torch_gradient():
    check_op(
        lambda x, y: x**y, np.array([0.0, 0.0, 1.5]), np.array([2.0, 0.0, 3.0]), run_gradcheck=False
    )  # central differences step below 0 at x = 0


@pytest.mark.parametrize("scalar", [2.5, -3, 0.5])
@pytest.mark.parametrize(
    "fn",
    [
        lambda x, s: x + s,
        lambda x, s: s + x,
        lambda x, s: x - s,
        lambda x, s: s - x,
        lambda x, s: x * s,
        lambda x, s: s * x,
        lambda x, s: x / s,
        lambda x, s: s / x,
        lambda x, s: abs(s) ** x,
    ],
    ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv", "rpow"],
)
def test_op_with_python_scalar_matches_torch(fn, scalar):
    check_op(lambda x: fn(x, scalar), *positive((2, 3)))


def test_reflected_ops_with_numpy_arrays_are_recorded():
    other = np.arange(1.0, 5.0)
    check_op(lambda x: other - x, (3, 4), torch_fn=lambda x: torch.tensor(other) - x)
    check_op(lambda x: other / x, *positive((3, 4)), torch_fn=lambda x: torch.tensor(other) / x)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4), (), (1,)], ids=str)
@pytest.mark.parametrize(
    "fn",
    [lambda x: -x, lambda x: x.exp(), lambda x: x.relu(), lambda x: (x * x + 0.1).log()],
    ids=["neg", "exp", "relu", "log"],
)
def test_unary_op_matches_torch(fn, shape):
    check_op(fn, shape)


def test_relu_gradient_at_zero_is_zero_as_in_torch():
    check_op(lambda x: x.relu(), np.array([-1.0, 0.0, 2.0]), run_gradcheck=False)


def test_log_of_positive_input_matches_torch():
    check_op(lambda x: x.log(), *positive((5,)))


REDUCE_DIMS = [None, 0, 1, -1, (0, 2), [0, 1, 2], ()]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", REDUCE_DIMS, ids=str)
def test_sum_and_mean_match_torch(dim, keepdim):
    check_op(lambda x: x.sum(dim=dim, keepdim=keepdim), (2, 3, 4))
    check_op(lambda x: x.mean(dim=dim, keepdim=keepdim), (2, 3, 4))


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1, (0, 2)], ids=str)
def test_max_and_min_match_torch_amax_and_amin(dim, keepdim):
    check_op(
        lambda x: x.amax(dim=dim, keepdim=keepdim),
        (2, 3, 4),
        torch_fn=lambda x: x.amax(dim=dim, keepdim=keepdim),
    )
    check_op(
        lambda x: x.amin(dim=dim, keepdim=keepdim),
        (2, 3, 4),
        torch_fn=lambda x: x.amin(dim=dim, keepdim=keepdim),
    )


def test_max_of_all_elements_matches_torch():
    check_op(lambda x: x.max(), (3, 4))


@pytest.mark.parametrize(
    "values",
    [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], [[5.0, 5.0, 5.0], [0.0, 1.0, 1.0]]],
)
def test_max_ties_split_the_gradient_evenly_like_torch_amax(values):
    x = np.array(values)
    check_op(lambda t: t.amax(dim=1), x, torch_fn=lambda t: t.amax(dim=1), run_gradcheck=False)
    check_op(lambda t: t.max(), x, run_gradcheck=False)


@pytest.mark.parametrize("dim", [0, -1])
def test_reductions_of_a_0d_tensor_match_torch(dim):
    check_op(lambda x: x.sum(dim=dim), ())
    check_op(lambda x: x.mean(dim=dim, keepdim=True), ())


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.reshape(4, 6),
        lambda x: x.reshape(-1),
        lambda x: x.reshape((3, -1, 2)),
        lambda x: x.view(2, 12),
        lambda x: x.transpose(0, 2),
        lambda x: x.transpose(-1, 1),
        lambda x: x.permute(1, 2, 0),
        lambda x: x.unsqueeze(1),
        lambda x: x.unsqueeze(-1),
        lambda x: x.flatten(1),
        lambda x: x[0].T,
        lambda x: x.reshape(1, 24, 1).squeeze(),
        lambda x: x.reshape(1, 24, 1).squeeze(0),
    ],
)
def test_movement_op_matches_torch(fn):
    check_op(fn, (2, 3, 4))


MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes):
    check_op(lambda a, b: a @ b, *shapes)


def test_matmul_method_and_reflected_form_match_torch():
    w = np.arange(12.0).reshape(4, 3) / 10
    check_op(lambda x: x.matmul(x.T), (3, 4))
    check_op(lambda x: w @ x, (3, 2), torch_fn=lambda x: torch.tensor(w) @ x)


@pytest.mark.parametrize(
    "index",
    [
        (np.array([0, 1, 2, 2]), np.array([3, 0, 1, 1])),  # the cross-entropy gather
        (np.array([1, 1, 1]),),  # repeated rows accumulate
        (slice(None), np.array([0, 0, 3])),
        (1,),
        (slice(1, None), slice(None, None, 2)),
        (Ellipsis, None),
        (np.array([True, False, True]),),
        (np.array([-1, 0, -3, -1]), np.array([-4, 2, 2, 3])),  # negative, one repeated
        (np.array([[0], [2]]), np.array([[1, 1, -1]])),  # index arrays that broadcast
    ],
    ids=[
        "gather",
        "repeated",
        "slice-and-array",
        "int",
        "slices",
        "none",
        "mask",
        "negative",
        "broadcast",
    ],
)
def test_indexing_matches_torch(index):
    check_op(
        lambda x: x[index],
        (3, 4),
        torch_fn=lambda x: x[
            tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
        ],
    )


@pytest.mark.parametrize(
    ("shape", "index"),
    [
        ((5, 3), (np.array([0, 4, 4, 4, -1]), np.array([2, 1, 1, 1, 1]))),
        ((4, 3, 2), (np.array([1, 1, -3]), np.array([0, 0, 0]), np.array([1, 1, 1]))),
        ((6,), np.array([5, -1, 0, 5], dtype=np.int32)),
        ((3, 4), (np.array([[0], [2], [2]]), np.array([[1, -3, 3]]))),
    ],
    ids=["rows", "3-d", "1-d int32", "broadcast"],
)
def test_scatter_add_sums_repeats_in_the_order_numpy_add_at_does(shape, index):
    """Index's backward flattens one-integer-array-per-dim indices before adding: the same
    numbers added in the same order as np.add.at on the original index, to the bit."""
    from tinygrad_lr.autograd.xp import Arrays

    count = np.zeros(shape)[index].shape
    values = np.random.default_rng(3).standard_normal(count) * 10.0 ** np.arange(count[-1])
    values = values.astype(np.float32)
    expected = np.zeros(shape, np.float32)
    np.add.at(expected, index, values)
    np.testing.assert_array_equal(Arrays.scatter_add(shape, index, values), expected)


def test_indexing_with_a_tensor_of_indices_matches_torch():

    rows, cols = np.arange(3), np.array([2, 0, 2])
    check_op(
        lambda x: x[tensor(rows), tensor(cols)],
        (3, 4),
        torch_fn=lambda x: x[torch.tensor(rows), torch.tensor(cols)],
    )


def test_cast_passes_gradient_back_in_the_original_dtype():
    check_op(lambda x: x.float().double() * 2, (3,), atol=1e-6, rtol=1e-6, run_gradcheck=False)


@pytest.mark.parametrize("shape", [(3, 4), (2, 3)])
def test_argmax_matches_torch_and_has_no_gradient(shape):

    (x,) = random_inputs(shape)
    ours = tensor(x, requires_grad=True)
    for dim in (None, 0, 1, -1):
        got, want = ours.argmax(dim=dim), torch.tensor(x).argmax(dim=dim)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.dtype == np.int64 and not got.requires_grad
    assert ours.argmax(dim=1, keepdim=True).shape == (shape[0], 1)


@settings(max_examples=40, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3),
    op=st.sampled_from(["add", "sub", "mul", "div", "pow"]),
    seed=st.integers(0, 2**16),
)
def test_binary_ops_match_torch_for_any_broadcastable_shapes(shapes, op, seed):
    a, b = positive(*shapes.input_shapes, seed=seed)
    fn = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "pow": lambda x, y: x**y,
    }[op]
    check_op(fn, a, b, seed=seed)
