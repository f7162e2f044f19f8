"""Empty batches follow PyTorch: the same empty (or NaN) result, or an error where PyTorch
raises one."""

import numpy as np
import pytest
import torch

import tinygrad_lr.functional as F
from tinygrad_lr import fused, tensor

EMPTY = np.zeros((0, 3))
NO_TARGETS = np.zeros(0, dtype=np.int64)

CASES = {
    "softmax dim 1": (lambda t: F.softmax(t, dim=1), lambda t: torch.softmax(t, dim=1)),
    "softmax dim 0": (lambda t: F.softmax(t, dim=0), lambda t: torch.softmax(t, dim=0)),
    "log_softmax dim 1": (
        lambda t: F.log_softmax(t, dim=1),
        lambda t: torch.log_softmax(t, dim=1),
    ),
    "log_softmax dim 0": (
        lambda t: F.log_softmax(t, dim=0),
        lambda t: torch.log_softmax(t, dim=0),
    ),
    "amax dim 1": (lambda t: t.amax(dim=1), lambda t: t.amax(dim=1)),
    "sum": (lambda t: t.sum(), lambda t: t.sum()),
    "argmax dim 1": (lambda t: t.argmax(dim=1), lambda t: t.argmax(dim=1)),
}
for reduction in ("mean", "sum", "none"):
    CASES[f"cross_entropy {reduction}"] = (
        lambda t, r=reduction: F.cross_entropy(t, NO_TARGETS, reduction=r),
        lambda t, r=reduction: torch.nn.functional.cross_entropy(
            t, torch.tensor(NO_TARGETS), reduction=r
        ),
    )
    CASES[f"fused cross_entropy {reduction}"] = (
        lambda t, r=reduction: fused.cross_entropy(t, NO_TARGETS, reduction=r),
        CASES[f"cross_entropy {reduction}"][1],
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0/0 in the mean of nothing
@pytest.mark.parametrize("name", CASES)
def test_an_empty_batch_gives_pytorchs_result(name):
    ours_fn, theirs_fn = CASES[name]
    x, tx = tensor(EMPTY, requires_grad=True), torch.tensor(EMPTY, requires_grad=True)
    ours, theirs = ours_fn(x), theirs_fn(tx)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == theirs.detach().numpy().dtype
    expected = theirs.detach().numpy()
    if np.isnan(expected).any():  # the mean of no values is NaN in both
        assert np.isnan(ours.numpy()).all() and np.isnan(expected).all()
    else:
        np.testing.assert_array_equal(ours.numpy(), expected)
    if theirs.requires_grad:
        ours.sum().backward()
        theirs.sum().backward()
        assert x.grad.shape == (0, 3) and tuple(tx.grad.shape) == (0, 3)


@pytest.mark.parametrize(
    "call",
    [lambda t: t.amax(dim=0), lambda t: t.amax(), lambda t: t.argmax(dim=0)],
    ids=["amax dim 0", "amax", "argmax dim 0"],
)
def test_reducing_over_an_empty_dim_raises_where_pytorch_raises(call):
    with pytest.raises((IndexError, RuntimeError)) as theirs:
        call(torch.tensor(EMPTY))
    with pytest.raises(type(theirs.value)):  # the same kind: `except IndexError` catches both
        call(tensor(EMPTY))
