"""The neural-networks lesson: the hand-derived network, tinygrad_lr's autograd and PyTorch agree,
epoch by epoch and gradient by gradient; the command prints the notebook's figures on its CSV;
the command runs on the offline spirals; the script runs top to bottom."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import torch

from tinygrad_lr.cli import main
from tinygrad_lr.lesson import data, reference
from tinygrad_lr.lesson import neural_networks as nn_lesson

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "lessons" / "neural_networks.py"
IMPLEMENTATIONS = [nn_lesson.HandDerived, nn_lesson.Tinygrad, nn_lesson.Torch]


@pytest.fixture(scope="module")
def lesson():
    return nn_lesson.run_lesson("synthetic")


def _command(argv: list[str], out: Path) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tinygrad_lr",
            "lesson",
            "neural-networks",
            *argv,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _problem(seed: int, hidden: int = 7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((20, 2))
    y = rng.integers(0, 3, 20)
    params = (
        rng.standard_normal((hidden, 2)),
        rng.standard_normal(hidden) * 0.5,
        rng.standard_normal((3, hidden)),
        rng.standard_normal(3) * 0.5,
    )
    return X, y, params


def _loss(X, y, params, class_weight, relu):
    logits = nn_lesson.forward(X, params, relu)[1]
    return reference.loss(reference.softmax(logits), y, class_weight)


def _central_differences(X, y, params, class_weight, relu, h=1e-6):
    grads = []
    for i, p in enumerate(params):
        grad = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            shifted = [q.copy() for q in params]
            shifted[i][index] += h
            up = _loss(X, y, shifted, class_weight, relu)
            shifted[i][index] -= 2 * h
            grad[index] = (up - _loss(X, y, shifted, class_weight, relu)) / (2 * h)
        grads.append(grad)
    return grads


# --- the gradients -----------------------------------------------------------------------------
@pytest.mark.parametrize("relu", [True, False], ids=["relu", "linear"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "class-weighted"])
def test_hand_derived_gradients_equal_autograd_pytorch_and_central_differences(relu, weighted):
    X, y, params = _problem(1)
    class_weight = np.array([0.2, 0.5, 0.3]) if weighted else None
    settings = dict(relu=relu, class_weight=class_weight, dtype=np.float64)
    by_hand, autograd, pytorch = (
        make(params, **settings).gradients(X, y) for make in IMPLEMENTATIONS
    )
    numeric = _central_differences(X, y, params, class_weight, relu)
    for name, hand, tg_grad, torch_grad, num in zip(
        ("dW1", "db1", "dW2", "db2"), by_hand, autograd, pytorch, numeric
    ):
        assert hand.shape == tg_grad.shape == torch_grad.shape, name
        np.testing.assert_allclose(tg_grad, hand, rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(torch_grad, hand, rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(num, hand, rtol=1e-6, atol=1e-8, err_msg=name)


def test_a_wrong_relu_mask_is_caught_by_the_autograd_comparison():
    X, y, params = _problem(2)
    z1 = nn_lesson.forward(X, params)[0]
    assert (z1 > 0).any() and (z1 <= 0).any()  # both sides of the kink are exercised
    right = nn_lesson.gradients(X, y, params)[0]
    autograd = nn_lesson.Tinygrad(params).gradients(X, y)[0]
    linear = nn_lesson.gradients(X, y, params, relu=False)[0]  # the mask left out
    np.testing.assert_allclose(autograd, right, rtol=1e-12, atol=1e-14)
    assert not np.allclose(autograd, linear, rtol=1e-3)


# --- training, three ways ----------------------------------------------------------------------
def test_the_three_implementations_agree_every_epoch_in_every_part(lesson):
    for part in lesson.parts:
        assert [r.name for r in part.runs] == ["NumPy", "tinygrad_lr", "PyTorch"]
        float64 = part.settings["dtype"] == np.float64
        tolerance = 1e-12 if float64 else 1e-5
        first, *others = part.runs
        for run in others:
            np.testing.assert_allclose(run.losses, first.losses, rtol=tolerance, atol=0)
            assert run.accuracies == first.accuracies, (part.number, run.name)
            for mine, theirs in zip(run.model.weights(), first.model.weights()):
                assert mine.dtype == part.settings["dtype"]
                np.testing.assert_allclose(mine, theirs, rtol=0, atol=10 * tolerance)


def test_the_linear_model_fails_and_the_networks_learn_the_spirals(lesson):
    linear, numpy_net, torch_net = lesson.parts
    assert max(linear.runs[0].accuracies) < 0.7
    assert numpy_net.runs[0].accuracies[-1] > 0.95
    assert torch_net.runs[0].accuracies[-1] > 0.9


def test_every_part_starts_from_the_lessons_draws(lesson):
    torch.manual_seed(nn_lesson.SEED)
    for part in (lesson.parts[0], lesson.parts[2]):
        fc1, fc2 = torch.nn.Linear(2, 100), torch.nn.Linear(100, 3)
        for mine, layer in zip(part.initial, (fc1.weight, fc1.bias, fc2.weight, fc2.bias)):
            np.testing.assert_array_equal(mine, layer.detach().numpy())
    W1, b1, W2, b2 = lesson.parts[1].initial
    assert W1.shape == (100, 2) and W2.shape == (3, 100)
    assert not b1.any() and not b2.any() and 0.005 < W1.std() < 0.015


def test_the_offline_spirals_are_the_csvs_recipe(spiral_csv):
    df = data.load_spiral(spiral_csv)
    made = data.make_spiral(nn_lesson.SEED)
    assert list(made["color"]) == list(df["color"])
    np.testing.assert_allclose(made[["X1", "X2"]].values, df[["X1", "X2"]].values, atol=1e-12)


# --- the command -------------------------------------------------------------------------------
def test_the_command_prints_the_notebooks_figures_on_its_csv(spiral_csv, tmp_path):
    out = _command(["--data", str(spiral_csv)], tmp_path)
    linear = [
        "Epoch: 0 | loss: 1.13, accuracy: 49.9",
        "Epoch: 2 | loss: 0.79, accuracy: 55.3",
        "Epoch: 9 | loss: 0.78, accuracy: 53.9",
    ]
    numpy_net = [
        "Epoch: 0, loss: 1.099, accuracy: 0.349",
        "Epoch: 500, loss: 0.076, accuracy: 0.986",
        "Epoch: 900, loss: 0.041, accuracy: 0.995",
    ]
    torch_net = [
        "Epoch: 0 | loss: 1.11, accuracy: 24.3",
        "Epoch: 50 | loss: 0.22, accuracy: 93.4",
        "Epoch: 90 | loss: 0.11, accuracy: 97.7",
        "The probability that you have c1 is 92%",
    ]
    for name in ("NumPy", "tinygrad_lr", "PyTorch"):
        for figure in linear + numpy_net + torch_net:
            assert f"{name:12s} {figure}" in out, (name, figure)
    assert "X_train: (1050, 2), X_val: (225, 2), X_test: (225, 2)" in out
    assert "overall: precision 0.9956, recall 0.9956, f1 0.9956" in out  # the NumPy network's
    assert "overall: precision 0.9913, recall 0.9911, f1 0.9911" in out  # the PyTorch one's
    assert out.count("\nreproduced ") == len(nn_lesson.PUBLISHED)


def test_the_command_runs_on_the_offline_spirals_and_draws_the_boundaries(tmp_path, no_network):
    assert main(["lesson", "neural-networks", "--out", str(tmp_path)]) == 0
    for part in (1, 2, 3):
        for name in ("numpy", "tinygrad_lr", "pytorch"):
            image = matplotlib.image.imread(tmp_path / f"boundary_part{part}_{name}.png")
            assert image.shape[0] > 200 and image[..., :3].std() > 0.05


def test_epochs_for_the_neural_networks_lesson_is_one_line_and_status_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["lesson", "neural-networks", "--epochs", "5", "--out", str(tmp_path / "o")])
    assert info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("tinygrad-lr lesson: error: argument --epochs: the neural-networks")
    assert not (tmp_path / "o").exists()


# --- the script --------------------------------------------------------------------------------
def test_the_script_runs_top_to_bottom(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "SPIRAL_CSV": ""},
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    differences = [
        float(line.rsplit(" ", 1)[1])
        for line in result.stdout.splitlines()
        if "largest difference from by hand" in line
    ]
    assert len(differences) >= 8 and max(differences) < 1e-12
    assert "The probability that you have" in result.stdout
    package = [
        float(line.rsplit(" ", 1)[1])
        for line in result.stdout.splitlines()
        if "largest loss difference from the loops above" in line
    ]
    assert len(package) == 3 and max(package) == 0


@pytest.mark.parametrize("option", [["--epochs", "5"], ["--lr", "0.5"]])
def test_settings_the_lesson_fixes_are_refused_in_one_line_not_ignored(option, tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["lesson", "neural-networks", *option, "--out", str(tmp_path)])
    assert info.value.code == 2
    assert f"argument {option[0]}: the neural-networks lesson" in capsys.readouterr().err


def test_a_missing_spiral_file_is_one_line_and_status_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(
            [
                "lesson",
                "neural-networks",
                "--data",
                str(tmp_path / "nope.csv"),
                "--out",
                str(tmp_path),
            ]
        )
    assert info.value.code == 2
    assert "cannot read the spiral CSV" in capsys.readouterr().err.strip().splitlines()[-1]


def test_the_script_prints_the_notebooks_figures_from_its_own_loops_on_the_csv(
    spiral_csv, tmp_path
):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(spiral_csv)],
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg", "SPIRAL_CSV": ""},
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    for figure in (
        "Epoch: 0 | loss: 1.13, accuracy: 49.9",
        "Epoch: 9 | loss: 0.78, accuracy: 53.9",
        "Epoch: 0, loss: 1.099, accuracy: 0.349",
        "Epoch: 900, loss: 0.041, accuracy: 0.995",
        "Epoch: 0 | loss: 1.11, accuracy: 24.3",
        "Epoch: 90 | loss: 0.11, accuracy: 97.7",
    ):
        assert lines.count(figure) == 3, figure  # by hand, tinygrad_lr, PyTorch
    assert result.stdout.count("The probability that you have c1 is 92%") == 3
    assert "Part 3: largest loss difference from the loops above: 0.0e+00" in lines
