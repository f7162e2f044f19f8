"""gradcheck and check_op: they pass correct ops, and they catch the mistakes a backward makes.

The broken ops below are written the way every op in ops.py is (a Op with forward and
backward on NumPy arrays), each with one deliberate mistake.
"""

import re

import numpy as np
import pytest
import torch

from tinygrad_lr import GradcheckError, Op, gradcheck, tensor
from tinygrad_lr.testing import check_op, random_inputs


class Square(Op):
    """z = x²;  dx = 2·g·x  (correct: a user-written op that should pass)"""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * g * x


class SquareMissingFactorTwo(Square):
    """z = x²;  backward returns g·x: the factor 2 is forgotten."""

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x


class SquareWrongValue(Square):
    """z = x² + 0.01 (wrong value), with the right gradient of x²."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x + 0.01


class TransposeUntransposedGradient(Op):
    """z = xᵀ;  backward returns g where it should return gᵀ.

    Right whenever g is symmetric, as the all-ones gradient of `.sum()` is: only a random
    upstream gradient shows the mistake.
    """

    @staticmethod
    def forward(ctx, x):
        return x.T.copy()

    @staticmethod
    def backward(ctx, g):
        return g


def reported(message: str, name: str) -> float:
    """The value a GradcheckError message gives after `name` ('analytic' or 'numeric')."""
    found = re.search(rf"{name} (?:np\.float64\()?([-+0-9.e]+)", message)
    assert found, f"no {name} value in: {message}"
    return float(found.group(1))


# --- gradcheck passes correct ops --------------------------------------------------------------
CORRECT = [
    pytest.param(lambda x: (x.exp() + 1).log(), [(3, 4)], id="softplus"),
    pytest.param(lambda a, b: (a @ b).exp().mean(), [(2, 3), (3, 4)], id="mean-exp-matmul"),
    pytest.param(lambda a, b: a / (b * b + 1), [(2, 3), (3,)], id="broadcast-divide"),
    pytest.param(lambda x: x.amax(1) - x.amin(0).sum(), [(3, 4)], id="max-and-min"),
    pytest.param(lambda x: x.permute(1, 0).reshape(6) * 2, [(2, 3)], id="permute-reshape"),
    pytest.param(lambda x: x[np.array([0, 2, 2])] ** 2, [(3, 2)], id="gather-with-repeats"),
    pytest.param(lambda x: Square.apply(x) - x, [(4,)], id="user-written-function"),
]


@pytest.mark.parametrize("fn, shapes", CORRECT)
def test_gradcheck_returns_true_for_a_correct_op(fn, shapes):
    assert gradcheck(fn, random_inputs(*shapes)) is True


def test_gradcheck_handles_a_0d_input():
    assert gradcheck(lambda x, s: (x * s).exp(), [np.array([0.5, -1.0]), 2.5]) is True


def test_gradcheck_checks_every_output_of_a_tuple():
    a, b = random_inputs((2, 3), (2, 3))
    assert gradcheck(lambda a, b: (a * b, a + b.exp()), [a, b]) is True
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(lambda a, b: (a * b, SquareMissingFactorTwo.apply(b)), [a, b])


def test_gradcheck_calls_fn_with_float64_copies_of_float32_inputs():
    seen = []
    x = tensor(np.array([0.3, -0.7], np.float32), requires_grad=True)

    def fn(x, y):
        seen.append((x.dtype, y.dtype))
        return x * y

    assert gradcheck(fn, [x, np.array([[1.5], [2.0]], np.float32)])
    assert set(seen) == {(np.dtype(np.float64), np.dtype(np.float64))}


def test_gradcheck_leaves_the_callers_tensors_as_they_were():
    x = tensor(np.array([0.3, -0.7], np.float32), requires_grad=True)
    gradcheck(lambda x: x * x, [x])
    assert x.dtype == np.float32 and x.grad is None
    np.testing.assert_array_equal(x.numpy(), np.array([0.3, -0.7], np.float32))


def test_gradcheck_checks_only_the_inputs_that_require_grad():
    a, b = random_inputs((3,), (3,))

    def fn(a, b):
        return a * SquareMissingFactorTwo.apply(b)

    assert gradcheck(fn, [tensor(a, requires_grad=True), tensor(b)]) is True
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(fn, [tensor(a, requires_grad=True), tensor(b, requires_grad=True)])


def test_gradcheck_passes_integer_inputs_through_unchecked():
    seen = []

    def fn(x, index):
        seen.append((index.dtype.kind, index.requires_grad))
        return x[index]

    assert gradcheck(fn, [random_inputs((4, 2))[0], np.array([3, 0, 3])]) is True
    assert set(seen) == {("i", False)}


@pytest.mark.parametrize(
    "inputs",
    [
        pytest.param([tensor([1.0, 2.0])], id="a-tensor-without-requires-grad"),
        pytest.param([np.array([1, 2])], id="an-integer-array"),
    ],
)
def test_gradcheck_raises_value_error_when_no_input_requires_grad(inputs):
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda x: x * 2, inputs)


def test_gradcheck_refuses_a_fn_that_does_not_return_tensors():
    with pytest.raises(TypeError, match="Tensor"):
        gradcheck(lambda x: x.numpy() * 2, [np.array([1.0])])


# --- gradcheck catches a wrong gradient --------------------------------------------------------
def test_gradcheck_catches_a_missing_factor_and_names_input_element_and_both_values():
    a, b = random_inputs((2, 3), (2, 3))
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda a, b: a + SquareMissingFactorTwo.apply(b), [a, b])
    message = str(caught.value)
    assert "input 1" in message and "shape (2, 3)" in message
    assert "element (0, 0)" in message and "6 of 6 elements disagree" in message
    v = np.random.default_rng(0).standard_normal((2, 3))  # gradcheck's upstream, seed 0
    assert reported(message, "analytic") == pytest.approx(v[0, 0] * b[0, 0])
    assert reported(message, "numeric") == pytest.approx(2 * v[0, 0] * b[0, 0], rel=1e-5)


def test_summing_the_output_hides_a_transposed_gradient():
    x = tensor(random_inputs((3, 3))[0], requires_grad=True)
    TransposeUntransposedGradient.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 3)))  # the right answer, by luck
    assert gradcheck(lambda x: TransposeUntransposedGradient.apply(x).sum(), [x.numpy()]) is True


def test_gradcheck_catches_a_transposed_gradient_with_its_random_upstream_gradient():
    x = random_inputs((3, 3))[0]
    with pytest.raises(GradcheckError) as caught:
        gradcheck(TransposeUntransposedGradient.apply, [x])
    message = str(caught.value)
    assert "input 0" in message and "element (0, 1)" in message
    assert "6 of 9 elements disagree" in message  # the diagonal is right
    v = np.random.default_rng(0).standard_normal((3, 3))
    assert reported(message, "analytic") == pytest.approx(v[0, 1])
    assert reported(message, "numeric") == pytest.approx(v[1, 0], rel=1e-5)


@pytest.mark.parametrize("broken", [SquareMissingFactorTwo, TransposeUntransposedGradient])
def test_gradcheck_returns_false_instead_of_raising_when_asked(broken):
    x = random_inputs((3, 3))[0]
    assert gradcheck(broken.apply, [x], raise_exception=False) is False


# --- check_op: value and gradient against PyTorch, then gradcheck ------------------------------
@pytest.mark.parametrize(
    "fn, inputs",
    [
        pytest.param(lambda x: (x.exp() + 1).log(), [(3, 4)], id="softplus"),
        pytest.param(lambda a, b: a @ b, [(2, 3), (3, 4)], id="matmul"),
        pytest.param(lambda a, b: (a - b) ** 2 / 2, [(2, 3), (1, 3)], id="broadcast"),
        pytest.param(lambda x: x.relu().mean(1, keepdim=True), [(3, 4)], id="relu-mean"),
        pytest.param(lambda x, s: x * s, [(3,), 2.5], id="with-a-number-input"),
    ],
)
def test_check_op_passes_a_correct_op(fn, inputs):
    check_op(fn, *inputs)


def test_check_op_passes_a_correct_user_written_function():
    check_op(Square.apply, (3, 4), torch_fn=lambda x: x * x)


@pytest.mark.parametrize(
    "ours, theirs",
    [
        pytest.param(lambda x: x.max(1)[0], lambda x: torch.amax(x, 1), id="max-values-amax"),
        pytest.param(lambda x: x.amin(0), lambda x: torch.min(x, 0).values, id="amin-min"),
        pytest.param(lambda x: x.exp(), lambda x: x.sinh() + x.cosh(), id="different-formula"),
    ],
)
def test_check_op_uses_torch_fn_where_the_apis_differ(ours, theirs):
    check_op(ours, (3, 4), torch_fn=theirs)


@pytest.mark.parametrize(
    "fn, inputs",
    [
        pytest.param(lambda x, i: x[i], [(4, 3), np.array([0, 2, 2])], id="rows-with-a-repeat"),
        pytest.param(
            lambda x, r, c: x[r, c], [(3, 5), np.arange(3), np.array([4, 0, 4])], id="gather"
        ),
    ],
)
def test_check_op_passes_integer_inputs_as_indices(fn, inputs):
    check_op(fn, *inputs)


def test_check_op_fails_on_a_wrong_value():
    with pytest.raises(AssertionError, match="output value"):
        check_op(SquareWrongValue.apply, (3, 4), torch_fn=lambda x: x * x)


@pytest.mark.parametrize(
    "broken, torch_fn",
    [
        pytest.param(SquareMissingFactorTwo, lambda x: x * x, id="missing-factor"),
        pytest.param(TransposeUntransposedGradient, lambda x: x.T, id="transposed-gradient"),
    ],
)
def test_check_op_fails_on_a_wrong_gradient(broken, torch_fn):
    with pytest.raises(AssertionError, match="gradient of input 0"):
        check_op(broken.apply, (3, 3), torch_fn=torch_fn)


def test_check_op_fails_on_a_different_shape_or_dtype():
    with pytest.raises(AssertionError, match="output shape"):
        check_op(lambda x: x.sum(0), (2, 3), torch_fn=lambda x: x.sum(1))
    with pytest.raises(AssertionError, match="output dtype"):
        check_op(lambda x: x.float(), (2, 3), torch_fn=lambda x: x * 1)
