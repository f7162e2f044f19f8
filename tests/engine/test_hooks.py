"""Gradient hooks (`tensor.register_hook`) against PyTorch's: when they run, what they see,
how a returned gradient replaces the one backward had, and how they leave."""

import gc
import weakref

import numpy as np
import pytest
import torch

import tinygrad_lr as tg


def _watched_backward(L):
    """A small graph with hooks on a leaf, on an intermediate that is used twice and retains
    its gradient, and one that doubles the gradient it sees. Returns what the hooks saw, in
    order, and the gradients that land in `.grad`."""
    x = L.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * x
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(("y", g.tolist())))  # one call: the sum of both uses
    y.register_hook(lambda g: g * 2)  # the next hook, and everything below, get twice the grad
    x.register_hook(lambda g: seen.append(("x", g.tolist())))
    (y.sum() + (y * 3).sum()).backward()
    return seen, x.grad.tolist(), y.grad.tolist()


def test_hooks_see_and_change_gradients_as_in_pytorch():
    assert _watched_backward(tg) == _watched_backward(torch)
    seen, x_grad, _ = _watched_backward(tg)
    assert seen == [("y", [4.0, 4.0, 4.0]), ("x", [16.0, -32.0, 48.0])]
    assert x_grad == [16.0, -32.0, 48.0]


def _through_grad(L, create_graph):
    z = L.tensor([1.0, 2.0], requires_grad=True)
    w = z * 3
    w.register_hook(lambda g: g + 1)
    (dz,) = L.autograd.grad((w * z).sum(), z, create_graph=create_graph)
    second = L.autograd.grad(dz.sum(), z)[0].tolist() if create_graph else None
    return dz.tolist(), second


@pytest.mark.parametrize("create_graph", [False, True])
def test_hooks_run_in_autograd_grad_recorded_or_not_as_in_pytorch(create_graph):
    assert _through_grad(tg, create_graph) == _through_grad(torch, create_graph)


def test_a_removed_hook_is_not_called_and_removing_twice_does_nothing():
    x = tg.ones(2, requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    handle.remove()
    handle.remove()
    (x * 2).sum().backward()
    assert calls == [1]


def test_a_hook_cannot_sit_on_a_constant():
    for L in (tg, torch):
        with pytest.raises(RuntimeError, match="hook on a tensor that do"):
            L.ones(2).register_hook(lambda g: g)


def test_a_hook_that_refers_to_its_tensor_does_not_keep_it_alive():
    """The hooks live on the tensor, so a tensor and a hook that uses it form a cycle the
    collector frees (a model hooking its own parameters is the usual case)."""

    def hooked_on_itself():
        x = tg.ones(3, requires_grad=True)
        x.register_hook(lambda g: g * x.detach())
        return weakref.ref(x)

    alive = hooked_on_itself()
    gc.collect()
    assert alive() is None


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda g: g.double(), RuntimeError),  # another dtype
        (lambda g: g[:1], RuntimeError),  # another shape
        (lambda g: g.numpy(), TypeError),  # not a tensor
    ],
)
def test_a_hook_may_change_the_values_only_as_in_pytorch(change, error):
    for L in (tg, torch):
        x = L.ones(2, requires_grad=True)
        x.register_hook(change)
        with pytest.raises(error):
            (x * 2).sum().backward()


def test_a_hook_sees_a_tensor_it_may_print():
    x = tg.tensor(np.array([0.5, 1.5]), requires_grad=True)
    shown = []
    x.register_hook(lambda g: shown.append(repr(g)))
    (x**2).sum().backward()
    assert shown == ["tensor([1., 3.], dtype=torch.float64)"]
