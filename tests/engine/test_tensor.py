"""Tensor: construction, attributes, dtype rules and every bad-input error, held against PyTorch.

A case that PyTorch can run is run on `torch.tensor` too, so each expectation here is PyTorch's
behaviour, not only ours.
"""

import operator
import re

import numpy as np
import pytest
import torch

import tinygrad_lr
from tinygrad_lr import DtypeError, GraphError, ShapeError, Tensor, tensor

OUR_ERRORS = (ShapeError, DtypeError, GraphError)


def dtype_name(t: Tensor | torch.Tensor) -> str:
    """'float32' for both a tinygrad_lr and a torch float32 tensor."""
    return str(t.dtype).removeprefix("torch.")


def mentions(*parts: str) -> str:
    """A `match=` pattern: every part, literally, in this order."""
    return ".*".join(re.escape(p) for p in parts)


# --- construction: the dtype rules of torch.tensor -------------------------------------------
@pytest.mark.parametrize(
    "data, expected",
    [
        pytest.param(np.array([1.0, 2.0]), "float64", id="numpy-float64-array-stays-float64"),
        pytest.param(np.array([1.0], np.float32), "float32", id="numpy-float32-array-stays"),
        pytest.param(np.array([1, 2], np.int32), "int32", id="numpy-int32-array-stays"),
        pytest.param(np.array([]), "float64", id="empty-numpy-array-keeps-float64"),
        pytest.param(1.5, "float32", id="python-float-becomes-float32"),
        pytest.param([1.0, 2.0], "float32", id="list-of-floats-becomes-float32"),
        pytest.param([[1, 2], [3.5, 4]], "float32", id="mixed-int-float-list-becomes-float32"),
        pytest.param([], "float32", id="empty-list-becomes-float32"),
        pytest.param(3, "int64", id="python-int-becomes-int64"),
        pytest.param([[1, 2], [3, 4]], "int64", id="list-of-ints-becomes-int64"),
        pytest.param([True, False], "bool", id="list-of-bools-becomes-bool"),
        pytest.param(np.float64(1.5), "float64", id="numpy-float64-scalar-keeps-dtype"),
        pytest.param(np.float32(1.5), "float32", id="numpy-float32-scalar-keeps-dtype"),
        pytest.param(np.int32(3), "int32", id="numpy-int32-scalar-keeps-dtype"),
    ],
)
def test_constructor_picks_the_dtype_torch_tensor_picks(data, expected):
    assert dtype_name(tensor(data)) == expected
    assert dtype_name(torch.tensor(data)) == expected


@pytest.mark.parametrize(
    "data, dtype",
    [([1, 2], np.float64), (np.array([1.5, 2.5]), np.float32), (1.7, np.int64), ([0, 1], bool)],
)
def test_dtype_argument_overrides_the_inferred_dtype(data, dtype):
    ours = tensor(data, dtype=dtype)
    theirs = torch.tensor(data, dtype=getattr(torch, np.dtype(dtype).name))
    assert dtype_name(ours) == dtype_name(theirs) == np.dtype(dtype).name
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, bool])
def test_tensor_of_a_tensor_keeps_its_dtype_and_copies_the_data(dtype):
    source = tensor(np.array([1, 0, 3], dtype=dtype))
    copy = tensor(source)
    assert copy.dtype == source.dtype
    assert not np.shares_memory(copy.numpy(), source.numpy())


def test_constructor_copies_a_numpy_array_like_torch_tensor():
    array = np.array([1.0, 2.0])
    t = tensor(array)
    array[0] = 99.0
    assert t.numpy()[0] == 1.0


