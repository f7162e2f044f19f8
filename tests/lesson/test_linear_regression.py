"""The linear-regression lesson: the hand-derived NumPy model, tinygrad_lr's autograd and PyTorch
agree; its data, splits and weights are the notebook's; the command prints the notebook's
reproducible figures; the script runs top to bottom."""

import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import torch

from tinygrad_lr import cli, ops
from tinygrad_lr.cli import main
from tinygrad_lr.lesson import linear_regression as linreg
from tinygrad_lr.lesson import report, train

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "lessons" / "linear_regression.py"
IMPLEMENTATIONS = [linreg.HandDerived, linreg.Tinygrad, linreg.Torch]
# the primitive ops tinygrad_lr's MSE model applies (nn.Linear, then MSELoss)
PRIMITIVES = ("Permute", "MatMul", "Add", "Sub", "Pow", "Sum", "Div")


@pytest.fixture(scope="module")
def lesson():
    return linreg.run_lesson()


@pytest.fixture(scope="module")
def command_output(tmp_path_factory):
    out = tmp_path_factory.mktemp("pictures")
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "lesson", "linear-regression", "--out", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, out


def _random_problem(rng, rows=30, features=1, outputs=1):
    X = rng.standard_normal((rows, features))
    y = X @ rng.standard_normal((features, outputs)) + 0.3 * rng.standard_normal((rows, outputs))
    return X, y, rng.standard_normal((outputs, features)), rng.standard_normal(outputs)


def _central_differences(X, y, W, b, h=1e-6):
    def loss_at(W_, b_):
        return linreg.mse(linreg.forward(X, W_, b_), y)

    grads = []
    for which, param in enumerate((W, b)):
        grad = np.zeros_like(param)
        for i in np.ndindex(param.shape):
            up, down = param.copy(), param.copy()
            up[i] += h
            down[i] -= h
            pair_up, pair_down = ((up, b), (down, b)) if which == 0 else ((W, up), (W, down))
            grad[i] = (loss_at(*pair_up) - loss_at(*pair_down)) / (2 * h)
        grads.append(grad)
    return grads


