"""Edges of the recorded backward found in review: grad() stops at the inputs asked for, long
sums keep NumPy's accuracy, a rule that differs on tensors is caught, and a NumPy call that
would cut the recorded graph is an error."""

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
from tinygrad_lr.autograd.xp import Arrays
from tinygrad_lr.check_kit import check_op_kit
from tinygrad_lr.errors import GradcheckError, GraphError
from tinygrad_lr.gradcheck import gradgradcheck


def test_grad_runs_only_the_ops_between_the_outputs_and_the_inputs_asked_for():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x.prod()  # Prod's rule cannot be recorded, but nothing below h is asked for
    (g,) = tg.autograd.grad(h**3, h, create_graph=True)
    xt = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ht = xt.prod()
    (gt,) = torch.autograd.grad(ht**3, ht, create_graph=True)
    assert g.item() == gt.item() and g.requires_grad

    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x.exp()
    tg.autograd.grad((h * h).sum(), h)  # the graph below h is neither walked nor released
    h.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0, 3.0]))


def test_a_long_float32_sum_over_the_last_axis_keeps_numpys_accuracy():
    x = np.full((2, 10**6), 0.1, np.float32)
    ours = tg.tensor(x).sum(dim=-1).numpy()
    np.testing.assert_array_equal(ours, x.sum(axis=-1))
    assert ours[0] == tg.tensor(x[:1]).sum().item()


@pytest.mark.parametrize("shape", [(700, 2), (100_000, 10), (65, 64)])
def test_a_sum_over_the_rows_through_blas_is_no_less_accurate_than_numpys(shape):
    """Summing a C-ordered matrix over its rows (a bias's gradient) goes through BLAS; NumPy's
    own reduction there is a running sum too, so the error may differ but is no larger."""
    from tinygrad_lr.autograd.xp import sum_over

    rng = np.random.default_rng(shape[0])
    for dtype in (np.float32, np.float64):
        x = (rng.standard_normal(shape) + 3.0).astype(dtype)  # same signs: a running sum drifts
        exact = x.astype(np.longdouble).sum(axis=0)
        ours, numpys = sum_over(x, (0,)), x.sum(axis=0)
        assert ours.dtype == dtype and sum_over(x, 0, keepdims=True).shape == (1, shape[1])
        tolerance = (
            np.abs(numpys - exact).max() * 1.5 + 4 * np.finfo(dtype).eps * np.abs(exact).max()
        )
        assert np.abs(ours - exact).max() <= tolerance


class SinRecordedWrong(tg.Op):
    """sin, whose rule adds g when it runs on tensors: right first order, wrong recorded."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        grad = g * ctx.xp.cos(x)
        return grad if ctx.xp is Arrays else grad + g


def test_a_rule_that_differs_on_tensors_fails_the_kit_and_gradgradcheck():
    report = check_op_kit(SinRecordedWrong.apply, 1, torch_fn=torch.sin, second_order=True)
    assert not report.passed
    assert "recorded first derivative of input 0" in str(report)
    with pytest.raises(GradcheckError, match="recorded backward"):
        gradgradcheck(SinRecordedWrong.apply, [np.random.default_rng(0).standard_normal(3)])


class HalfReluSquared(tg.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x.relu() * 0.5

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * np.where(x > 0, x, 0.0)  # NumPy on a tensor: fine on arrays, cuts a graph


def test_a_numpy_call_inside_a_recorded_rule_is_an_error_not_a_cut_graph():
    x = tg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (g,) = tg.autograd.grad(HalfReluSquared.apply(x).sum(), x)  # first order: allowed
    np.testing.assert_array_equal(g.numpy(), [1.0, 0.0, 3.0])
    with pytest.raises(GraphError, match=r"ctx\.xp"):
        tg.autograd.grad(HalfReluSquared.apply(x).sum(), x, create_graph=True)


def test_gradgradcheck_is_reachable_where_pytorch_has_it():
    x = tg.tensor([0.3, -0.2], dtype=tg.float64, requires_grad=True)
    assert tg.gradgradcheck(lambda t: (t.tanh() * t).sum(), [x])
    assert tg.autograd.gradgradcheck is tg.gradgradcheck
    assert tg.autograd.gradcheck is tg.gradcheck


def test_bitwise_ops_follow_pytorch_on_bool_and_integer_tensors_and_refuse_floats():
    a, b = np.array([True, False, True]), np.array([True, True, False])
    ours, theirs = tg.tensor(a), torch.tensor(a)
    for op in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y):
        np.testing.assert_array_equal(op(ours, tg.tensor(b)).numpy(), op(theirs, torch.tensor(b)))
    np.testing.assert_array_equal((~tg.tensor([1, 2])).numpy(), (~torch.tensor([1, 2])).numpy())
    for op in (lambda x: x & x, lambda x: ~x):
        with pytest.raises((TypeError, NotImplementedError)):  # PyTorch: one each
            op(torch.tensor([1.0]))
        with pytest.raises(tg.DtypeError, match="bool and integer tensors only"):
            op(tg.tensor([1.0]))
