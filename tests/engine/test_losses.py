"""Losses and one_hot against PyTorch: every reduction, with and without weights, float32 and
float64, values and gradients (of the input and of the target), central differences in float64,
and PyTorch's argument checks.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_lr.functional as F
from tinygrad_lr import DtypeError, ShapeError, nn, tensor
from tinygrad_lr.testing import check_op

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float32, np.float64]
RNG = np.random.default_rng(21)
SCORES = RNG.standard_normal((6, 3)) * 2
PROBABILITIES = RNG.uniform(0.05, 0.95, (6, 3))
TARGETS = RNG.uniform(0.05, 0.95, (6, 3))  # soft labels: the target's gradient is checked too
LABELS = (RNG.uniform(size=(6, 3)) < 0.5).astype(np.float64)
CLASS_WEIGHT = np.array([0.5, 2.0, 1.5])


def check_loss(ours, theirs, *arrays, dtype):
    """ours(*tensors) against theirs(*torch tensors), values and the gradient of every input
    under a random upstream gradient; in float64 `check_op` also runs central differences."""
    if dtype == np.float64:
        check_op(ours, *arrays, torch_fn=theirs, atol=1e-12, rtol=1e-10)
        return
    xs = [tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out, expected = ours(*xs), theirs(*ts)
    assert out.dtype == np.float32 and out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.array, expected.detach().numpy(), rtol=2e-6, atol=1e-6)
    upstream = np.random.default_rng(3).standard_normal(out.shape).astype(dtype)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i, (x, t) in enumerate(zip(xs, ts)):
        np.testing.assert_allclose(
            x.grad.array, t.grad.numpy(), rtol=1e-5, atol=1e-6, err_msg=f"gradient of input {i}"
        )


def weights(weight, dtype):
    """The same weight for both libraries (None stays None)."""
    if weight is None:
        return None, None
    return weight.astype(dtype), torch.tensor(weight.astype(dtype))


# --- MSELoss -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_matches_torch(reduction, dtype):
    check_loss(
        nn.MSELoss(reduction=reduction),
        torch.nn.MSELoss(reduction=reduction),
        SCORES,
        TARGETS,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_mse_loss_matches_torch(reduction, dtype):
    ours_w, theirs_w = weights(np.abs(TARGETS) + 0.1, dtype)
    check_loss(
        lambda x, y: F.mse_loss(x, y, reduction=reduction, weight=ours_w),
        lambda x, y: TF.mse_loss(x, y, reduction=reduction, weight=theirs_w),
        SCORES,
        TARGETS,
        dtype=dtype,
    )


def test_mse_loss_warns_about_a_broadcast_target_and_broadcasts_as_torch():
    x, y = SCORES[:, :1], TARGETS[:, 0]  # (6, 1) against (6,): 36 differences, not 6
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = F.mse_loss(tensor(x), tensor(y))
    with pytest.warns(UserWarning, match="different to the input size"):
        expected = TF.mse_loss(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    with pytest.raises(ShapeError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.mse_loss(tensor(np.zeros(3)), tensor(np.zeros(2)))


def test_mse_loss_refuses_a_weight_of_another_shape_as_torch():
    with pytest.raises(ValueError, match="weight"):
        F.mse_loss(tensor(SCORES), tensor(TARGETS), weight=tensor(np.ones(3)))


@pytest.mark.parametrize(
    ("x_dtype", "y_dtype"),
    [(np.float32, np.float64), (np.float64, np.float32), (np.float32, np.int64)],
)
def test_mse_loss_promotes_dtypes_as_torch(x_dtype, y_dtype):
    x, y = SCORES.astype(x_dtype), TARGETS.astype(y_dtype)
    loss = F.mse_loss(tensor(x), tensor(y))
    expected = TF.mse_loss(torch.tensor(x), torch.tensor(y))
    assert loss.dtype == expected.numpy().dtype
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)


# --- BCELoss -----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_loss_matches_torch(reduction, weighted, dtype):
    ours_w, theirs_w = weights(CLASS_WEIGHT if weighted else None, dtype)  # broadcast per column
    check_loss(
        nn.BCELoss(weight=ours_w, reduction=reduction),
        torch.nn.BCELoss(weight=theirs_w, reduction=reduction),
        PROBABILITIES,
        TARGETS,
        dtype=dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_loss_at_probabilities_zero_and_one_is_torchs_clamped_value(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.0, 1.0], dtype)
    x = tensor(p, requires_grad=True)
    loss = F.binary_cross_entropy(x, tensor(y), reduction="none")
    expected = TF.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction="none")
    np.testing.assert_allclose(loss.array, expected.numpy(), rtol=1e-6, atol=1e-29)
    assert loss.array[2] == loss.array[3] == 100  # log clamped at -100, as in PyTorch
    loss.sum().backward()
    # autograd's gradient, finite everywhere; PyTorch's rule differs within 1e-12 of 0 and 1
    np.testing.assert_allclose(x.grad.array, [1.0, -1.0, 0.0, 0.0, 1.0, -2.0], rtol=1e-6)


@pytest.mark.parametrize("bad", [-0.1, 1.2, np.nan])
def test_bce_loss_refuses_an_input_outside_zero_one_as_torch(bad):
    p = np.array([0.2, bad, 0.5])
    with pytest.raises(RuntimeError, match="input should be between 0 and 1"):
        F.binary_cross_entropy(tensor(p), tensor(np.ones(3)))
    with pytest.raises(RuntimeError, match="input should be between 0 and 1"):
        TF.binary_cross_entropy(torch.tensor(p), torch.ones(3, dtype=torch.float64))


def test_bce_loss_refuses_a_target_outside_zero_one_as_torch():
    y = np.array([0.0, 2.0, 1.0])
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        F.binary_cross_entropy(tensor(np.full(3, 0.5)), tensor(y))
    with pytest.raises(RuntimeError, match="target should be between 0 and 1"):
        TF.binary_cross_entropy(torch.full((3,), 0.5, dtype=torch.float64), torch.tensor(y))


def test_bce_loss_refuses_what_torch_refuses():
    p = tensor(PROBABILITIES)
    with pytest.raises(ValueError, match="same shape"):
        F.binary_cross_entropy(p, tensor(TARGETS[:, 0]))
    with pytest.raises(DtypeError, match="same floating dtype"):
        F.binary_cross_entropy(p, tensor(TARGETS.astype(np.float32)))
    with pytest.raises(DtypeError, match="same floating dtype"):
        F.binary_cross_entropy(p, tensor(LABELS.astype(np.int64)))
    with pytest.raises(ShapeError, match="broadcast"):
        F.binary_cross_entropy(p, tensor(TARGETS), weight=np.ones(2))
    with pytest.raises(RuntimeError):
        TF.binary_cross_entropy(torch.tensor(PROBABILITIES), torch.tensor(TARGETS), torch.ones(2))


def test_bce_weight_follows_the_input_dtype_as_torch():
    p, y = PROBABILITIES.astype(np.float32), TARGETS.astype(np.float32)
    loss = F.binary_cross_entropy(tensor(p), tensor(y), weight=CLASS_WEIGHT)
    expected = TF.binary_cross_entropy(
        torch.tensor(p), torch.tensor(y), weight=torch.tensor(CLASS_WEIGHT)
    )
    assert loss.dtype == np.float32 == expected.numpy().dtype
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)


# --- BCEWithLogitsLoss -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pos_weighted", [False, True], ids=["", "pos_weight"])
@pytest.mark.parametrize("weighted", [False, True], ids=["", "weight"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_loss_matches_torch(reduction, weighted, pos_weighted, dtype):
    ours_w, theirs_w = weights(CLASS_WEIGHT if weighted else None, dtype)
    ours_pw, theirs_pw = weights(np.array([3.0, 0.5, 1.0]) if pos_weighted else None, dtype)
    check_loss(
        nn.BCEWithLogitsLoss(weight=ours_w, reduction=reduction, pos_weight=ours_pw),
        torch.nn.BCEWithLogitsLoss(weight=theirs_w, reduction=reduction, pos_weight=theirs_pw),
        SCORES,
        TARGETS,
        dtype=dtype,
    )


@pytest.mark.parametrize("pos_weight", [None, 2.5])
def test_bce_with_logits_gradient_at_a_zero_logit_is_sigmoid_minus_target(pos_weight):
    """A model whose weights start at zero has logits of exactly 0: the gradient there must be
    l·(σ(0) − 1) + 1 − y, which a formula with max(x, 0) and |x| would get wrong."""
    y = np.array([0.0, 1.0, 0.25])
    x = tensor(np.zeros(3), requires_grad=True)
    pw = None if pos_weight is None else np.array(pos_weight)
    F.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=pw).backward()
    xt = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    TF.binary_cross_entropy_with_logits(
        xt, torch.tensor(y), reduction="sum", pos_weight=None if pw is None else torch.tensor(pw)
    ).backward()
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_is_stable_for_huge_logits(dtype):
    logits = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4], dtype)
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 0.0], dtype)
    x = tensor(logits, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    loss.sum().backward()
    xt = torch.tensor(logits, requires_grad=True)
    expected = TF.binary_cross_entropy_with_logits(xt, torch.tensor(y), reduction="none")
    expected.sum().backward()
    np.testing.assert_allclose(loss.array, expected.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize(
    ("x_dtype", "y_dtype"), [(np.float32, np.float64), (np.float64, np.float32)]
)
def test_bce_with_logits_computes_in_the_targets_dtype_as_torch(x_dtype, y_dtype):
    x = tensor(SCORES.astype(x_dtype), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, tensor(TARGETS.astype(y_dtype)))
    expected = TF.binary_cross_entropy_with_logits(
        torch.tensor(SCORES.astype(x_dtype)), torch.tensor(TARGETS.astype(y_dtype))
    )
    assert loss.dtype == expected.numpy().dtype == y_dtype
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    loss.backward()
    assert x.grad.dtype == x_dtype


def test_bce_with_logits_refuses_what_torch_refuses():
    x = tensor(SCORES)
    with pytest.raises(ValueError, match="shape"):
        F.binary_cross_entropy_with_logits(x, tensor(TARGETS[:1]))
    with pytest.raises(ValueError):
        TF.binary_cross_entropy_with_logits(torch.tensor(SCORES), torch.tensor(TARGETS[:1]))
    for name in ("weight", "pos_weight"):
        with pytest.raises(ShapeError, match=name):
            F.binary_cross_entropy_with_logits(x, tensor(TARGETS), **{name: np.ones(2)})
        with pytest.raises(RuntimeError):
            TF.binary_cross_entropy_with_logits(
                torch.tensor(SCORES), torch.tensor(TARGETS), **{name: torch.ones(2)}
            )
    with pytest.raises(DtypeError, match="floating-point target"):
        F.binary_cross_entropy_with_logits(x, tensor(LABELS.astype(np.int64)))


def test_bce_with_logits_equals_bce_of_the_sigmoid():
    x, y = tensor(SCORES), tensor(LABELS)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(x, y).item(),
        F.binary_cross_entropy(x.sigmoid(), y).item(),
        rtol=1e-12,
    )


# --- NLLLoss and CrossEntropyLoss --------------------------------------------------------------

CLASSES = np.array([0, 2, 1, 2, 2, 0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["NLLLoss", "CrossEntropyLoss"])
def test_classification_losses_match_torch(name, reduction, weighted, dtype):
    ours_w, theirs_w = weights(CLASS_WEIGHT if weighted else None, dtype)
    ours = getattr(nn, name)(weight=ours_w, reduction=reduction)
    theirs = getattr(torch.nn, name)(weight=theirs_w, reduction=reduction)
    if name == "NLLLoss":  # it takes log-probabilities
        ours_fn = lambda x, y: ours(F.log_softmax(x, dim=1), y)  # noqa: E731
        theirs_fn = lambda x, y: theirs(TF.log_softmax(x, dim=1), y)  # noqa: E731
    else:
        ours_fn, theirs_fn = ours, theirs
    if dtype == np.float64:
        check_op(ours_fn, SCORES, CLASSES, torch_fn=theirs_fn, atol=1e-12, rtol=1e-10)
        return
    x = tensor(SCORES.astype(dtype), requires_grad=True)
    xt = torch.tensor(SCORES.astype(dtype), requires_grad=True)
    out, expected = ours_fn(x, CLASSES), theirs_fn(xt, torch.tensor(CLASSES))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.array, expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.array, xt.grad.numpy(), rtol=1e-5, atol=1e-6)


# --- all losses --------------------------------------------------------------------------------

LOSSES = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "BCELoss", "BCEWithLogitsLoss"]


@pytest.mark.parametrize("name", LOSSES)
def test_a_loss_prints_as_torchs_and_has_no_parameters(name):
    loss = getattr(nn, name)(reduction="sum")
    assert repr(loss) == repr(getattr(torch.nn, name)(reduction="sum")) == f"{name}()"
    assert list(loss.parameters()) == [] and loss.reduction == "sum"


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("reduction", ["avg", "", None, "MEAN"])
def test_every_loss_refuses_an_unknown_reduction(name, reduction):
    with pytest.raises(ValueError, match="reduction"):
        getattr(nn, name)(reduction=reduction)


@pytest.mark.parametrize(
    "call",
    [
        lambda r: F.mse_loss(tensor(SCORES), tensor(TARGETS), reduction=r),
        lambda r: F.binary_cross_entropy(tensor(PROBABILITIES), tensor(TARGETS), reduction=r),
        lambda r: F.binary_cross_entropy_with_logits(tensor(SCORES), TARGETS, reduction=r),
    ],
    ids=["mse", "bce", "bce_with_logits"],
)
def test_every_loss_function_refuses_an_unknown_reduction(call):
    with pytest.raises(ValueError, match="reduction"):
        call("avg")


def test_losses_train_a_tiny_network_as_torch_does():
    """MSE, BCE with logits and BCE of a sigmoid through the same two-layer network."""
    ours = nn.Sequential(
        nn.Linear(3, 4, dtype=np.float64), nn.Tanh(), nn.Linear(4, 3, dtype=np.float64)
    )
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 3))
    theirs.double().load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    x, y = SCORES[:, :3], LABELS
    out, expected = ours(tensor(x)), theirs(torch.tensor(x))
    total = (
        nn.MSELoss()(out, y)
        + nn.BCEWithLogitsLoss(pos_weight=np.array([2.0, 1.0, 0.5]))(out, y)
        + nn.BCELoss(weight=CLASS_WEIGHT)(out.sigmoid(), y)
    )
    expected_total = (
        torch.nn.MSELoss()(expected, torch.tensor(y))
        + torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0, 1.0, 0.5]).double())(
            expected, torch.tensor(y)
        )
        + torch.nn.BCELoss(weight=torch.tensor(CLASS_WEIGHT))(expected.sigmoid(), torch.tensor(y))
    )
    np.testing.assert_allclose(total.item(), expected_total.item(), rtol=1e-12)
    total.backward()
    expected_total.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.array, q.grad.numpy(), rtol=1e-10, err_msg=name)


# --- one_hot -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indices", "num_classes"),
    [([0, 2, 1], -1), ([0, 2, 1], 5), ([[1, 0], [3, 3]], -1), (2, -1), (2, 4), ([], 3)],
    ids=["inferred", "given", "2d", "scalar", "scalar-given", "empty"],
)
def test_one_hot_matches_torch(indices, num_classes):
    values = np.array(indices, np.int64)
    out = F.one_hot(tensor(values), num_classes)
    expected = TF.one_hot(torch.tensor(values), num_classes)
    assert out.dtype == np.int64 and out.shape == tuple(expected.shape)
    np.testing.assert_array_equal(out.array, expected.numpy())
    assert not out.requires_grad


@pytest.mark.parametrize(
    ("values", "num_classes", "error", "message"),
    [
        (np.array([0, 1], np.int32), -1, TypeError, "int64"),
        (np.array([0.0, 1.0]), -1, TypeError, "int64"),
        (np.array([0, -1]), -1, RuntimeError, "non-negative"),
        (np.array([0, 3]), 3, RuntimeError, "smaller than num_classes"),
        (np.array([0, 1]), 0, RuntimeError, "smaller than num_classes"),
        (np.array([], np.int64), -1, RuntimeError, "empty"),
    ],
    ids=["int32", "float", "negative", "too-large", "zero-classes", "empty-inferred"],
)
def test_one_hot_refuses_what_torch_refuses(values, num_classes, error, message):
    with pytest.raises(error, match=message):
        F.one_hot(tensor(values), num_classes)
    with pytest.raises(RuntimeError):
        TF.one_hot(torch.tensor(values), num_classes)
