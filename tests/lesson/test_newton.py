"""Part 3 of the lesson: Newton's method with the Hessian by autograd reaches the optimum that
scikit-learn and PyTorch find, and the autograd Hessian equals the closed form."""

import itertools

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
from tinygrad_lr.lesson import data, newton, pipeline, reference

SEED = 1234


def lesson_start(p):
    """The lesson's NumPy model's starting weights, drawn in the lesson's order."""
    D, C = p.X_train.shape[1], len(p.encoder)
    pipeline.init_numpy_weights(D, C)  # the lesson's demonstration draw
    return newton.pack(*pipeline.init_numpy_weights(D, C))


@pytest.fixture(scope="module")
def synthetic():
    return pipeline.prepare(data.make_tumors(seed=SEED), SEED)


@pytest.fixture(scope="module")
def original(tumors_csv):
    return pipeline.prepare(data.load_tumors(tumors_csv), SEED)


def torch_loss(X, y, class_weight):
    x, target = torch.tensor(X), torch.tensor(y)
    weight = None if class_weight is None else torch.tensor(class_weight)

    def loss(theta):
        Wb = theta.reshape(2, -1)
        return torch.nn.functional.cross_entropy(
            x @ Wb[:, :-1].T + Wb[:, -1], target, weight=weight
        )

    return loss


@pytest.mark.parametrize("weighted", [False, True])
def test_autograd_hessian_equals_the_closed_form_and_pytorch(synthetic, weighted):
    p = synthetic
    cw = p.class_weights if weighted else None
    rng = np.random.default_rng(0)
    for theta in (lesson_start(p), rng.standard_normal(6) * 3):
        ours = tg.autograd.functional.hessian(
            newton.loss_function(p.X_train, p.y_train, cw), tg.tensor(theta)
        ).numpy()
        closed = newton.closed_form_hessian(theta, p.X_train, p.y_train, cw)
        theirs = torch.autograd.functional.hessian(
            torch_loss(p.X_train, p.y_train, cw), torch.tensor(theta)
        ).numpy()
        np.testing.assert_allclose(ours, closed, rtol=0, atol=1e-13)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-13)


def test_for_two_classes_the_hessian_is_logistic_regressions(synthetic):
    """With s = z₁ − z₀ and p = σ(s), the class-1 block of H is Xᵀ diag(p(1 − p)) X / N
    (x with a constant 1 appended), and the other blocks are ± the same matrix."""
    p = synthetic
    theta = np.random.default_rng(1).standard_normal(6)
    H = newton.closed_form_hessian(theta, p.X_train, p.y_train, None)
    probs = newton.probabilities(theta, p.X_train, 2)[:, 1]
    x1 = np.concatenate([p.X_train, np.ones((len(p.y_train), 1))], axis=1)
    logistic = x1.T @ (x1 * (probs * (1 - probs))[:, None]) / len(p.y_train)
    np.testing.assert_allclose(H[3:, 3:], logistic, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(H[:3, 3:], -logistic, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
def test_newton_converges_quadratically_to_scikit_learns_optimum(original, weighted):
    p = original
    cw = p.class_weights if weighted else None
    theta, history = newton.newton(p.X_train, p.y_train, lesson_start(p), cw)
    assert history[-1].gradient_norm < newton.GRADIENT_TOLERANCE
    assert len(history) <= 20
    norms = [h.gradient_norm for h in history]
    # quadratic convergence at the end: each norm at most about the square of the previous
    # (times a constant), i.e. the number of correct digits roughly doubles
    tail = [n for n in norms if n < 1e-3]
    assert any(b < a**1.5 for a, b in itertools.pairwise(tail))
    ours = newton.probabilities(theta, p.X_train, 2)
    sklearn = newton.sklearn_probabilities(p.X_train, p.y_train, cw)
    np.testing.assert_allclose(ours, sklearn, rtol=0, atol=1e-6)
    loss_ours = reference.loss(ours, p.y_train, cw)
    loss_sklearn = reference.loss(sklearn, p.y_train, cw)
    assert abs(loss_ours - loss_sklearn) < 1e-9
    assert loss_ours <= loss_sklearn + 1e-12  # nothing lower than the optimum


def test_the_pseudo_inverse_never_moves_along_the_flat_directions(synthetic):
    """Adding the same row to every class changes no probability: Newton's pseudo-inverse step
    leaves the sum of the class rows where it started."""
    p = synthetic
    theta0 = lesson_start(p)
    theta, _ = newton.newton(p.X_train, p.y_train, theta0, None)
    np.testing.assert_allclose(
        theta.reshape(2, -1).sum(axis=0), theta0.reshape(2, -1).sum(axis=0), atol=1e-9
    )


def test_the_lesson_prints_part_3_and_fails_when_a_check_fails(tmp_path, capsys, monkeypatch):
    from tinygrad_lr.lesson import report

    assert report.run("synthetic", SEED, 0.1, 5, tmp_path) == 0
    out = capsys.readouterr().out
    assert "Part 3, Newton's method" in out
    assert out.count("scikit-learn's LogisticRegression (no penalty, newton-cholesky) agrees") == 2
    assert "FAILED" not in out
    right = newton.sklearn_probabilities
    monkeypatch.setattr(
        newton, "sklearn_probabilities", lambda *args: right(*args) + np.array([1e-5, -1e-5])
    )
    assert report.run("synthetic", SEED, 0.1, 5, tmp_path) == 1
    assert "FAILED: disagrees" in capsys.readouterr().out


@pytest.mark.parametrize("seed", [0, 1, 7, 1234, 2024])
@pytest.mark.parametrize("weighted", [False, True])
def test_newton_reaches_the_optimum_on_other_data_without_stalling(seed, weighted):
    """On other draws of the offline data too: few steps, full steps at the end, scikit-learn's
    probabilities (a stall at the loss's rounding level once made the table run to 50 steps)."""
    p = pipeline.prepare(data.make_tumors(seed=seed), seed)
    cw = p.class_weights if weighted else None
    theta, history = newton.newton(p.X_train, p.y_train, lesson_start(p), cw)
    assert len(history) <= 20
    assert history[-1].gradient_norm < 1e-9
    assert all(h.step_size == 1 for h in history[:-1] if h.gradient_norm < 1e-3)
    ours = newton.probabilities(theta, p.X_train, 2)
    np.testing.assert_allclose(
        ours, newton.sklearn_probabilities(p.X_train, p.y_train, cw), rtol=0, atol=1e-6
    )


def test_a_nan_from_a_recorded_rule_fails_part_3_by_name(tmp_path, capsys, monkeypatch):
    from tinygrad_lr import ops
    from tinygrad_lr.lesson import report

    right = ops.Exp.backward

    def nan_when_recorded(ctx, g):
        result = right(ctx, g)
        return result * float("nan") if hasattr(g, "array") else result

    monkeypatch.setattr(ops.Exp, "backward", staticmethod(nan_when_recorded))
    assert report.run("synthetic", SEED, 0.1, 5, tmp_path) == 1
    out = capsys.readouterr().out
    assert "FAILED: differs from the closed form, largest difference nan" in out
