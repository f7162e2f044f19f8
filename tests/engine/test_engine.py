"""The backward pass itself: order, accumulation, reuse, release, no_grad, unbroadcasting."""

import gc
import weakref

import numpy as np
import pytest
import torch

from tinygrad_lr import GraphError, Op, ShapeError, enable_grad, no_grad, tensor
from tinygrad_lr.autograd import topological_order, unbroadcast


def test_a_tensor_used_twice_receives_the_sum_of_both_gradients():
    a = tensor([1.5, -2.0], requires_grad=True, dtype=np.float64)
    b = a + a
    c = b * b
    c.sum().backward()
    ta = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    tb = ta + ta
    (tb * tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(a.grad.numpy(), 8 * a.numpy())  # d(4a²)/da


def test_diamond_graph_matches_torch():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    a = tensor(x, requires_grad=True)
    h = a.exp()
    out = (h * a + h.sum(dim=0) - (h @ a).relu()).sum()
    out.backward()
    ta = torch.tensor(x, requires_grad=True)
    th = ta.exp()
    (th * ta + th.sum(dim=0) - (th @ ta).relu()).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-14)


def test_grad_accumulates_across_backward_calls_until_zeroed():
    w = tensor([1.0, 2.0, 3.0], requires_grad=True, dtype=np.float64)
    (w * w).sum().backward()
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy() + 3)
    w.grad.zero_()
    (w * 3).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [3.0, 3.0, 3.0])
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy())


def test_gradients_handed_to_two_leaves_do_not_share_memory():
    a = tensor([1.0, 2.0], requires_grad=True)
    b = tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()  # Add passes the same array to both inputs
    a.grad.numpy()[...] += 10
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_gradients_are_summed_in_place_only_into_an_array_nothing_else_holds():
    """The engine adds a tensor's second gradient into its first in place when only the engine
    holds that array (PyTorch's engine does the same): a gradient a hook handed back, which its
    owner still holds, and one array sent to two inputs are left as they were."""
    from tinygrad_lr.autograd import engine

    x = tensor([1.0, -2.0, 0.5], requires_grad=True, dtype=np.float64)
    held = tensor([10.0, 20.0, 30.0], dtype=np.float64)
    y = x * 2
    c = y.clone()
    c.register_hook(lambda g: held)  # Clone passes `held`'s array on to y as it is
    (c.sum() + (y * 3).sum() + (y + y).sum()).backward()
    np.testing.assert_array_equal(held.numpy(), [10.0, 20.0, 30.0])
    np.testing.assert_array_equal(x.grad.numpy(), 2 * (held.numpy() + 3 + 2))

    answers = []
    original = engine._held_only_by

    def spy(grads, key):
        answers.append(original(grads, key))
        return answers[-1]

    try:  # b's gradients g·3 and g·b are fresh products: the second is added into the first
        engine._held_only_by = spy
        a = tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
        b = a.exp()
        (b * 3 + b * b).sum().backward()
    finally:
        engine._held_only_by = original
    assert True in answers
    np.testing.assert_allclose(a.grad.numpy(), np.exp([1.0, 2.0]) * (3 + 2 * np.exp([1.0, 2.0])))


def test_a_100000_op_chain_backpropagates_without_recursion():
    x = tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_grad_is_written_on_leaves_that_require_grad_only():
    w = tensor([1.0, 2.0], requires_grad=True)
    x = tensor([3.0, 4.0])
    hidden = w * x
    (hidden * hidden).sum().backward()
    assert x.grad is None
    assert hidden.grad is None  # as in PyTorch: non-leaves keep no .grad ...
    assert w.grad is not None


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    w = tensor([1.0, 2.0], requires_grad=True)
    hidden = w * 3
    hidden.retain_grad()
    (hidden * hidden).sum().backward()
    np.testing.assert_allclose(hidden.grad.numpy(), 2 * hidden.numpy())


def test_inputs_that_do_not_require_grad_get_no_gradient_computed():
    seen = []

    class Spy(Op):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            seen.append(ctx.needs_input_grad)
            return (g if ctx.needs_input_grad[0] else None), None

    w = tensor([1.0, 2.0], requires_grad=True)
    data = tensor([3.0, 4.0])
    Spy.apply(w, data).sum().backward()
    assert seen == [(True, False)]


