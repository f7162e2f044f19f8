"""NaN and inf are failures in every comparison: compare, gradcheck, check_op and the tests' own
NumPy assertions."""

import numpy as np
import pytest

import tinygrad_lr as tg
from tinygrad_lr import GradcheckError, tensor
from tinygrad_lr.autograd import Context, Op
from tinygrad_lr.compare import largest_difference, nonfinite, within
from tinygrad_lr.testing import check_op


def test_nonfinite_names_nan_first_then_inf():
    assert nonfinite([1.0, np.inf, np.nan], "autograd's bias gradient") == (
        "NaN in autograd's bias gradient"
    )
    assert nonfinite([1.0, -np.inf], "x") == "inf in x"
    assert nonfinite([1.0, 2.0], "x") is None
    assert nonfinite(np.array([1, 2]), "integers are always finite") is None


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("side", ["left", "right", "both"])
def test_largest_difference_is_nan_never_zero_when_a_side_is_not_finite(bad, side):
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.0])
    if side in ("left", "both"):
        a[1] = bad
    if side in ("right", "both"):
        b[1] = bad
    difference = largest_difference(a, b)
    assert np.isnan(difference)
    assert not within(difference, 1.0)


def test_largest_difference_of_finite_arrays():
    assert largest_difference([1.0, 2.0], [1.5, 2.0]) == 0.5
    assert largest_difference(np.empty(0), np.empty(0)) == 0.0
    assert within(0.5, 0.5) and not within(0.51, 0.5)


class _NanBackward(Op):
    """z = 2x; a deliberately broken rule: dx = NaN"""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        return 2 * x

    @staticmethod
    def backward(ctx: Context, g: np.ndarray) -> np.ndarray:
        return np.full_like(g, np.nan)


def test_gradcheck_fails_on_a_nan_gradient_and_says_so():
    x = tensor(np.ones(3), requires_grad=True)
    with pytest.raises(GradcheckError, match="NaN in the analytic gradient"):
        tg.gradcheck(_NanBackward.apply, [x])
    assert tg.gradcheck(_NanBackward.apply, [x], raise_exception=False) is False


def test_gradcheck_fails_where_the_function_itself_is_not_finite():
    x = tensor(np.array([0.0, 1.0]), requires_grad=True)  # log(0 ± eps): NaN and −inf
    with pytest.raises(GradcheckError, match="inf in the analytic gradient"):
        tg.gradcheck(lambda t: t.log(), [x])


def test_check_op_fails_when_both_sides_give_nan():
    """log of a negative number is NaN in both libraries: agreement on NaN proves nothing."""
    with pytest.raises(AssertionError, match="NaN in tinygrad_lr's output value"):
        check_op(lambda t: t.log(), np.array([-1.0, 2.0]), run_gradcheck=False)


def test_the_tests_numpy_assertions_fail_on_nan_and_inf():
    for bad in (np.nan, np.inf):
        with pytest.raises(AssertionError, match="proves nothing"):
            np.testing.assert_allclose([bad], [bad])
        with pytest.raises(AssertionError, match="proves nothing"):
            np.testing.assert_array_equal([1.0, bad], [1.0, bad])