# --- binary ops: PyTorch's type promotion -----------------------------------------------------
F32 = np.array([1.0, 2.0], np.float32)
PROMOTION_CASES = [
    pytest.param(lambda T: T(F32) * 2.0, "float32", id="float32*python_float-stays-float32"),
    pytest.param(lambda T: T(F32) + T(np.float64(3.0)), "float32", id="float32+0d_float64"),
    pytest.param(lambda T: T(F32) + T(np.array([1.0, 2.0])), "float64", id="float32+float64"),
    pytest.param(lambda T: T(F32) ** 2, "float32", id="float32**python_int"),
    pytest.param(lambda T: 2 - T(F32), "float32", id="python_int-float32"),
    pytest.param(lambda T: T([1, 2]) + 0.5, "float32", id="int64+python_float-gives-float32"),
    pytest.param(lambda T: T([1, 2]) + T(np.float64(0.5)), "float64", id="int64+0d_float64"),
    pytest.param(lambda T: T([1, 2]) / T([2, 2]), "float32", id="int64/int64-gives-float32"),
    pytest.param(lambda T: T([1, 2]) / 2, "float32", id="int64/python_int-gives-float32"),
    pytest.param(lambda T: 2 / T([1, 2]), "float32", id="python_int/int64-gives-float32"),
    pytest.param(lambda T: T(np.array([1, 2], np.int32)) + T(np.int64(3)), "int32", id="i32+0d"),
    pytest.param(lambda T: T(np.array([1, 2], np.int32)) * 3, "int32", id="int32*python_int"),
    pytest.param(lambda T: T([True, False]) + 1, "int64", id="bool+python_int-gives-int64"),
    pytest.param(lambda T: T(np.array([1.0, 2.0])) - 1.0, "float64", id="float64-python_float"),
]


@pytest.mark.parametrize("expression, expected", PROMOTION_CASES)
def test_binary_op_result_dtype_follows_pytorch_promotion(expression, expected):
    ours, theirs = expression(tensor), expression(torch.tensor)
    assert dtype_name(theirs) == expected
    assert dtype_name(ours) == expected
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


# --- attributes --------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 4)])
def test_shape_ndim_and_dtype_match_torch(shape):
    data = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    ours, theirs = tensor(data), torch.tensor(data)
    assert ours.shape == tuple(theirs.shape) == shape
    assert ours.ndim == theirs.ndim == len(shape)
    assert isinstance(ours.dtype, np.dtype)
    assert dtype_name(ours) == dtype_name(theirs)


def test_numpy_returns_the_tensors_own_array():
    t = tensor([1.0, 2.0])
    assert isinstance(t.numpy(), np.ndarray)
    assert t.numpy() is t.numpy() is t.array


def test_data_is_a_tensor_sharing_the_values_cut_from_the_graph_as_in_pytorch():
    for lib in (tinygrad_lr, torch):
        w = (
            lib.tensor([1.0, 2.0], requires_grad=True)
            if lib is torch
            else tensor([1.0, 2.0], requires_grad=True)
        )
        d = w.data
        assert isinstance(d, lib.Tensor) and not d.requires_grad and d.grad_fn is None
        d.numpy()[0] = 5.0
        assert w.detach().numpy()[0] == 5.0  # the same memory
        assert w._version == 0  # changes through .data are not seen by autograd
        w.data = lib.tensor([7.0, 8.0, 9.0]) if lib is torch else tensor([7.0, 8.0, 9.0])
        assert w.shape == (3,) and w.requires_grad


def test_requires_grad_defaults_to_false_and_can_be_set_on_construction():
    assert tensor([1.0]).requires_grad is False
    assert tensor([1.0], requires_grad=True).requires_grad is True


def test_requires_grad_underscore_switches_it_on_and_returns_the_tensor():
    t = tensor([1.0, 2.0])
    assert t.requires_grad_() is t
    assert t.requires_grad
    assert t.requires_grad_(False).requires_grad is False


def test_grad_is_none_until_backward_then_a_tensor_of_the_same_shape_and_dtype():
    w = tensor(np.array([[1.0, 2.0, 3.0]], np.float32), requires_grad=True)
    assert w.grad is None
    (w * w).sum().backward()
    assert isinstance(w.grad, Tensor)
    assert w.grad.shape == w.shape and w.grad.dtype == w.dtype
    assert not w.grad.requires_grad
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy())


@pytest.mark.parametrize(
    "data, expected", [([2.5], 2.5), (np.array([[7]], np.int32), 7), (True, True), (3, 3)]
)
def test_item_returns_the_one_element_as_a_python_number(data, expected):
    value = tensor(data).item()
    assert value == expected
    assert type(value) is type(torch.tensor(data).item())


def test_detach_shares_the_data_but_is_a_leaf_that_needs_no_grad():
    w = tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    d = y.detach()
    assert np.shares_memory(d.numpy(), y.numpy())
    assert d.requires_grad is False and d.is_leaf and d.grad_fn is None
    d.numpy()[0] = 10.0
    assert y.numpy()[0] == 10.0  # the same memory, as in PyTorch


