"""Changes in place between forward and backward: an error where PyTorch raises one, the same
gradient where PyTorch computes one. Every tensor has a version counter, shared with its views."""

import sys

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
from tinygrad_lr import GraphError, nn, optim, tensor

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 2))
Y = np.array([0, 1, 1, 0, 1])


def _both(scenario):
    """Run `scenario(lib)` with tinygrad_lr and with PyTorch: the error each raised, or None."""
    outcomes = []
    for lib in (tg, torch):
        try:
            scenario(lib)
            outcomes.append(None)
        except RuntimeError as error:
            outcomes.append(error)
    return outcomes


def _tensor(lib, array, requires_grad=False):
    if lib is torch:
        return torch.tensor(array, requires_grad=requires_grad)
    return tensor(array, requires_grad=requires_grad)


def _linear(lib, seed=0):
    model = lib.nn.Linear(2, 2, dtype=lib.float64 if lib is torch else np.float64)
    w = np.random.default_rng(seed).standard_normal((2, 2))
    model.load_state_dict({"weight": _tensor(lib, w), "bias": _tensor(lib, np.zeros(2))})
    return model


def _cross_entropy(lib, logits):
    y = torch.tensor(Y) if lib is torch else Y
    return (
        lib.nn.functional.cross_entropy(logits, y)
        if lib is torch
        else (tg.functional.cross_entropy(logits, y))
    )


def test_a_saved_tensor_changed_under_no_grad_makes_backward_raise_as_in_pytorch():
    def scenario(lib):
        w = _tensor(lib, np.ones(3), requires_grad=True)
        loss = (w * w).sum()
        with lib.no_grad():
            w.zero_()
        loss.backward()

    ours, theirs = _both(scenario)
    assert theirs is not None and "modified by an inplace operation" in str(theirs)
    assert isinstance(ours, GraphError)
    assert "backward through Mul" in str(ours) and "changed in place" in str(ours)
    assert "version 1, Mul saved it at version 0" in str(ours)


def test_an_optimizer_step_between_forward_and_backward_raises_where_pytorch_does():
    """The second layer's weight is saved (its input requires grad), so step() makes it stale."""

    def scenario(lib):
        first, second = _linear(lib, 1), _linear(lib, 2)
        loss = _cross_entropy(lib, second(first(_tensor(lib, X)).relu()))
        loss.backward(retain_graph=True)
        lib.optim.SGD(second.parameters(), lr=0.1).step()
        loss.backward()

    ours, theirs = _both(scenario)
    assert theirs is not None and isinstance(ours, GraphError)
    assert "MatMul" in str(ours) or "Permute" in str(ours)


def test_a_step_that_changes_nothing_the_gradient_needs_is_allowed_as_in_pytorch():
    """With data that needs no gradient, a linear layer saves the data, not its weight: the
    weight gradient Xᵀ·G does not use the weight, so changing it cannot make it wrong."""
    grads = []
    for lib in (tg, torch):
        model = _linear(lib)
        loss = _cross_entropy(lib, model(_tensor(lib, X)))
        loss.backward(retain_graph=True)
        first = model.weight.grad.numpy().copy()
        lib.optim.SGD(model.parameters(), lr=0.1).step()
        model.zero_grad()
        loss.backward()
        np.testing.assert_allclose(model.weight.grad.numpy(), first)  # the forward's gradient
        grads.append(first)
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_load_state_dict_is_an_in_place_change_as_in_pytorch():
    def scenario(lib):
        model = _linear(lib)
        loss = model(_tensor(lib, X, requires_grad=True)).sum()  # x needs grad: weight saved
        model.load_state_dict(
            {"weight": _tensor(lib, np.zeros((2, 2))), "bias": _tensor(lib, np.zeros(2))}
        )
        loss.backward()

    ours, theirs = _both(scenario)
    assert theirs is not None and isinstance(ours, GraphError)


def test_an_op_that_saved_its_output_does_not_care_about_its_input_as_in_pytorch():
    for lib in (tg, torch):
        w = _tensor(lib, np.array([0.5, 1.0]), requires_grad=True)
        loss = w.exp().sum()
        with lib.no_grad():
            w.zero_()
        loss.backward()
        np.testing.assert_allclose(w.grad.numpy(), np.exp([0.5, 1.0]))


def test_changing_an_ops_saved_output_in_place_makes_backward_raise():
    w = tensor(np.array([0.5, 1.0]), requires_grad=True)
    z = w.exp()
    loss = z.sum()
    with tg.no_grad():
        z.zero_()
    with pytest.raises(GraphError, match=r"backward through Exp.*its output"):
        loss.backward()


def test_a_view_shares_its_bases_version_counter():
    w = tensor(np.ones((2, 3)), requires_grad=True)
    views = [w.T, w.reshape(6), w[0], w.detach()]
    with tg.no_grad():
        w.zero_()
    assert w._version == 1 and [v._version for v in views] == [1, 1, 1, 1]
    copy = w[[0, 1]]  # advanced indexing copies: its own counter
    with tg.no_grad():
        w.zero_()
    assert copy._version == 0


def test_changing_a_leaf_that_requires_grad_in_place_outside_no_grad_raises_as_in_pytorch():
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        torch.ones(2, requires_grad=True).zero_()
    with pytest.raises(GraphError, match="leaf tensor that requires grad"):
        tensor(np.ones(2), requires_grad=True).zero_()


def test_changing_an_op_result_in_place_is_refused_not_silently_wrong():
    """PyTorch records the change in the graph; this engine does not, so it refuses."""
    x = tensor(np.ones(2), requires_grad=True)
    with pytest.raises(GraphError, match="made by Mul"):
        (x * 2).zero_()


def test_gradients_and_untracked_tensors_change_in_place_freely():
    w = tensor(np.ones(2), requires_grad=True)
    (w * w).sum().backward()
    w.grad.zero_()
    assert w.grad.numpy().tolist() == [0.0, 0.0]
    tensor(np.ones(2)).zero_()


def test_every_optimizer_step_and_state_load_bumps_the_version():
    model = nn.Linear(2, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)
    model(tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()
    opt.step()
    opt.step()
    assert model.weight._version == 2
    model.load_state_dict(model.state_dict())
    assert model.weight._version == 3


@pytest.mark.parametrize("flags_first", [True, False], ids=["flags first", "versions first"])
def test_flags_stay_bools_and_versions_numbers_whichever_the_graph_met_first(
    flags_first, monkeypatch
):
    # which inputs need a gradient, (False, True), and which input was saved at which version,
    # (0, 1), are equal tuples in Python: tuples shared between ops must keep them apart
    graph = sys.modules["tinygrad_lr.autograd.graph"]
    monkeypatch.setattr(graph, "_SHARED_FLAGS", {})  # as a fresh process starts
    w = tensor([1.0], requires_grad=True)
    with tg.no_grad():
        w.add_(1.0)  # version 1
    data = tensor([2.0])
    if flags_first:
        _ = data * w  # needs_input_grad (False, True)
    y = w.sin()  # saves its input 0 at version 1
    assert [type(flag) for flag in (data * w).grad_fn.needs_input_grad] == [bool, bool]
    with tg.no_grad():
        w.add_(1.0)
    with pytest.raises(GraphError) as ours:
        y.sum().backward()
    assert "its input 0 of shape" in str(ours.value)
    assert "at version 2, Sin saved it at version 1" in str(ours.value)
