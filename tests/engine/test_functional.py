"""softmax, log_softmax, linear and cross-entropy against PyTorch, closed forms and gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_lr.functional as F
from tinygrad_lr import ShapeError, gradcheck, tensor
from tinygrad_lr.testing import check_op

RNG = np.random.default_rng(7)
LOGITS = RNG.standard_normal((6, 4)) * 3
TARGETS = {
    "repeated": np.array([0, 2, 2, 2, 1, 0]),
    "missing-class-3": np.array([1, 1, 0, 2, 0, 2]),
    "all-one-class": np.array([3, 3, 3, 3, 3, 3]),
}
WEIGHTS = {"unweighted": None, "weighted": np.array([0.2, 1.0, 3.5, 0.7])}


def _torch_weight(weight, dtype):
    return None if weight is None else torch.tensor(weight, dtype=dtype)


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_match_torch_in_float64(name, dim):
    ours, theirs = getattr(F, name), getattr(TF, name)
    check_op(
        lambda x: ours(x, dim=dim),
        LOGITS,
        torch_fn=lambda x: theirs(x, dim=dim),
        atol=1e-12,
        rtol=1e-12,
    )


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_and_log_softmax_match_torch_in_float32(name):
    x32 = LOGITS.astype(np.float32)
    ours = getattr(F, name)(tensor(x32, requires_grad=True), dim=1)
    tx = torch.tensor(x32, requires_grad=True)
    theirs = getattr(TF, name)(tx, dim=1)
    g = RNG.standard_normal(ours.shape).astype(np.float32)
    ours.backward(g)
    theirs.backward(torch.tensor(g))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_log_softmax_is_finite_for_huge_logits(scale):
    x = tensor(np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -3.0]]) * scale, requires_grad=True)
    out = F.log_softmax(x, dim=1)
    out.backward(np.ones(out.shape))
    assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    expected = TF.log_softmax(torch.tensor(x.numpy()), dim=1).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    loss = F.cross_entropy(x, np.array([1, 2]))
    assert np.isfinite(loss.item())


def test_softmax_rows_sum_to_one_and_pass_gradcheck():
    x = tensor(LOGITS, requires_grad=True)
    np.testing.assert_allclose(F.softmax(x, dim=1).sum(dim=1).numpy(), 1.0, rtol=1e-15)
    assert gradcheck(lambda t: F.softmax(t, dim=1), [x])


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias):
    weight, b = RNG.standard_normal((3, 4)), RNG.standard_normal(3)
    if bias:
        check_op(F.linear, (5, 4), weight, b, torch_fn=TF.linear, atol=1e-12, rtol=1e-12)
    else:
        check_op(F.linear, (5, 4), weight, torch_fn=TF.linear, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", WEIGHTS.values(), ids=WEIGHTS.keys())
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_cross_entropy_matches_torch_in_float64(target, weight, reduction):
    check_op(
        lambda x: F.cross_entropy(x, target, weight=weight, reduction=reduction),
        LOGITS,
        torch_fn=lambda x: TF.cross_entropy(
            x,
            torch.tensor(target),
            weight=_torch_weight(weight, torch.float64),
            reduction=reduction,
        ),
        atol=1e-12,
        rtol=1e-12,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weight", WEIGHTS.values(), ids=WEIGHTS.keys())
def test_cross_entropy_matches_torch_in_float32(weight, reduction):
    target = TARGETS["repeated"]
    x32 = LOGITS.astype(np.float32)
    ours_x = tensor(x32, requires_grad=True)
    ours = F.cross_entropy(ours_x, target, weight=weight, reduction=reduction)
    tx = torch.tensor(x32, requires_grad=True)
    theirs = TF.cross_entropy(
        tx, torch.tensor(target), weight=_torch_weight(weight, torch.float32), reduction=reduction
    )
    g = RNG.standard_normal(ours.shape).astype(np.float32)
    ours.backward(g)
    theirs.backward(torch.tensor(g))
    assert ours.dtype == np.float32 and ours_x.grad.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(ours_x.grad.numpy(), tx.grad.numpy(), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("weight", WEIGHTS.values(), ids=WEIGHTS.keys())
@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_cross_entropy_gradient_is_the_closed_form(target, weight):
    """dL/dlogits = w_y (softmax − onehot) / Σ w_y: what the lesson derives by hand."""
    x = tensor(LOGITS, requires_grad=True)
    F.cross_entropy(x, target, weight=weight).backward()
    p = np.exp(LOGITS - LOGITS.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    onehot = np.eye(LOGITS.shape[1])[target]
    w_y = np.ones(len(target)) if weight is None else weight[target]
    expected = w_y[:, None] * (p - onehot) / w_y.sum()
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-15, rtol=1e-12)


def test_cross_entropy_weighted_mean_divides_by_the_targets_weights_not_n():
    target, weight = TARGETS["repeated"], WEIGHTS["weighted"]
    x = tensor(LOGITS)
    per_sample = F.cross_entropy(x, target, weight=weight, reduction="none").numpy()
    mean = F.cross_entropy(x, target, weight=weight).item()
    assert mean == pytest.approx(per_sample.sum() / weight[target].sum(), rel=1e-14)
    assert mean != pytest.approx(per_sample.mean())


def test_cross_entropy_accepts_targets_as_a_tensor_and_a_single_sample():
    x = tensor(LOGITS)
    target = TARGETS["repeated"]
    assert F.cross_entropy(x, tensor(target)).item() == F.cross_entropy(x, target).item()
    one = F.cross_entropy(tensor(LOGITS[0]), np.array(2)).item()
    assert one == pytest.approx(
        TF.cross_entropy(torch.tensor(LOGITS[0]), torch.tensor(2)).item(), rel=1e-14
    )


def test_nll_loss_matches_torch_on_log_probabilities():
    target, weight = TARGETS["repeated"], WEIGHTS["weighted"]
    check_op(
        lambda x: F.nll_loss(F.log_softmax(x, dim=1), target, weight=weight),
        LOGITS,
        torch_fn=lambda x: TF.nll_loss(
            TF.log_softmax(x, dim=1), torch.tensor(target), weight=torch.tensor(weight)
        ),
        atol=1e-12,
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    ("target", "error", "match"),
    [
        (np.array([0, 1, 4, 0, 0, 0]), IndexError, "target 4 is out of bounds for 4 classes"),
        (np.array([0, 1, -1, 0, 0, 0]), IndexError, "target -1 is out of bounds"),
        (np.array([0.0, 1, 1, 0, 0, 0]), TypeError, "integer class indices"),
        (np.array([0, 1, 1]), ShapeError, r"target of shape \(3,\).*input of shape \(6, 4\)"),
    ],
)
def test_cross_entropy_refuses_bad_targets_with_a_clear_message(target, error, match):
    with pytest.raises(error, match=match):
        F.cross_entropy(tensor(LOGITS), target)


def test_cross_entropy_refuses_bad_weights_and_reductions():
    with pytest.raises(ShapeError, match=r"one value per class, shape \(4,\); got \(3,\)"):
        F.cross_entropy(tensor(LOGITS), TARGETS["repeated"], weight=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(tensor(LOGITS), TARGETS["repeated"], reduction="avg")


def test_linear_names_both_shapes_when_features_do_not_match():
    with pytest.raises(ShapeError, match=r"\(5, 3\).*\(2, 4\)"):
        F.linear(tensor(np.ones((5, 3))), tensor(np.ones((2, 4))))
