"""The lesson's model three ways: hand-derived NumPy, tinygrad_lr's autograd and PyTorch agree."""

import numpy as np
import pytest
import torch

from tinygrad_lr import visual
from tinygrad_lr.lesson import data, pipeline, reference, train


@pytest.fixture(scope="module")
def prepared():
    return pipeline.prepare(data.make_tumors(seed=7), seed=7)


@pytest.fixture(scope="module")
def original(tumors_csv):
    p = pipeline.prepare(data.load_tumors(tumors_csv), seed=1234)
    pipeline.init_numpy_weights(2, 2)  # the lesson's demonstration draw
    W0, b0 = pipeline.init_numpy_weights(2, 2)
    return p, W0, b0


def _train(prepared, W0, b0, settings, epochs=50, implementations=None):
    return [
        train.fit(make(W0, b0, **settings), prepared.X_train, prepared.y_train, epochs)
        for make in implementations or [train.HandDerived, train.Tinygrad, train.Torch]
    ]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("fused", [False, True], ids=["autograd", "fused"])
def test_hand_derived_gradients_equal_tinygrad_lr_in_float64(prepared, weighted, fused):
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((2, 2)), rng.standard_normal(2)
    w = prepared.class_weights if weighted else None
    X, y = prepared.X_train, prepared.y_train
    y_hat = reference.softmax(reference.forward(X, W, b))
    dW, db = reference.gradients(X, y_hat, y, w)
    aW, ab = train.Tinygrad(W, b, class_weight=w, fused=fused).gradients(X, y)
    np.testing.assert_allclose(aW, dW, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ab, db, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_tinygrad_lrs_lesson_model_runs_through_primitive_ops_not_a_closed_form(prepared, weighted):
    """The autograd path's backward visits the primitives; the fused path's only two nodes."""
    W, b = np.full((2, 2), 0.1), np.zeros(2)
    w = prepared.class_weights if weighted else None
    X, y = prepared.X_train, prepared.y_train
    with visual.trace() as steps:
        train.Tinygrad(W, b, class_weight=w).gradients(X, y)
    ops = {r["op"] for r in steps.records}
    expected = {"MatMul", "Permute", "Add", "Sub", "Exp", "Sum", "Log", "Index", "Neg", "Div"}
    assert expected | ({"Mul"} if weighted else set()) == ops
    with visual.trace() as steps:
        train.Tinygrad(W, b, class_weight=w, fused=True).gradients(X, y)
    assert [r["op"] for r in steps.records] == ["CrossEntropy", "Linear"]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_hand_derived_loss_equals_torch_cross_entropy(prepared, weighted):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((len(prepared.y_train), 2)) * 3
    w = prepared.class_weights if weighted else None
    ours = reference.loss(reference.softmax(logits), prepared.y_train, w)
    theirs = torch.nn.functional.cross_entropy(
        torch.tensor(logits),
        torch.tensor(prepared.y_train),
        weight=None if w is None else torch.tensor(w),
    ).item()
    assert ours == pytest.approx(theirs, rel=1e-13)


def test_hand_derived_gradient_does_not_overwrite_the_probabilities(prepared):
    y_hat = reference.softmax(reference.forward(prepared.X_train, np.ones((2, 2)), np.zeros(2)))
    before = y_hat.copy()
    reference.gradients(prepared.X_train, y_hat, prepared.y_train)
    np.testing.assert_array_equal(y_hat, before)


def test_reference_softmax_does_not_overflow():
    probs = reference.softmax(np.array([[1000.0, -1000.0, 999.0]]))
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(), 1.0)


