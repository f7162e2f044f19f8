"""The fused fast paths agree with their composites of primitives, PyTorch and gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_lr.functional as F
from tinygrad_lr import fused, tensor, visual
from tinygrad_lr.testing import check_op

RNG = np.random.default_rng(11)
LOGITS = RNG.standard_normal((7, 3)) * 2
TARGET = np.array([0, 2, 2, 1, 0, 2, 2])
WEIGHT = np.array([0.5, 2.0, 1.25])


def _grads(fn, *arrays):
    tensors = [tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(np.random.default_rng(0).standard_normal(out.shape))
    return out.numpy(), [t.grad.numpy() for t in tensors]


def _ops(fn, *arrays):
    with visual.trace() as t:
        out = fn(*[tensor(a, requires_grad=True) for a in arrays])
        out.backward(np.ones(out.shape))
    return [r["op"] for r in t.records]


@pytest.mark.parametrize("x_shape", [(5, 4), (4,), (2, 3, 4)], ids=str)
def test_fused_linear_equals_its_composite_and_torch(x_shape):
    x, w, b = RNG.standard_normal(x_shape), RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    one_node, composite = _grads(fused.linear, x, w, b), _grads(F.linear, x, w, b)
    np.testing.assert_allclose(one_node[0], composite[0], rtol=1e-14, atol=1e-15)
    for a, c in zip(one_node[1], composite[1]):
        np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-14)
    check_op(fused.linear, x, w, b, torch_fn=TF.linear)
    assert _ops(fused.linear, x, w, b) == ["Linear"]
    assert _ops(F.linear, x, w, b) == ["Add", "MatMul", "Permute"]  # autograd's path


def test_fused_linear_computes_no_gradient_for_data():
    x = tensor(RNG.standard_normal((5, 4)))
    w = tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    b = tensor(np.zeros(3), requires_grad=True)
    fused.linear(x, w, b).sum().backward()
    assert x.grad is None and w.grad is not None


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", [None, WEIGHT], ids=["unweighted", "weighted"])
def test_fused_cross_entropy_equals_its_composite_and_torch(weight, reduction):
    def one_node(z):
        return fused.cross_entropy(z, TARGET, weight=weight, reduction=reduction)

    def composite(z):
        return F.cross_entropy(z, TARGET, weight=weight, reduction=reduction)

    (value, (grad,)), (c_value, (c_grad,)) = _grads(one_node, LOGITS), _grads(composite, LOGITS)
    np.testing.assert_allclose(value, c_value, rtol=1e-14)
    np.testing.assert_allclose(grad, c_grad, rtol=1e-13, atol=1e-16)
    check_op(
        one_node,
        LOGITS,
        torch_fn=lambda z: TF.cross_entropy(
            z,
            torch.tensor(TARGET),
            weight=None if weight is None else torch.tensor(weight),
            reduction=reduction,
        ),
        atol=1e-12,
        rtol=1e-12,
    )
    assert _ops(one_node, LOGITS) == ["CrossEntropy"]


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_fused_cross_entropy_is_finite_for_huge_logits(scale):
    z = LOGITS * scale
    value, (grad,) = _grads(lambda t: fused.cross_entropy(t, TARGET, weight=WEIGHT), z)
    assert np.isfinite(value).all() and np.isfinite(grad).all()
    expected = TF.cross_entropy(
        torch.tensor(z), torch.tensor(TARGET), weight=torch.tensor(WEIGHT)
    ).item()
    assert value == pytest.approx(expected, rel=1e-12)


def test_fused_ops_keep_float32():
    z = tensor(LOGITS.astype(np.float32), requires_grad=True)
    loss = fused.cross_entropy(z, TARGET, weight=WEIGHT)
    loss.backward()
    assert loss.dtype == np.float32 and z.grad.dtype == np.float32