def test_is_leaf_and_grad_fn_tell_a_leaf_from_an_op_result():
    w = tensor([1.0], requires_grad=True)
    y = w * 3
    assert w.is_leaf and w.grad_fn is None
    assert not y.is_leaf and y.grad_fn is not None and y.requires_grad


def test_repr_is_pytorchs_print_character_for_character():
    for make in (tensor, torch.tensor):
        w = make([1.5, -2.0], requires_grad=True)
        assert repr(w) == "tensor([ 1.5000, -2.0000], requires_grad=True)"
        assert repr(w * 2) == "tensor([ 3., -4.], grad_fn=<MulBackward0>)"
        assert repr(make(np.array([1, 2], np.int32))) == "tensor([1, 2], dtype=torch.int32)"
        assert repr(make([1, 2]).reshape(2, 1).shape) == "torch.Size([2, 1])"
        assert f"{make(0.123456):.3f}" == "0.123"


def test_len_is_the_size_of_the_first_dim_and_a_0d_tensor_has_none():
    assert len(tensor(np.zeros((4, 2)))) == len(torch.zeros(4, 2)) == 4
    with pytest.raises(TypeError, match="0-d"):
        len(tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        len(torch.tensor(1.0))


@pytest.mark.parametrize("data", [[3.0], [[0.0]], 0.5, [0]])
def test_bool_of_a_one_element_tensor_is_the_truth_of_its_element(data):
    assert bool(tensor(data)) is bool(torch.tensor(data))


@pytest.mark.parametrize(
    "compare", [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]
)
def test_comparisons_give_unrecorded_bool_tensors_like_torch(compare):
    a, b = [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]
    ours = compare(tensor(a, requires_grad=True), tensor(b))
    theirs = compare(torch.tensor(a, requires_grad=True), torch.tensor(b))
    assert ours.dtype == np.dtype(bool)
    assert ours.requires_grad is theirs.requires_grad is False
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(compare(tensor(a), 2.0).numpy(), compare(torch.tensor(a), 2.0))


def test_np_asarray_of_a_tensor_gives_its_values():
    t = tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(np.asarray(t), t.numpy())
    assert np.asarray(t, dtype=np.float64).dtype == np.float64


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")  # torch's
def test_np_array_of_a_tensor_is_a_copy_as_with_torch():
    t, theirs = tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    mine, copied = np.array(t), np.array(theirs)
    mine[0] = copied[0] = 99.0
    assert theirs[0].item() == 1.0
    assert t.numpy()[0] == 1.0, "np.array(tensor) must not alias the tensor's memory"


@pytest.mark.parametrize(
    "expression, expected_grad",
    [
        pytest.param(lambda w: np.array([10.0, 20.0]) + w, [1.0, 1.0], id="ndarray+tensor"),
        pytest.param(lambda w: np.array([10.0, 20.0]) - w, [-1.0, -1.0], id="ndarray-tensor"),
        pytest.param(lambda w: np.array([10.0, 20.0]) * w, [10.0, 20.0], id="ndarray*tensor"),
        pytest.param(lambda w: np.array([1.0, 1.0]) @ w, [1.0, 1.0], id="ndarray@tensor"),
        pytest.param(lambda w: 2 - w, [-1.0, -1.0], id="2-tensor"),
        pytest.param(lambda w: 3.0 * w, [3.0, 3.0], id="3.0*tensor"),
        pytest.param(lambda w: 2.0 / w, [-2.0, -0.5], id="2.0/tensor"),
        pytest.param(lambda w: 2.0**w, [2 * np.log(2), 4 * np.log(2)], id="2.0**tensor"),
    ],
)
def test_reflected_ops_return_recorded_tensors(expression, expected_grad):
    w = tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = expression(w)
    assert isinstance(out, Tensor) and out.grad_fn is not None
    out.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), expected_grad)


def test_retain_grad_fills_grad_on_a_non_leaf_and_without_it_grad_stays_none():
    w = tensor([1.0, 2.0], requires_grad=True)
    kept, dropped = w * 3, w * 4
    kept.retain_grad()
    (kept * kept + dropped).sum().backward()
    np.testing.assert_allclose(kept.grad.numpy(), 2 * kept.numpy())
    assert dropped.grad is None
    np.testing.assert_allclose(w.grad.numpy(), 18 * w.numpy() + 4)


# --- bad input: an error of ours, naming what went wrong --------------------------------------
class Lib:
    """The constructors the bad-input table needs, for either library: one action runs on both."""

    def __init__(self, make):
        self.make = make

    def ones(self, *shape, requires_grad=False):
        return self.make(np.ones(shape), requires_grad=requires_grad)


