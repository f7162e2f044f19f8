"""Linear + weighted CrossEntropyLoss + each optimizer: equal to PyTorch after every step."""

import numpy as np
import pytest
import torch

from tinygrad_lr import nn, optim, tensor

STEPS = 50
N, D, C = 64, 3, 4

OPTIMIZERS = {
    "sgd": (optim.SGD, torch.optim.SGD, dict(lr=0.1)),
    "sgd-momentum": (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    "sgd-dampening": (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    "sgd-nesterov-decay": (
        optim.SGD,
        torch.optim.SGD,
        dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01),
    ),
    "adam": (optim.Adam, torch.optim.Adam, dict(lr=0.05)),
    "adam-amsgrad-decay": (
        optim.Adam,
        torch.optim.Adam,
        dict(lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05, amsgrad=True),
    ),
}
PRECISION = {
    "float64": (np.float64, torch.float64, 1e-12),
    "float32": (np.float32, torch.float32, 1e-5),
}


def _data(seed=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, C, N)
    x = rng.standard_normal((N, D)) + np.eye(C, D)[y] * 2
    class_weight = np.bincount(y, minlength=C).max() / np.bincount(y, minlength=C)
    return x, y, class_weight


@pytest.mark.parametrize("precision", PRECISION.keys())
@pytest.mark.parametrize("name", OPTIMIZERS.keys())
def test_training_matches_torch_after_every_step(name, precision):
    ours_opt, torch_opt, options = OPTIMIZERS[name]
    np_dtype, torch_dtype, tol = PRECISION[precision]
    x, y, class_weight = _data()

    model = nn.Linear(D, C, dtype=np_dtype, generator=np.random.default_rng(0))
    reference = torch.nn.Linear(D, C, dtype=torch_dtype)
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})

    loss_fn = nn.CrossEntropyLoss(weight=class_weight.astype(np_dtype))
    torch_loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor(class_weight, dtype=torch_dtype))
    opt = ours_opt(model.parameters(), **options)
    torch_opt = torch_opt(reference.parameters(), **options)
    X, tX, tY = tensor(x.astype(np_dtype)), torch.tensor(x, dtype=torch_dtype), torch.tensor(y)

    for step in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()

        torch_opt.zero_grad()
        torch_loss = torch_loss_fn(reference(tX), tY)
        torch_loss.backward()
        torch_opt.step()

        assert loss.item() == pytest.approx(torch_loss.item(), rel=tol, abs=tol), f"step {step}"
        for key, value in reference.state_dict().items():
            np.testing.assert_allclose(
                model.state_dict()[key],
                value.numpy(),
                rtol=tol,
                atol=tol,
                err_msg=f"{key} after step {step + 1} ({name}, {precision})",
            )
        if step == 0:
            first_loss = loss.item()
    assert model.weight.dtype == np_dtype
    assert loss.item() < first_loss  # it learned: the comparison is not between two idle models


def test_optimizer_skips_parameters_without_a_gradient():
    model = nn.Linear(2, 2)
    before = model.weight.numpy().copy()
    opt = optim.SGD(model.parameters(), lr=1.0)
    opt.step()
    np.testing.assert_array_equal(model.weight.numpy(), before)


def test_optimizer_zero_grad_clears_or_zeroes():
    model = nn.Linear(2, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    model(tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert np.all(model.weight.grad.numpy() == 0)
    opt.zero_grad()
    assert model.weight.grad is None
