"""The graph is freed after every step by reference counting alone, with no cycles left behind."""

import gc
import sys
import weakref

import numpy as np
import pytest

import tinygrad_lr as tg

STEPS = 10_000


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def _training_step():
    rng = np.random.default_rng(0)
    X = tg.from_numpy(rng.standard_normal((256, 8)).astype(np.float32))
    y = rng.integers(0, 4, 256)
    model = tg.nn.Linear(8, 4)
    loss_fn = tg.nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32))
    optimizer = tg.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        hidden = tg.fused.linear(X, model.weight, model.bias).relu()  # the fused path too
        loss = loss_fn(model(X) + hidden * 0.1, y)
        loss.backward()
        optimizer.step()

    return step


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_ten_thousand_steps_with_the_garbage_collector_off_do_not_grow_memory():
    step = _training_step()
    gc.collect()
    gc.disable()
    try:
        for _ in range(500):  # warm-up: allocator pools and caches settle
            step()
        before = _rss_kib()
        for _ in range(STEPS):
            step()
        grown = _rss_kib() - before
        unreachable = gc.collect()  # what only the cyclic collector could have freed
    finally:
        gc.enable()
    assert grown < 1024, f"resident memory grew by {grown} KiB over {STEPS} steps"
    assert unreachable == 0, f"{unreachable} objects were left in reference cycles"


def _tracked_objects_per_op(make_chain, ops: int) -> float:
    """How many objects the garbage collector tracks per recorded op while the graph lives."""
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        keep = make_chain(ops)
        gc.collect()  # untracks the tuples that hold only arrays, numbers or None
        added = len(gc.get_objects()) - before
        del keep
    finally:
        gc.enable()
    return added / ops