def test_sgd_training_equals_the_numpy_loop_and_torch(prepared):
    W0, b0 = 0.01 * np.random.default_rng(2).standard_normal((2, 2)), np.zeros(2)
    settings = pipeline.part_settings(prepared, 1, 0.1)
    runs = _train(prepared, W0, b0, settings)
    runs.append(
        train.fit(
            train.Tinygrad(W0, b0, fused=True, **settings), prepared.X_train, prepared.y_train, 50
        )
    )
    for run in runs[1:]:
        np.testing.assert_allclose(run.losses, runs[0].losses, rtol=1e-12)
        np.testing.assert_allclose(run.W, runs[0].W, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(run.b, runs[0].b, rtol=1e-12, atol=1e-13)
    assert runs[0].losses[-1] < runs[0].losses[0]


def test_adam_training_equals_torch_and_the_hand_written_adam(prepared):
    W1, b1 = pipeline.initial_linear(prepared, seed=3)
    numpy_run, ours, theirs = _train(prepared, W1, b1, pipeline.part_settings(prepared, 2, 0.1))
    for run in (ours, numpy_run):
        assert run.W.dtype == np.float32
        np.testing.assert_allclose(run.losses, theirs.losses, rtol=1e-5)
        np.testing.assert_allclose(run.W, theirs.W, atol=1e-5)
        np.testing.assert_allclose(run.b, theirs.b, atol=1e-5)
    assert train.weight_difference([numpy_run, ours, theirs]) < 1e-5


def test_weight_difference_is_nan_never_zero_when_a_training_diverged(prepared):
    W0, b0 = np.zeros((2, 2)), np.zeros(2)
    runs = _train(prepared, W0, b0, pipeline.part_settings(prepared, 1, 0.1), epochs=2)
    runs[1].model.model.bias.numpy()[0] = np.nan
    assert np.isnan(train.weight_difference(runs))
    assert train.nonfinite_weights(runs) == ["NaN in tinygrad_lr's trained bias"]


def test_hand_written_adam_follows_torch_adam_step_by_step():
    rng = np.random.default_rng(4)
    param = rng.standard_normal(5)
    reference_param = torch.tensor(param.copy(), requires_grad=True)
    opt = torch.optim.Adam([reference_param], lr=0.05)
    state: dict = {}
    for _ in range(30):
        grad = rng.standard_normal(5)
        reference.adam_update(param, grad, state, lr=0.05)
        reference_param.grad = torch.tensor(grad)
        opt.step()
        np.testing.assert_allclose(param, reference_param.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_unstandardized_weights_give_the_same_logits_on_raw_inputs(prepared):
    W1, b1 = pipeline.initial_linear(prepared, seed=5)
    settings = pipeline.part_settings(prepared, 2, 0.1)
    (run,) = _train(prepared, W1, b1, settings, epochs=20, implementations=[train.Torch])
    W_raw, b_raw = pipeline.unstandardized(run, prepared)
    raw_logits = prepared.raw_test @ W_raw.T + b_raw
    trained_logits = prepared.X_test @ run.W.T.astype(np.float64) + run.b
    np.testing.assert_allclose(raw_logits, trained_logits, rtol=1e-10, atol=1e-10)


def test_the_lessons_unstandardized_bias_is_wrong_and_ours_is_not(prepared):
    """The lesson subtracted Σ over classes and features: one number from every class."""
    rng = np.random.default_rng(6)
    W, b = rng.standard_normal((2, 2)), rng.standard_normal(2)
    mean, scale = prepared.scaler.mean_, prepared.scaler.scale_
    W_raw, b_raw = reference.unstandardize(W, b, mean, scale)
    lessons_bias = b - np.sum(W_raw * mean[None, :])
    expected = prepared.X_test @ W.T + b
    np.testing.assert_allclose(prepared.raw_test @ W_raw.T + b_raw, expected, atol=1e-12)
    wrong = prepared.raw_test @ W_raw.T + lessons_bias
    assert np.isfinite(wrong).all() and not np.allclose(wrong, expected, atol=1e-3)


def test_prepare_splits_70_15_15_stratified_and_standardises_on_train(prepared):
    assert prepared.sizes == {"train": 700, "val": 150, "test": 150}
    ratios = [
        np.bincount(y)[1] / len(y) for y in (prepared.y_train, prepared.y_val, prepared.y_test)
    ]
    assert max(ratios) - min(ratios) < 0.02
    np.testing.assert_allclose(prepared.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(prepared.X_train.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(prepared.class_weights, 1 / np.bincount(prepared.y_train))


def test_the_published_figures_are_reproduced_from_the_original_csv(original):
    p, W0, b0 = original
    implementations = [train.HandDerived, train.Tinygrad, train.Torch]
    for make in implementations:
        run = train.fit(make(W0, b0, **pipeline.part_settings(p, 1, 0.1)), p.X_train, p.y_train, 50)
        assert [f"{v:.3f}" for v in run.losses[::10]] == [
            "0.684",
            "0.446",
            "0.349",
            "0.297",
            "0.263",
        ], run.name
        assert f"{pipeline.accuracy(run, p.X_test, p.y_test):.2f}" == "0.97", run.name

    W1, b1 = pipeline.initial_linear(p, 1234)
    for make in implementations:
        run = train.fit(make(W1, b1, **pipeline.part_settings(p, 2, 0.1)), p.X_train, p.y_train, 50)
        assert [f"{v:.2f}" for v in run.losses[::10]] == ["0.96", "0.28", "0.15", "0.12", "0.10"], (
            run.name
        )
        assert f"{pipeline.accuracy(run, p.X_test, p.y_test):.2f}" == "0.98", run.name


def test_the_original_split_and_initial_weights_are_the_lessons(original):
    p, W0, _ = original
    assert p.sizes == {"train": 700, "val": 150, "test": 150}
    assert np.bincount(p.y_train).tolist() == [272, 428]
    np.testing.assert_allclose(
        W0.T, [[0.0023454710, -0.0135485245], [-0.0182130380, -0.0043288950]], atol=1e-10
    )


def test_without_pytorch_part_2_starts_from_the_same_weights_and_says_who_drew_them(
    prepared, monkeypatch
):
    with_torch = pipeline.initial_linear(prepared, seed=1234)
    assert "drawn by PyTorch" in pipeline.weights_source(1234)
    monkeypatch.setattr(train, "torch_or_none", lambda: None)
    without = pipeline.initial_linear(prepared, seed=1234)
    for a, b in zip(with_torch, without):
        np.testing.assert_array_equal(a, b)  # tinygrad_lr's generator is PyTorch's
    assert "drawn by tinygrad_lr" in pipeline.weights_source(1234)