# --- the gradient ------------------------------------------------------------------------------
@pytest.mark.parametrize("features, outputs", [(1, 1), (3, 1), (3, 2)])
def test_hand_derived_gradient_equals_autograd_pytorch_and_central_differences(features, outputs):
    X, y, W, b = _random_problem(
        np.random.default_rng(features * 10 + outputs), 30, features, outputs
    )
    dW, db = linreg.gradients(X, linreg.forward(X, W, b), y)
    assert dW.shape == W.shape and db.shape == b.shape
    for make in (linreg.Tinygrad, linreg.Torch):
        aW, ab = make(W, b).gradients(X, y)
        np.testing.assert_allclose(aW, dW, rtol=1e-12, atol=1e-14, err_msg=make.name)
        np.testing.assert_allclose(ab, db, rtol=1e-12, atol=1e-14, err_msg=make.name)
    nW, nb = _central_differences(X, y, W, b)
    np.testing.assert_allclose(nW, dW, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(nb, db, rtol=1e-6, atol=1e-8)


def test_the_lessons_summed_weight_gradient_is_right_for_one_feature_only():
    """The lesson's dW = −(2/N) np.sum((y − ŷ) * X) sums over the features as well."""
    for features, right in ((1, True), (3, False)):
        X, y, W, b = _random_problem(np.random.default_rng(features), 30, features)
        y_hat = linreg.forward(X, W, b)
        lessons = -(2 / len(y)) * np.sum((y - y_hat) * X)
        dW, _ = linreg.gradients(X, y_hat, y)
        assert np.allclose(dW, lessons, rtol=1e-12) == right


def test_tinygrad_lrs_gradient_goes_through_exactly_these_primitive_ops(applied_ops):
    X, y, W, b = _random_problem(np.random.default_rng(0))
    for dtype in (np.float64, np.float32):
        linreg.Tinygrad(W, b, dtype=dtype).gradients(X.astype(dtype), y)
    assert applied_ops == set(PRIMITIVES)


@pytest.mark.parametrize("name", PRIMITIVES)
def test_a_backward_rule_scaled_by_1_01_breaks_the_agreement(name, monkeypatch):
    """The comparison above is not of one formula with itself: break one rule, and it fails."""
    op = getattr(ops, name)
    original = op.__dict__["backward"].__func__

    def scaled(ctx, g):
        grads = original(ctx, g)
        if isinstance(grads, tuple):
            return tuple(None if x is None else x * 1.01 for x in grads)
        return grads * 1.01

    X, y, W, b = _random_problem(np.random.default_rng(1))
    dW, db = linreg.gradients(X, linreg.forward(X, W, b), y)
    monkeypatch.setattr(op, "backward", staticmethod(scaled))
    aW, ab = linreg.Tinygrad(W, b).gradients(X, y)
    assert not (np.allclose(aW, dW, rtol=1e-6) and np.allclose(ab, db, rtol=1e-6))


def test_targets_as_a_vector_or_a_column_give_the_same_gradient():
    """An (N,) target against (N, 1) predictions would broadcast to N × N errors; the models
    take either and compare columns."""
    X, y, W, b = _random_problem(np.random.default_rng(2))
    for make in IMPLEMENTATIONS:
        column, vector = make(W, b).gradients(X, y), make(W, b).gradients(X, y[:, 0])
        for a, v in zip(column, vector):
            np.testing.assert_array_equal(a, v)


def test_fit_refuses_targets_with_more_than_one_output():
    X, y, W, b = _random_problem(np.random.default_rng(3), outputs=2)
    with pytest.raises(ValueError, match="one target per row"):
        linreg.fit(linreg.HandDerived(W, b), X, y, 1)


# --- training three ways -----------------------------------------------------------------------
@pytest.mark.parametrize("number, tolerance", [(1, 1e-12), (2, 1e-5), (3, 1e-5)])
def test_the_three_implementations_agree_in_every_part(lesson, number, tolerance):
    part = lesson.parts[number - 1]
    assert [r.name for r in part.runs] == ["NumPy", "tinygrad_lr", "PyTorch"]
    dtype = np.float64 if number == 1 else np.float32
    reference_run, *others = part.runs
    for run in others:
        assert run.W.dtype == dtype and run.b.dtype == dtype
        np.testing.assert_allclose(run.losses, reference_run.losses, rtol=tolerance, atol=1e-14)
        np.testing.assert_allclose(run.W, reference_run.W, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(run.b, reference_run.b, rtol=tolerance, atol=tolerance)
    assert reference_run.losses[-1] < reference_run.losses[0] / 5


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_weight_decay_agrees_by_hand_tinygrad_lr_and_pytorch_in_float64(optimizer):
    X, y, W, b = _random_problem(np.random.default_rng(4))
    settings = dict(optimizer=optimizer, lr=0.05, weight_decay=0.3, dtype=np.float64)
    runs = [linreg.fit(make(W, b, **settings), X, y, 40) for make in IMPLEMENTATIONS]
    plain = linreg.fit(linreg.HandDerived(W, b, **dict(settings, weight_decay=0.0)), X, y, 40)
    for run in runs[1:]:
        np.testing.assert_allclose(run.losses, runs[0].losses, rtol=1e-12)
        np.testing.assert_allclose(run.W, runs[0].W, rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(run.b, runs[0].b, rtol=1e-11, atol=1e-13)
    assert np.abs(runs[0].W).sum() < np.abs(plain.W).sum()  # the decay pulls weights to zero


# --- the lesson's data, splits, weights and lines ----------------------------------------------
def test_the_data_splits_and_starting_weights_are_the_lessons(lesson):
    np.testing.assert_allclose(
        lesson.y[:5, 0],
        [-4.25441649, 12.16326313, 10.13183217, 24.06075751, 27.39927424],
        atol=1e-8,
    )
    np.testing.assert_array_equal(lesson.X[:, 0], np.arange(50))
    by_index, by_scikit_learn = lesson.parts[0].split, lesson.parts[1].split
    for split, test_mean, test_std in ((by_index, -0.6, 0.9), (by_scikit_learn, -0.5, 0.8)):
        assert split.sizes == {"train": 35, "val": 7, "test": 8}
        np.testing.assert_allclose(split.X_train.mean(), 0, atol=1e-12)
        np.testing.assert_allclose(split.y_train.std(), 1, rtol=1e-12)
        for values in (split.X_test, split.y_test):
            assert (round(values.mean(), 1), round(values.std(), 1)) == (test_mean, test_std)
    torch.manual_seed(linreg.SEED)
    torch.randn(3, 1)
    demo = torch.nn.Linear(1, 1)
    assert (f"{demo.weight.item():.2f}", f"{demo.bias.item():.2f}") == ("0.35", "-0.34")
    for part in lesson.parts[1:]:
        layer = torch.nn.Linear(1, 1)
        np.testing.assert_array_equal(part.initial[0], layer.weight.detach().numpy())
        np.testing.assert_array_equal(part.initial[1], layer.bias.detach().numpy())


def test_without_pytorch_tinygrad_lr_draws_the_same_starting_weights(monkeypatch):
    with_torch = linreg.initial_linears(linreg.SEED, 2)
    monkeypatch.setattr(train, "torch_or_none", lambda: None)
    assert linreg.implementations() == [linreg.HandDerived, linreg.Tinygrad]
    for (W, b), (W_tg, b_tg) in zip(with_torch, linreg.initial_linears(linreg.SEED, 2)):
        np.testing.assert_array_equal(W, W_tg)
        np.testing.assert_array_equal(b, b_tg)


def test_unscaled_weights_give_the_models_predictions_in_the_original_units():
    rng = np.random.default_rng(5)
    X_raw = rng.normal(20, 7, (40, 3))
    W, b = rng.standard_normal((2, 3)), rng.standard_normal(2)
    x_mean, x_std = X_raw.mean(axis=0), X_raw.std(axis=0)
    y_mean, y_std = np.array([3.0, -40.0]), np.array([2.0, 11.0])
    W_raw, b_raw = linreg.unscale(W, b, x_mean, x_std, y_mean, y_std)
    expected = linreg.forward((X_raw - x_mean) / x_std, W, b) * y_std + y_mean
    np.testing.assert_allclose(linreg.forward(X_raw, W_raw, b_raw), expected, rtol=1e-12)


def test_the_lessons_unscaling_is_right_for_one_output_and_wrong_for_two():
    rng = np.random.default_rng(6)
    stats = dict(x_mean=np.array([24.0]), x_std=np.array([14.0]))
    for outputs, right in ((1, True), (2, False)):
        W, b = rng.standard_normal((outputs, 1)), rng.standard_normal(outputs)
        y_stats = dict(y_mean=np.full(outputs, 90.0), y_std=np.full(outputs, 50.0))
        ours = linreg.unscale(W, b, **stats, **y_stats)
        lessons = linreg.lesson_unscale(W, b, **stats, **y_stats)
        np.testing.assert_allclose(lessons[0], ours[0], rtol=1e-14)
        assert np.allclose(lessons[1], ours[1], rtol=1e-12) == right


def test_the_fitted_lines_are_the_lessons(lesson):
    lines = [
        {linreg.line_text(*linreg.unscaled(run, part.split)) for run in part.runs}
        for part in lesson.parts
    ]
    assert lines == [{"y_hat = 3.4X + 7.8"}, {"y_hat = 3.4X + 7.4"}, {"y_hat = 3.4X + 7.9"}]


# --- the command -------------------------------------------------------------------------------
def _section(out: str, start: str, end: str) -> str:
    return out[out.index(start) : out.index(end)]


def _rows(section: str, label: str, values: list[str]) -> None:
    for value in values:
        assert re.search(rf"^{re.escape(label)}\s+{value}\s+{value}\s+{value}$", section, re.M), (
            label,
            value,
        )


def test_the_command_prints_the_notebooks_reproducible_figures(command_output):
    out, _ = command_output
    assert "First loss, at the lesson's demonstration weights (part 1's data): 0.99" in out
    part1 = _section(out, "Part 1,", "Part 2,")
    part2 = _section(out, "Part 2,", "Part 3,")
    part3 = _section(out, "Part 3,", "Unscaling:")
    published = ["0.990", "0.039"] + ["0.028"] * 8
    for epoch, value in zip(range(0, 100, 10), published):
        _rows(part1, str(epoch), [value])
    for epoch, value in zip(range(0, 100, 20), ["0.22", "0.03", "0.02", "0.02", "0.02"]):
        _rows(part2, str(epoch), [value])
    for section, (train_mse, test_mse) in ((part1, ("0.03", "0.01")), (part2, ("0.02", "0.01"))):
        _rows(section, "train MSE", [train_mse])
        _rows(section, "test MSE", [test_mse])
    _rows(part3, "train MSE", ["0.02"])
    _rows(part3, "test MSE", ["0.01"])
    for name in ("NumPy", "tinygrad_lr", "PyTorch"):
        assert re.search(rf"^{name}\s.*y_hat = 3\.4X \+ 7\.8$", part1, re.M)
        assert re.search(rf"^{name}\s.*y_hat = 3\.4X \+ 7\.4$", part2, re.M)
    assert re.search(r"^10\s+35\.73\s+41\.86\s+41\.86\s+41\.86$", part2, re.M)
    verdicts = [line.split(",")[0].split() for line in out.splitlines() if "reproduced  " in line]
    assert [v[0] for v in verdicts].count("reproduced") == 7
    assert "not reproduced  part 2, inference, X = 10, 15, 25: notebook 42.11 59.17 93.30" in out
    assert "not reproduced  part 2, unscaled line: notebook y_hat = 3.4X + 8.0" in out
    assert "not reproduced  part 3, loss, epochs 0, 20, …, 80: notebook 2.20" in out
    assert "gives the same line for its one feature and one output" in out


def test_the_command_writes_the_notebooks_pictures(command_output):
    out, folder = command_output
    names = ["data.png", "losses.png"] + [
        f"fit_part{part}_{name}.png"
        for part in (1, 2)
        for name in ("numpy", "tinygrad_lr", "pytorch")
    ]
    assert f"Pictures written to {folder}: " in out
    for name in names:
        path = folder / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
        image = matplotlib.image.imread(path)
        assert image.shape[0] > 200 and image[..., :3].std() > 0.05, f"{name} is blank"


def test_the_command_runs_each_lesson_for_its_own_epochs(tmp_path, monkeypatch):
    assert cli.LESSONS["linear-regression"] == linreg.NUM_EPOCHS
    assert cli.LESSONS["logistic-regression"] == 50
    calls = []
    monkeypatch.setattr(linreg, "run", lambda *args: calls.append(args) or 0)
    assert main(["lesson", "linear-regression", "--out", str(tmp_path)]) == 0
    assert calls == [(1234, 0.1, 100, tmp_path)]


def test_other_settings_say_there_is_no_comparison_with_the_notebook(tmp_path, capsys):
    assert main(["lesson", "linear-regression", "--epochs", "5", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Settings differ from the lesson's (seed 1234, lr 0.1, 100 epochs)" in out
    assert "reproduced" not in out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's overflow, which is the point
def test_a_diverged_training_is_status_1_and_never_a_difference_of_zero(tmp_path, capsys):
    assert main(["lesson", "linear-regression", "--lr", "1000", "--out", str(tmp_path)]) == 1
    part1 = _section(capsys.readouterr().out, "Part 1,", "Part 2,")
    assert "FAILED: the implementations' final weights cannot be compared: NaN in NumPy's" in part1
    assert "predictions: not comparable (NaN or inf: the training diverged)" in part1
    assert "e+00" not in part1


def test_an_unknown_lesson_name_is_one_line_and_status_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["lesson", "linear-regresion"])
    assert info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == (
        "tinygrad-lr lesson: error: argument LESSON: invalid choice: 'linear-regresion' "
        "(choose from 'logistic-regression', 'linear-regression', 'neural-networks')"
    )


def test_data_for_the_linear_lesson_is_one_line_and_status_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["lesson", "linear-regression", "--data", "lesson", "--out", str(tmp_path / "o")])
    assert info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("tinygrad-lr lesson: error: argument --data: the linear-regression")
    assert not (tmp_path / "o").exists()  # stopped before the --out folder


@pytest.mark.parametrize(
    "argv, expected",
    [
        ([], ("synthetic", 1234, 0.1, 50)),
        (["logistic-regression", "--epochs", "7"], ("synthetic", 1234, 0.1, 7)),
        (["--data", "x.csv", "--seed", "3"], ("x.csv", 3, 0.1, 50)),
    ],
)
def test_lesson_without_a_name_still_runs_the_logistic_lesson(
    argv, expected, tmp_path, monkeypatch
):
    calls = []
    monkeypatch.setattr(report, "run", lambda *args: calls.append(args) or 0)
    assert main(["lesson", *argv, "--out", str(tmp_path)]) == 0
    assert calls == [(*expected, tmp_path)]


# --- the script --------------------------------------------------------------------------------
def test_the_script_runs_top_to_bottom_and_its_three_loops_agree(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("NumPy", "tinygrad_lr", "PyTorch"):
        assert f"{name:12s} Epoch: 10, loss: 0.039" in out
        assert f"{name:12s} Epoch: 0 | loss: 0.22" in out
        assert f"{name:12s} [model] y_hat = 3.4X + 7.8" in out
        assert f"{name:12s} train_MSE: 0.03, test_MSE: 0.01" in out
    differences = re.findall(r"largest difference from the loops above: (\S+)", out)
    assert len(differences) == 3 and all(float(d) < 1e-12 for d in differences)
    for line in out.splitlines():
        if "largest difference from by hand" in line:
            assert float(line.rsplit(" ", 1)[1]) < 1e-9, line