def test_a_recorded_op_costs_the_garbage_collector_two_or_three_objects():
    # its Context and the tuple of its inputs' nodes, and for an op that saved an input's values
    # (the Mul here) the note of that input's version; its output tensor is not part of the
    # graph. A Python number operand is a constant shared by every op that uses the same
    # number, not one more tensor per op
    def chain(ops):
        x = tg.tensor(1.0, requires_grad=True)
        y = x
        for _ in range(ops // 2):
            y = y * 1.0001 + 0.5
        return x, y

    assert _tracked_objects_per_op(chain, 2000) <= 2.51


def test_python_numbers_become_one_shared_read_only_constant_per_value_and_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    first, second = (x * 3.0).grad_fn.inputs[1], (x + 3).grad_fn.inputs[1]
    assert first is second and first.dtype == np.float32 and not first.requires_grad
    assert (x.double() * 3.0).grad_fn.inputs[1].dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        first.array += 1  # shared: it must never change under another graph


@pytest.mark.parametrize("first, then", [(0.0, -0.0), (-0.0, 0.0)])
def test_a_zeros_sign_survives_the_shared_constants(first, then):
    # 0.0 == -0.0 in Python, but as factors they differ (PyTorch keeps the sign): a constant
    # made for one must not be handed out for the other
    x = tg.tensor([1.0, -1.0])
    ones = np.float32([1.0, -1.0])
    for zero in (first, then):
        assert np.array_equal(np.signbit((x * zero).array), np.signbit(ones * zero))
        assert np.array_equal(np.signbit((zero * x).array), np.signbit(zero * ones))


def test_the_shared_constants_stay_few(monkeypatch):
    tensor_module = sys.modules["tinygrad_lr.tensor"]  # (the package's `tensor` is the function)
    monkeypatch.setattr(tensor_module, "_CONSTANTS", {})  # as a fresh process starts
    x = tg.tensor([1.0])
    values = [(x * (1 + i / 7919)).item() for i in range(2000)]  # 2,000 different numbers
    assert len(tensor_module._CONSTANTS) <= 512
    assert values[1999] == pytest.approx(1 + 1999 / 7919)


def test_a_nan_operand_does_not_use_up_the_shared_constants(monkeypatch):
    tensor_module = sys.modules["tinygrad_lr.tensor"]
    monkeypatch.setattr(tensor_module, "_CONSTANTS", {})  # as a fresh process starts
    x = tg.tensor([1.0])
    for _ in range(600):  # NaN never equals itself: a kept NaN could never be found again
        assert np.isnan((x * float("nan")).item())
    assert len(tensor_module._CONSTANTS) < 512
    y = tg.tensor([1.0], requires_grad=True)
    assert (y * 7.25).grad_fn.inputs[1] is (y * 7.25).grad_fn.inputs[1]


def test_the_graph_keeps_an_intermediate_result_only_if_a_rule_saved_it():
    """As in PyTorch, the graph keeps the ops' nodes, not the tensors they made: a result the
    program lets go is freed at once, unless a backward rule needs its values."""
    x = tg.tensor(np.linspace(-1.0, 1.0, 6), requires_grad=True, dtype=np.float64)
    doubled = x * 2.0
    shifted = doubled - 1.0  # Sub saves nothing: `doubled` is not needed for backward
    exp = shifted.exp()  # Exp saves its output, not its input: `shifted` is not needed either
    loss = (exp * x).sum()  # Mul saves both inputs: `exp` is needed
    gone = [weakref.ref(t) for t in (doubled, shifted)]
    kept = weakref.ref(exp)
    del doubled, shifted, exp
    assert [ref() for ref in gone] == [None, None]
    assert kept() is not None
    loss.backward()
    a = np.linspace(-1.0, 1.0, 6)
    expected = np.exp(2 * a - 1) * (2 * a + 1)  # d/dx of x · exp(2x − 1)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)
    assert kept() is None  # released with the graph


def test_hooks_and_retain_grad_of_an_intermediate_work_whether_or_not_it_is_still_held():
    torch = pytest.importorskip("torch")
    seen = []
    x = tg.tensor([1.0, -2.0], requires_grad=True, dtype=np.float64)
    hooked, retained = x * 3.0, x * 5.0
    hooked.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    retained.retain_grad()
    loss = (hooked * hooked + retained * x).sum()
    del hooked  # its hook still runs: it lives on the node, as in PyTorch
    loss.backward()
    tx = torch.tensor([1.0, -2.0], requires_grad=True, dtype=torch.float64)
    th, tr = tx * 3.0, tx * 5.0
    th.register_hook(lambda g: g * 2)
    tr.retain_grad()
    (th * th + tr * tx).sum().backward()
    np.testing.assert_array_equal(seen[0], [6.0, -12.0])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(retained.grad.numpy(), tr.grad.numpy(), rtol=1e-15)


def test_a_read_only_constant_is_not_noted_but_twice_differentiable_inputs_are():
    """`x * 2.0` saves the shared constant 2, which cannot change: no version note for it (one
    object fewer per op). A read-only array that requires grad is still an input with a graph:
    its second derivative is right."""
    x = tg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    assert (x * 2.0).grad_fn.saved_versions == ()
    values = np.array([1.0, 2.0])
    values.flags.writeable = False
    w = tg.from_numpy(values).requires_grad_()
    (first,) = tg.autograd.grad((w * w * w).sum(), w, create_graph=True)
    (second,) = tg.autograd.grad(first.sum(), w)
    np.testing.assert_array_equal(first.detach().numpy(), 3 * values**2)
    np.testing.assert_array_equal(second.numpy(), 6 * values)


def test_a_read_only_view_of_a_tensor_that_changes_in_place_is_still_checked():
    """`expand` gives a read-only view, but of a tensor that can change: the change is caught
    at backward, as in PyTorch (only the shared constants go unnoted)."""
    x = tg.tensor(np.arange(6.0).reshape(2, 3) + 1, requires_grad=True, dtype=np.float64)
    b = tg.tensor(np.array([[1.0, 2.0, 3.0]]), dtype=np.float64)
    y = (x * b.expand(2, 3)).sum()
    b.add_(10)
    with pytest.raises(tg.GraphError, match="changed in place"):
        y.backward()


def test_retain_grad_fills_grad_in_autograd_grad_too_as_in_pytorch():
    torch = pytest.importorskip("torch")
    results = {}
    for lib, name in ((tg, "ours"), (torch, "torch")):
        x = lib.tensor([1.0, 2.0], requires_grad=True, dtype=lib.float64)
        y = x * 3
        y.retain_grad()
        (gx,) = lib.autograd.grad((y * y).sum(), x)
        results[name] = (gx.detach().numpy(), y.grad.detach().numpy())
    for ours, theirs in zip(results["ours"], results["torch"], strict=True):
        np.testing.assert_array_equal(ours, theirs)