OURS, THEIRS = Lib(tensor), Lib(torch.tensor)


def _set_requires_grad(t, value):
    t.requires_grad = value


def _backward_twice(L):
    y = (L.ones(2, requires_grad=True) * 2).sum()
    y.backward()
    y.backward()


def bad(action, error, match, id, torch_too=True):
    return pytest.param(action, error, match, torch_too, id=id)


A, B = "(2, 3)", "(4, 5)"
ARITHMETIC = (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow)
BAD_INPUT = [
    bad(lambda L: L.ones(2, 3) @ L.ones(4, 5), ShapeError, mentions(A, B), "matmul-shapes"),
    bad(
        lambda L: L.ones(2, 3, 4) @ L.ones(5, 4, 2),
        ShapeError,
        mentions("(2, 3, 4)", "(5, 4, 2)"),
        "matmul-batch-dims",
    ),
    bad(lambda L: L.ones(2, 3) @ L.ones(), ShapeError, mentions(A, "()"), "matmul-with-0d-right"),
    bad(lambda L: L.ones() @ L.ones(3), ShapeError, mentions("()", "(3,)"), "matmul-with-0d-left"),
    *[
        bad(
            lambda L, op=op: op(L.ones(2, 3), L.ones(4, 5)),
            ShapeError,
            mentions(A, B),
            f"failed-broadcast-in-{op.__name__}",
        )
        for op in (*ARITHMETIC, operator.eq, operator.lt)
    ],
    bad(
        lambda L: L.make([1, 2], requires_grad=True),
        DtypeError,
        mentions("floating-point", "int64"),
        "int-tensor-requiring-grad-in-constructor",
    ),
    bad(
        lambda L: _set_requires_grad(L.make([1, 2]), True),
        DtypeError,
        mentions("floating-point", "int64"),
        "int-tensor-requiring-grad-by-setter",
    ),
    bad(
        lambda L: L.make(np.array([1, 2], np.int32)).requires_grad_(),
        DtypeError,
        mentions("floating-point", "int32"),
        "int-tensor-requires_grad_",
    ),
    bad(
        lambda L: (L.ones(2, 3, requires_grad=True) * 2).backward(L.ones(3, 2)),
        ShapeError,
        mentions("(3, 2)", A),
        "backward-gradient-of-wrong-shape",
    ),
    bad(
        lambda L: (L.ones(2, 3, requires_grad=True) * 2).backward(),
        GraphError,
        mentions("grad can be implicitly created only for scalar outputs", A),
        "backward-on-non-scalar-without-gradient",
    ),
    bad(
        lambda L: L.ones(2).sum().backward(),
        GraphError,
        "does not require grad",
        "backward-on-tensor-that-does-not-require-grad",
    ),
    bad(_backward_twice, GraphError, "second time.*retain_graph=True", "backward-twice"),
    bad(lambda L: L.ones(2).retain_grad(), GraphError, "retain_grad", "retain-grad-without-grad"),
    bad(
        lambda L: _set_requires_grad(L.ones(2, requires_grad=True) * 2, False),
        GraphError,
        "leaf",
        "switching-off-requires-grad-on-a-non-leaf",
    ),
    bad(lambda L: L.ones(2, 3).item(), ShapeError, mentions("item()", A), "item-of-many-elements"),
    bad(lambda L: bool(L.ones(2)), ShapeError, "ambiguous", "bool-of-many-elements"),
    bad(lambda L: L.ones(2, 3).reshape(4, 2), ShapeError, mentions(A, "(4, 2)"), "reshape"),
    *[
        bad(
            lambda L, name=name, dim=dim: getattr(L.ones(2, 3), name)(dim),
            ShapeError,
            mentions(f"dim {dim}", A),
            f"{name}-dim-{dim}-out-of-range",
        )
        for name, dim in (("sum", 2), ("mean", -3), ("amax", 5))
    ],
    *[
        bad(
            lambda L, name=name: getattr(L.ones(2, 3), name)((1, -1)),
            ShapeError,
            mentions("dim 1", "multiple times"),
            f"{name}-with-a-repeated-dim",
        )
        for name in ("sum", "mean", "amax")
    ],
    bad(
        lambda L: L.ones(2, 3)[L.make(np.array([0.0, 1.0]))],
        IndexError,
        mentions("integers or bools", "float64"),
        "indexing-with-a-float-array",
    ),
    *[
        bad(
            lambda L, index=index: L.ones(2, 3)[index],
            IndexError,
            mentions(A, f"index {bad_index}"),
            f"index-{bad_index}-out-of-bounds",
        )
        for index, bad_index in ((5, 5), ((0, 9), 9), ([0, 7], 7))
    ],
    bad(lambda L: L.ones(2, 3).permute(0), ShapeError, mentions("(0,)", A), "permute-too-few"),
    bad(lambda L: L.make([[1.0, 2.0], [3.0]]), ShapeError, "list", "ragged-nested-list"),
    bad(lambda L: L.make("abc"), DtypeError, "<U3", "string-data"),
    bad(lambda L: L.make([1.0 + 2.0j]), DtypeError, "complex128", "complex", torch_too=False),
    bad(
        lambda L: L.make([2, 3]) ** -1,
        RuntimeError,
        "negative integer powers",
        "integer-to-a-negative-integer-power",
    ),
]


