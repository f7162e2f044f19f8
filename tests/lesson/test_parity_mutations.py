"""`tinygrad-lr parity` catches a broken backward rule: each one the lesson's model uses, and the
fused rules, scaled by 1.01 one at a time, must make it exit 1 and name what disagrees.

A parity check that passes whatever the rules say proves nothing; this is the proof that ours
does not.
"""

import numpy as np
import pytest

from tinygrad_lr import fused, ops
from tinygrad_lr.cli import main
from tinygrad_lr.lesson import parity, train


def _scaled(original, factor):
    def backward(ctx, g):
        grads = original(ctx, g)
        if isinstance(grads, tuple):
            return tuple(None if x is None else x * factor for x in grads)
        return grads * factor

    return staticmethod(backward)


def _break(monkeypatch, op, factor=1.01):
    monkeypatch.setattr(op, "backward", _scaled(op.__dict__["backward"].__func__, factor))


def _failures(capsys):
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAILED")]


def test_parity_checks_every_primitive_op_the_lesson_model_applies(applied_ops):
    """The op-by-op list in parity is the set of ops the model's forward really applies."""
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((20, 2)), rng.integers(0, 2, 20)
    for dtype in (np.float64, np.float32):
        for w in (None, np.array([0.3, 0.7])):
            model = train.Tinygrad(rng.standard_normal((2, 2)), np.zeros(2), w, dtype=dtype)
            model.gradients(X.astype(dtype), y)
    assert applied_ops == set(parity.PRIMITIVES)


@pytest.mark.parametrize("name", list(parity.PRIMITIVES))
def test_a_broken_primitive_rule_makes_parity_fail_and_name_it(name, monkeypatch, capsys):
    _break(monkeypatch, getattr(ops, name))
    assert main(["parity", "--epochs", "3"]) == 1
    failures = _failures(capsys)
    assert any(f"op {name}, autograd vs" in line for line in failures), failures
    if name != "Max":  # detached in log-softmax: the model's gradient cannot see its rule
        assert any("gradients, autograd vs hand-derived" in line for line in failures)
    assert not any(" fused vs " in line for line in failures)


@pytest.mark.parametrize("op", [fused.Linear, fused.CrossEntropy], ids=lambda op: op.__name__)
def test_a_broken_fused_rule_makes_parity_fail_in_the_fused_column(op, monkeypatch, capsys):
    _break(monkeypatch, op)
    assert main(["parity", "--epochs", "3"]) == 1
    failures = _failures(capsys)
    assert any("gradients, fused vs hand-derived" in line for line in failures), failures
    assert any("gradients, fused vs central diff." in line for line in failures)
    name = {"Linear": "fused.linear", "CrossEntropy": "fused.cross_entropy"}[op.__name__]
    assert any(f"op {name}, fused vs" in line for line in failures)
    assert not any("autograd vs" in line for line in failures)


def test_a_broken_input_rule_of_fused_linear_is_caught_though_the_lesson_never_uses_it(
    monkeypatch, capsys
):
    original = fused.Linear.__dict__["backward"].__func__

    def broken(ctx, g):
        dx, dw, db = original(ctx, g)
        return (None if dx is None else dx * 1.01), dw, db

    monkeypatch.setattr(fused.Linear, "backward", staticmethod(broken))
    assert main(["parity", "--epochs", "3"]) == 1
    failures = _failures(capsys)
    assert failures and all("op fused.linear, fused vs" in line for line in failures), failures


def test_a_nan_gradient_fails_parity_and_is_named_never_counted_as_zero(monkeypatch, capsys):
    _break(monkeypatch, ops.Log, factor=np.nan)
    assert main(["parity", "--epochs", "3"]) == 1
    failures = _failures(capsys)
    assert any("NaN in autograd's weight gradient" in line for line in failures), failures
    assert any("op Log" in line and "NaN in the gradient of input 0" in line for line in failures)


def test_an_infinite_gradient_fails_parity(monkeypatch, capsys):
    def infinite(ctx, g):
        weight = ctx.inputs[1].numpy()  # a leaf: the node keeps it
        return None, np.full_like(weight, np.inf), np.full(weight.shape[0], np.inf, weight.dtype)

    monkeypatch.setattr(fused.Linear, "backward", staticmethod(infinite))
    assert main(["parity", "--epochs", "3"]) == 1
    failures = _failures(capsys)
    assert any("inf in fused's weight gradient" in line for line in failures), failures
