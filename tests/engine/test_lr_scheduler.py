"""Learning-rate schedulers give PyTorch's rates epoch by epoch, train to PyTorch's weights, and
save and resume their place in the schedule."""

import numpy as np
import pytest
import torch

from tinygrad_lr import nn, optim, tensor
from tinygrad_lr.optim import lr_scheduler

EPOCHS = 20


class Warmup:
    """A callable object: its attributes are what LambdaLR's state dict saves."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __call__(self, epoch):
        return min(1.0, (epoch + 1) / self.epochs)


SCHEDULES = {
    "step": lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    "step-default-gamma": lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, 7),
    "exponential": lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9),
    "lambda": lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.95**e),
    "lambda-per-group": lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(
        opt, [lambda e: 1 / (1 + e), Warmup(5)]
    ),
}


class Torch:
    optim = torch.optim


class Ours:
    optim = optim


def _two_groups(lib, factory=None, **options):
    """An optimizer with two groups (lr 0.1 and 0.03) over two fresh parameters."""
    if lib is Torch:
        a, b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    else:
        a, b = tensor(np.ones(2), requires_grad=True), tensor(np.ones(3), requires_grad=True)
    factory = factory or lib.optim.SGD
    return factory([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1, **options)


def _rates(scheduler, optimizer, epochs=EPOCHS):
    """(get_last_lr(), the groups' lr, last_epoch) after construction and after each step."""
    seen = []
    for _ in range(epochs):
        seen.append((scheduler.get_last_lr(), [g["lr"] for g in optimizer.param_groups]))
        optimizer.step()
        scheduler.step()
    return seen


@pytest.mark.parametrize("name", SCHEDULES.keys())
def test_the_learning_rates_over_20_epochs_are_pytorchs(name):
    ours, theirs = _two_groups(Ours), _two_groups(Torch)
    ours_scheduler, torch_scheduler = SCHEDULES[name](Ours, ours), SCHEDULES[name](Torch, theirs)
    assert _rates(ours_scheduler, ours) == _rates(torch_scheduler, theirs)  # exactly equal
    assert ours_scheduler.last_epoch == torch_scheduler.last_epoch == EPOCHS


def test_the_constructor_records_initial_lr_and_moves_last_epoch_to_zero_as_pytorch_does():
    ours, theirs = _two_groups(Ours), _two_groups(Torch)
    a = lr_scheduler.StepLR(ours, step_size=2)
    b = torch.optim.lr_scheduler.StepLR(theirs, step_size=2)
    assert [g["initial_lr"] for g in ours.param_groups] == [0.1, 0.03]
    assert a.last_epoch == b.last_epoch == 0 and a.base_lrs == b.base_lrs == [0.1, 0.03]
    ours.param_groups[0]["lr"] = 0.5  # a second scheduler keeps the first one's initial_lr
    assert lr_scheduler.ExponentialLR(ours, 0.5).base_lrs == [0.1, 0.03]


def test_two_schedulers_on_one_optimizer_chain_as_in_pytorch():
    ours, theirs = _two_groups(Ours), _two_groups(Torch)
    chained = []
    for lib, opt in ((Ours, ours), (Torch, theirs)):
        step = lib.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
        exponential = lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
        rates = []
        for _ in range(EPOCHS):
            opt.step()
            step.step()
            exponential.step()
            rates.append([g["lr"] for g in opt.param_groups])
        chained.append(rates)
    assert chained[0] == chained[1]
    assert chained[0][3][0] == pytest.approx(0.1 * 0.5 * 0.9**4)


@pytest.mark.parametrize(
    ("ours", "theirs", "schedule"),
    [
        (optim.SGD, torch.optim.SGD, "step"),
        (optim.Adam, torch.optim.Adam, "exponential"),
        (optim.RMSprop, torch.optim.RMSprop, "lambda-per-group"),
    ],
    ids=["SGD+StepLR", "Adam+ExponentialLR", "RMSprop+LambdaLR"],
)
def test_weights_trained_under_a_schedule_are_pytorchs(ours, theirs, schedule):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)), rng.integers(0, 2, 16)
    model = nn.Linear(3, 2, dtype=np.float64, generator=rng)
    reference = torch.nn.Linear(3, 2, dtype=torch.float64)
    reference.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    groups = [{"params": [model.weight]}, {"params": [model.bias], "lr": 0.03}]
    torch_groups = [{"params": [reference.weight]}, {"params": [reference.bias], "lr": 0.03}]
    opt, torch_opt = ours(groups, lr=0.1), theirs(torch_groups, lr=0.1)
    scheduler = SCHEDULES[schedule](Ours, opt)
    torch_scheduler = SCHEDULES[schedule](Torch, torch_opt)
    for _ in range(EPOCHS):
        opt.zero_grad()
        nn.CrossEntropyLoss()(model(tensor(x)), y).backward()
        opt.step()
        scheduler.step()
        torch_opt.zero_grad()
        torch.nn.CrossEntropyLoss()(reference(torch.tensor(x)), torch.tensor(y)).backward()
        torch_opt.step()
        torch_scheduler.step()
    for key, value in reference.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key], value.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", SCHEDULES.keys())
