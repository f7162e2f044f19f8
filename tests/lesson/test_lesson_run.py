"""The lesson runs end to end: the command, the parity check and the script (the notebook:
test_notebooks.py)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.lesson import parity, train

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "lessons" / "logistic_regression.py"
PICTURES = ["dataset.png", "losses.png"] + [
    f"boundary_part{part}_{name}.png"
    for part in (1, 2)
    for name in ("numpy", "tinygrad_lr", "pytorch")
]


def _assert_real_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 200
    assert image[..., :3].std() > 0.05, f"{path.name} is blank"  # something was drawn


def test_lesson_command_prints_the_three_way_table_and_writes_pictures(tmp_path, capsys):
    assert main(["lesson", "--out", str(tmp_path), "--epochs", "30"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "train   700",
        "Class weights",
        "NumPy loss",
        "tinygrad_lr loss",
        "PyTorch loss",
        "Largest difference",
        "precision",
        "Inference for",
        "b_raw",
    ):
        assert expected in out
    for name in PICTURES:
        _assert_real_png(tmp_path / name)


def test_lesson_command_runs_without_pytorch(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(train, "torch_or_none", lambda: None)
    assert main(["lesson", "--out", str(tmp_path), "--epochs", "10"]) == 0
    out = capsys.readouterr().out
    assert "PyTorch loss" not in out
    assert "PyTorch is not installed: its column is left out" in out
    assert (tmp_path / "boundary_part2_tinygrad_lr.png").is_file()
    assert not (tmp_path / "boundary_part2_pytorch.png").exists()


def test_lesson_command_prints_the_published_figures_from_the_original_csv(
    tmp_path, capsys, tumors_csv
):
    assert main(["lesson", "--data", str(tumors_csv), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    part1, part2 = out.split("Part 1")[1].split("Part 2")
    for epoch, value in zip((0, 10, 20, 30, 40), ("0.684", "0.446", "0.349", "0.297", "0.263")):
        row = next(line for line in part1.splitlines() if line.startswith(f"{epoch} "))
        assert row.split()[1::2] == [value] * 3
    for epoch, value in zip((0, 10, 20, 30, 40), ("0.96", "0.28", "0.15", "0.12", "0.10")):
        row = next(line for line in part2.splitlines() if line.startswith(f"{epoch} "))
        assert row.split()[1::2] == [value] * 3
    assert (
        next(line for line in part1.splitlines() if line.startswith("test acc")).split()[2:]
        == ["0.97"] * 3
    )
    assert (
        next(line for line in part2.splitlines() if line.startswith("test acc")).split()[2:]
        == ["0.98"] * 3
    )
    assert out.count("benign (93%)") == 3


def test_lesson_command_explains_a_missing_data_file_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["lesson", "--data", str(tmp_path / "nope.csv"), "--out", str(tmp_path)])
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument --data: no file" in error and "nope.csv" in error


def test_parity_command_passes_and_shows_five_sources(capsys):
    assert main(["parity", "--epochs", "20"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("parameter"))
    assert header.split()[1:] == [
        "hand-derived",
        "autograd",
        "fused",
        "PyTorch",
        "central",
        "diff.",
    ]
    assert "float32, class-weighted" in out
    assert "66 of 66 checks within tolerance" in out
    assert "FAILED" not in out


def test_parity_command_exits_non_zero_when_a_difference_is_over_tolerance(capsys, monkeypatch):
    monkeypatch.setitem(parity.ANALYTIC_TOL, "float32", 1e-20)
    assert main(["parity", "--epochs", "5"]) == 1
    out = capsys.readouterr().out
    assert "OVER" in out
    assert "FAILED: gradients, autograd vs PyTorch, float32, unweighted cross-entropy" in out


def test_graph_command_prints_the_trace_and_draws(tmp_path, capsys):
    assert main(["graph", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "MatMul" in out and "dW = Xᵀ(ŷ − y)/N" in out
    gap = float(out.split("largest difference ")[1].split(".\n")[0].rstrip("."))
    assert gap < 1e-15
    drawn = tmp_path / ("graph.svg" if shutil.which("dot") else "graph.dot")
    assert drawn.is_file() and drawn.stat().st_size > 1000


def test_commands_explain_themselves():
    for command in ("lesson", "parity"):
        result = subprocess.run(
            [sys.executable, "-m", "tinygrad_lr", command, "--help"], capture_output=True, text=True
        )
        assert result.returncode == 0
        assert "--data" in result.stdout and "synthetic" in result.stdout


def _run_script(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the lesson script as a new user would, pictures going to `tmp_path`."""
    env = {**os.environ, "LESSON_OUT": str(tmp_path), "MPLBACKEND": "Agg", **(env or {})}
    env.pop("TUMORS_CSV", None)
    result = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_lesson_script_runs_top_to_bottom_as_a_script(tmp_path):
    result = _run_script(tmp_path)
    out = result.stdout
    assert "gradcheck: True" in out
    assert out.count("Largest difference between the implementations' final weights") == 2
    for name in PICTURES:
        _assert_real_png(tmp_path / name)
    # synthetic data, said so, with what the published figures need; nothing compared
    assert "No CSV given" in out and "For the lesson's published figures" in out
    assert "No figure was compared with the lesson's notebook" in out
    assert "[same as" not in out and "DIFFERS" not in out


def test_lesson_script_says_what_it_skips_without_pytorch(tmp_path):
    hidden = tmp_path / "no_torch" / "torch"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("hidden for this test")\n')
    paths = [str(hidden.parent), os.environ.get("PYTHONPATH", "")]
    result = _run_script(tmp_path, env={"PYTHONPATH": os.pathsep.join(filter(None, paths))})
    out = result.stdout
    assert "PyTorch is not installed: the PyTorch runs below are skipped" in out
    assert "pip install torch==2.13.0" in out
    assert "PyTorch, epoch" not in out and "tinygrad_lr, epoch 40" in out
    assert out.count("Largest difference between the implementations' final weights") == 2
    assert (tmp_path / "boundary_part2_tinygrad_lr.png").is_file()
    assert not (tmp_path / "boundary_part2_pytorch.png").exists()


def test_lesson_script_prints_the_published_figures_from_the_original_csv(tmp_path, tumors_csv):
    result = _run_script(tmp_path, str(tumors_csv))
    for epoch, sgd, adam in zip(
        (0, 10, 20, 30, 40),
        ("0.684", "0.446", "0.349", "0.297", "0.263"),
        ("0.96", "0.28", "0.15", "0.12", "0.10"),
    ):
        lines = [
            line for line in result.stdout.splitlines() if line.startswith(f"Epoch: {epoch:2d}")
        ]
        assert len(lines) == 2
        for name in ("NumPy", "tinygrad_lr", "PyTorch"):
            assert f"{name}: loss {sgd}," in lines[0]
            assert f"{name}: loss {adam}," in lines[1]
    assert result.stdout.count("test acc 0.97") == 3
    assert result.stdout.count("test acc 0.98") == 3
    assert result.stdout.count("is benign is 93%") == 3
    _assert_every_compared_figure_is_the_lesson_s(result.stdout)


def _assert_every_compared_figure_is_the_lesson_s(text: str) -> None:
    """Every figure printed beside the lesson notebook's is equal to it, and there are many."""
    assert "DIFFERS" not in text and "[not compared]" not in text
    same, total = map(int, re.search(r"reproduced: (\d+) of (\d+)", text).groups())
    assert same == total == text.count("[same as the lesson's notebook]") >= 50