@pytest.mark.parametrize("action, error, match, torch_too", BAD_INPUT)
def test_bad_input_raises_an_error_of_ours_that_names_what_is_wrong(
    action, error, match, torch_too
):
    with pytest.raises(error, match=match) as caught:
        action(OURS)
    raised = caught.value
    if isinstance(raised, OUR_ERRORS):
        return
    assert isinstance(raised, IndexError), f"a bare {type(raised).__name__}: {raised}"
    # IndexError is PyTorch's type for bad indices; the words must still be ours
    assert re.search(r"tensor", str(raised)), f"a bare NumPy message: {raised}"


@pytest.mark.parametrize("action, error, match, torch_too", [p for p in BAD_INPUT if p.values[3]])
def test_bad_input_error_is_also_the_exception_type_pytorch_raises(action, error, match, torch_too):
    with pytest.raises(Exception) as theirs:
        action(THEIRS)
    with pytest.raises(Exception) as ours:
        action(OURS)
    assert isinstance(ours.value, type(theirs.value)), (
        f"PyTorch raises {type(theirs.value).__name__}({theirs.value}), we raise "
        f"{type(ours.value).__name__}: code catching PyTorch's error would miss ours"
    )


def test_an_integer_tensor_asked_for_grad_gets_a_dtype_error_that_is_a_runtime_error():
    with pytest.raises(DtypeError) as caught:
        tensor([1, 2], requires_grad=True)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, TypeError)
    assert "gradient" in str(caught.value)


def test_non_scalar_backward_uses_the_same_words_as_pytorch():
    words = "grad can be implicitly created only for scalar outputs"
    with pytest.raises(RuntimeError, match=words):
        (torch.ones(2, 3, requires_grad=True) * 2).backward()
    with pytest.raises(GraphError, match=words):
        (tensor(np.ones((2, 3)), requires_grad=True) * 2).backward()


@pytest.mark.parametrize(
    "data",
    [np.arange(3), np.zeros(2), [True, False], [[1, 2], [3, 4]], 2.5],
    ids=["int64-array", "float64-array", "bools", "int-lists", "number"],
)
def test_the_legacy_constructor_gives_the_default_float_dtype_as_torch_tensor_class_does(data):
    if isinstance(data, float):
        data = [data]
    ours, theirs = Tensor(data), torch.Tensor(data)
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_the_legacy_constructor_with_ints_makes_a_tensor_of_that_shape():
    assert Tensor(2, 3).shape == tuple(torch.Tensor(2, 3).shape) == (2, 3)


def test_tensor_function_keeps_the_datas_dtype_as_torch_tensor_does():
    for data in (np.arange(3), np.zeros(2), [1.5], [1, 2], [True]):
        assert tensor(data).dtype == np.dtype(str(torch.tensor(data).dtype).split(".")[1])


BIG_INTS = [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**40]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("number", BIG_INTS, ids=[str(n) for n in BIG_INTS])
def test_a_python_int_beyond_64_bits_raises_overflow_error_as_in_pytorch(number, dtype):
    def outcome(lib):
        x = lib.ones(2, dtype=getattr(lib, dtype))
        try:
            return [(x * number).tolist(), (number + x).tolist(), (x == number).tolist()]
        except OverflowError:
            return "OverflowError"

    assert outcome(tinygrad_lr) == outcome(torch)