def test_backward_releases_the_graph_and_a_second_backward_is_a_clear_error():
    w = tensor([1.0, 2.0], requires_grad=True)
    loss = (w.exp() * w).sum()
    loss.backward()
    with pytest.raises(GraphError, match="backward through the graph a second time"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    w = tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    loss = (w.exp() * w).sum()
    loss.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    loss.backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * first)


def test_released_graph_frees_intermediate_tensors():
    w = tensor(np.ones(3), requires_grad=True)
    hidden = w * 2
    probe = weakref.ref(hidden)
    loss = (hidden * hidden).sum()
    del hidden
    assert probe() is not None  # the graph holds it until backward
    loss.backward()
    assert probe() is None  # released without waiting for the cyclic garbage collector


def test_the_graph_holds_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        w = tensor(np.ones(3), requires_grad=True)
        loss = ((w * 2).exp() * w).sum()
        probe = weakref.ref(loss)
        del loss
        assert probe() is None  # freed by reference counting alone
    finally:
        gc.enable()


def test_backward_of_a_non_scalar_needs_a_gradient_as_in_torch():
    y = tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(GraphError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(gradient=np.array([1.0, -1.0]))


def test_backward_with_an_explicit_gradient_matches_torch():
    x = np.arange(6.0).reshape(2, 3)
    g = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    a = tensor(x, requires_grad=True)
    (a * a).backward(tensor(g))
    ta = torch.tensor(x, requires_grad=True)
    (ta * ta).backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy())


def test_backward_on_a_leaf_puts_the_gradient_in_its_grad():
    w = tensor([1.0, 2.0], requires_grad=True)
    w.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 4.0])


def test_no_grad_records_nothing_and_restores_the_mode():
    w = tensor([1.0], requires_grad=True)
    with no_grad():
        y = w * 2
        with enable_grad():
            z = w * 2
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad
    assert (w * 2).requires_grad


def test_no_grad_works_as_a_decorator_and_survives_exceptions():
    w = tensor([1.0], requires_grad=True)

    @no_grad()
    def step():
        return w * 2

    assert not step().requires_grad
    with pytest.raises(KeyError), no_grad():
        {}["missing"]
    assert (w * 2).requires_grad


def test_topological_order_puts_every_node_before_its_inputs():
    a = tensor([1.0], requires_grad=True)
    b = a * 2
    c = b + a
    d = c * b
    order = topological_order(d)
    position = {id(node): i for i, node in enumerate(order)}
    assert order[0] is d.grad_fn and order[-1] is a  # the nodes of the ops, then the leaf
    assert {id(node) for node in order} == {id(d.grad_fn), id(c.grad_fn), id(b.grad_fn), id(a)}
    for node in order[:-1]:
        for parent in node.inputs:
            if parent._requires_grad:  # constants like the 2 in `a * 2` are not visited
                assert position[id(node)] < position[id(parent)]


@pytest.mark.parametrize(
    ("grad_shape", "shape"),
    [((2, 3, 4), (4,)), ((2, 3, 4), (3, 1)), ((2, 3, 4), (1, 1, 1)), ((3, 4), ()), ((5,), (5,))],
)
def test_unbroadcast_sums_over_broadcast_dims(grad_shape, shape):
    grad = np.random.default_rng(0).standard_normal(grad_shape)
    reduced = unbroadcast(grad, shape)
    assert reduced.shape == shape
    # Summing the reduced gradient equals summing the full one: nothing is lost or counted twice.
    np.testing.assert_allclose(reduced.sum(), grad.sum())
    expanded = np.broadcast_to(np.ones(shape), grad_shape)
    assert expanded.shape == grad_shape


def test_unbroadcast_refuses_a_gradient_that_cannot_belong_to_the_input():
    with pytest.raises(ShapeError, match=r"\(3, 4\)"):
        unbroadcast(np.ones((3, 4)), (2, 4), "Broken")
    with pytest.raises(ShapeError, match="fewer dims"):
        unbroadcast(np.ones(4), (2, 4), "Broken")


def test_a_backward_rule_returning_a_wrong_shape_is_caught_by_the_engine():
    class WrongShape(Op):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return np.ones(7)

    with pytest.raises(ShapeError, match="WrongShape"):
        WrongShape.apply(tensor(np.ones((2, 3)), requires_grad=True)).backward()


def test_gradients_keep_each_leafs_dtype_when_dtypes_mix():
    w32 = tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    w64 = tensor(np.ones(3), requires_grad=True)
    (w32 * w64).sum().backward()
    assert w32.grad.dtype == np.float32
    assert w64.grad.dtype == np.float64