def test_a_schedule_resumed_from_state_dicts_continues_where_it_stopped(name):
    """7 epochs, save optimizer and scheduler, new ones load both: the rates go on as without
    the break (PyTorch's advice: make the scheduler first, then load the optimizer)."""
    opt = _two_groups(Ours, optim.Adam)
    scheduler = SCHEDULES[name](Ours, opt)
    _rates(scheduler, opt, 7)
    saved_opt, saved_scheduler = opt.state_dict(), scheduler.state_dict()
    fresh_opt = _two_groups(Ours, optim.Adam)
    fresh = SCHEDULES[name](Ours, fresh_opt)
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved_scheduler)
    assert fresh.last_epoch == 7
    assert _rates(fresh, fresh_opt, 13) == _rates(scheduler, opt, 13)


@pytest.mark.parametrize("name", ["step", "exponential", "lambda"])
def test_a_pytorch_scheduler_state_dict_loads_and_the_rates_continue_as_pytorchs(name):
    theirs = _two_groups(Torch)
    torch_scheduler = SCHEDULES[name](Torch, theirs)
    _rates(torch_scheduler, theirs, 7)
    ours = _two_groups(Ours)
    scheduler = SCHEDULES[name](Ours, ours)
    ours.load_state_dict(theirs.state_dict())
    scheduler.load_state_dict(torch_scheduler.state_dict())
    assert _rates(scheduler, ours, 13) == _rates(torch_scheduler, theirs, 13)


def test_scheduler_state_dict_matches_pytorchs_and_holds_copies():
    ours, theirs = _two_groups(Ours), _two_groups(Torch)
    a = lr_scheduler.StepLR(ours, step_size=3, gamma=0.5)
    b = torch.optim.lr_scheduler.StepLR(theirs, step_size=3, gamma=0.5)
    _rates(a, ours, 4)
    _rates(b, theirs, 4)
    saved, torch_saved = a.state_dict(), b.state_dict()
    for key in ("last_epoch", "base_lrs", "_last_lr", "step_size", "gamma"):
        assert saved[key] == torch_saved[key], key
    saved["base_lrs"][0] = 99.0
    saved["_last_lr"][0] = 99.0
    assert a.base_lrs[0] == 0.1 and a.get_last_lr()[0] == 0.05
    a.get_last_lr()[0] = 99.0
    assert a.get_last_lr()[0] == 0.05


def test_lambda_lr_saves_a_callable_objects_attributes_but_not_a_function():
    opt = _two_groups(Ours)
    warmup = Warmup(5)
    scheduler = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, warmup])
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [None, {"epochs": 5}]
    warmup.epochs = 10
    scheduler.load_state_dict(saved)
    assert warmup.epochs == 5 and "lr_lambdas" in saved


def test_resuming_with_last_epoch_needs_initial_lr_as_in_pytorch():
    with pytest.raises(KeyError, match="initial_lr"):
        torch.optim.lr_scheduler.StepLR(_two_groups(Torch), step_size=2, last_epoch=4)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(_two_groups(Ours), step_size=2, last_epoch=4)


def test_resuming_with_last_epoch_gives_pytorchs_rates():
    ours, theirs = _two_groups(Ours), _two_groups(Torch)
    for opt in (ours, theirs):
        for group in opt.param_groups:
            group["initial_lr"] = group["lr"]
    for factory in (
        lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, 3, 0.5, last_epoch=4),
        lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, 0.5, last_epoch=4),
        lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5**e, last_epoch=4),
    ):
        assert _rates(factory(Ours, ours), ours, 6) == _rates(factory(Torch, theirs), theirs, 6)


def test_lambda_lr_wants_one_function_per_group_as_pytorch_does():
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        torch.optim.lr_scheduler.LambdaLR(_two_groups(Torch), [lambda e: 1.0])
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        lr_scheduler.LambdaLR(_two_groups(Ours), [lambda e: 1.0])


def test_a_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.StepLR(object(), step_size=2)


@pytest.mark.parametrize(
    "make",
    [
        lambda opt: lr_scheduler.StepLR(opt, step_size=0),
        lambda opt: lr_scheduler.StepLR(opt, step_size=2.5),
        lambda opt: lr_scheduler.StepLR(opt, step_size=2, gamma=float("nan")),
        lambda opt: lr_scheduler.ExponentialLR(opt, gamma=-0.5),
        lambda opt: lr_scheduler.ExponentialLR(opt, gamma=float("inf")),
    ],
    ids=["step_size 0", "step_size 2.5", "nan gamma", "negative gamma", "inf gamma"],
)
def test_a_schedule_that_cannot_be_meant_is_refused_when_made(make):
    opt = _two_groups(Ours)
    with pytest.raises(ValueError, match="Invalid"):
        make(opt)


def test_get_lr_outside_step_warns_to_use_get_last_lr_as_pytorch_does():
    scheduler = lr_scheduler.ExponentialLR(_two_groups(Ours), gamma=0.5)
    with pytest.warns(UserWarning, match="get_last_lr"):
        scheduler.get_lr()
    assert scheduler.get_last_lr() == [0.1, 0.03]
