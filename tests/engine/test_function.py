"""`autograd.Function`: PyTorch's API for an op of your own, held against PyTorch and central
differences."""

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
from tinygrad_lr import GraphError


def _exp_function(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result

    return Exp


def _scale_function(lib):
    class Scale(lib.autograd.Function):
        """y = a · x with a Python number a: no gradient for it."""

        @staticmethod
        def forward(ctx, x, a):
            ctx.a = a
            return x * a

        @staticmethod
        def backward(ctx, grad):
            assert ctx.needs_input_grad == (True, False)
            return grad * ctx.a, None

    return Scale


def test_a_function_written_as_in_pytorch_gives_pytorchs_values_and_gradients():
    x = np.random.default_rng(0).standard_normal((3, 4))
    results = []
    for lib in (tg, torch):
        t = lib.tensor(x, requires_grad=True)
        y = _scale_function(lib).apply(_exp_function(lib).apply(t), 2.5)
        (y * y).sum().backward()
        results.append((y.detach().numpy(), t.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_a_functions_rule_is_checked_by_gradcheck():
    exp = _exp_function(tg)
    assert tg.gradcheck(exp.apply, [tg.tensor(np.array([0.5, -1.0]), requires_grad=True)])

    class WrongExp(exp):
        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result * 1.01

    with pytest.raises(tg.GradcheckError):
        tg.gradcheck(WrongExp.apply, [tg.tensor(np.array([0.5, -1.0]), requires_grad=True)])


def test_changing_a_saved_tensor_in_place_is_caught_at_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = _exp_function(tg).apply(x)
    with tg.no_grad():
        y.zero_()
    with pytest.raises(GraphError, match="changed in place"):
        y.sum().backward()


def test_backward_must_return_one_gradient_per_argument():
    class Bad(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x, a):
            return x * a

        @staticmethod
        def backward(ctx, grad):
            return grad

    x = tg.tensor([1.0], requires_grad=True)
    with pytest.raises(GraphError, match="one per argument"):
        Bad.apply(x, 2.0).sum().backward()


def test_a_marked_output_is_not_differentiable():
    class Floor(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            out = tg.tensor(np.floor(x.numpy()))
            ctx.mark_non_differentiable(out)
            return out

    y = Floor.apply(tg.tensor([1.5], requires_grad=True))
    assert not y.requires_grad
