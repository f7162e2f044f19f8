"""The lesson runs end to end: the command, the parity check, the script and the notebook."""

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
RENDER = ROOT / "docs" / "render.py"
RENDERED = ROOT / "docs" / "logistic_regression.ipynb"
TEXTS = ("text/plain", "text/html", "image/svg+xml")  # outputs that could name a file
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


# --- the notebook -------------------------------------------------------------------------------
def _images(cell) -> list[str]:
    return [
        kind
        for output in cell.get("outputs", [])
        if output["output_type"] == "display_data"
        for kind in ("image/png", "image/svg+xml")
        if kind in output["data"]
    ]


def _text(notebook) -> str:
    return "".join(
        output.get("text", "") for cell in notebook.cells for output in cell.get("outputs", [])
    )


def _assert_pictures_are_drawn_inline(notebook) -> None:
    """Every cell that draws shows its picture, and every picture is there: the data, six
    decision boundaries (two parts, three implementations), the losses and the graph."""
    code = [c for c in notebook.cells if c.cell_type == "code"]
    draws = re.compile(r"^\s*(show\(fig|plot_decision_boundary\(|display\(SVG)", re.M)
    drawing = [c for c in code if draws.search(c.source)]
    assert len(drawing) >= 5
    for cell in drawing:
        assert _images(cell), f"no picture shown by the cell:\n{cell.source[:300]}"
    shown = [kind for cell in code for kind in _images(cell)]
    assert shown.count("image/png") == len(PICTURES)
    assert shown.count("image/svg+xml") == (1 if shutil.which("dot") else 0)


def _assert_the_three_training_loops_are_cells(notebook) -> None:
    code = [c.source for c in notebook.cells if c.cell_type == "code"]
    by_hand = next(s for s in code if "def train_by_hand(" in s)
    for line in ("for _epoch in range(epochs):", "gradients(X, y_hat, y", "update(W, dW"):
        assert line in by_hand
    autograd = next(
        s for s in code if "def train(lib, model, loss_fn, optimizer, X, y, epochs):" in s
    )
    for line in ("optimizer.zero_grad()", "loss.backward()", "optimizer.step()"):
        assert line in autograd
    calls = [s for s in code if "] = train(lib, model, loss_fn, optimizer," in s]
    assert len(calls) == 2  # part 1 and part 2, each once per library
    assert all("for name, lib in LIBRARIES.items():" in s for s in calls)
    assert "tinygrad_lr, epoch 40" in _text(notebook) and "PyTorch, epoch 40" in _text(notebook)


@pytest.fixture(scope="module")
def synthetic_notebook(tmp_path_factory):
    """The lesson script run as a notebook in a Jupyter kernel, on the synthetic data."""
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    out = tmp_path_factory.mktemp("notebook")
    notebook = jupytext.read(SCRIPT)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LESSON_OUT", str(out))
        env.delenv("TUMORS_CSV", raising=False)
        nbclient.NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(out)}},
        ).execute()
    return notebook, out


def test_lesson_script_runs_as_a_notebook_in_a_jupyter_kernel(synthetic_notebook):
    notebook, out = synthetic_notebook
    markdown = [c for c in notebook.cells if c.cell_type == "markdown"]
    assert len(markdown) >= 10 and any("$$" in c.source for c in markdown)
    assert "gradcheck: True" in _text(notebook)
    assert "No CSV given" in _text(notebook)
    for name in PICTURES:
        _assert_real_png(out / name)


def test_notebook_draws_its_pictures_inline(synthetic_notebook):
    _assert_pictures_are_drawn_inline(synthetic_notebook[0])


def test_notebook_shows_the_three_training_loops_in_its_cells(synthetic_notebook):
    _assert_the_three_training_loops_are_cells(synthetic_notebook[0])


# --- the rendered copy, docs/logistic_regression.ipynb -------------------------------------------
def _assert_rendered(notebook) -> None:
    """An executed copy of the current lesson on the original CSV: same cells as the script,
    every code cell run without error, the pictures inline, the published figures."""
    jupytext = pytest.importorskip("jupytext")
    lesson = jupytext.read(SCRIPT)
    assert [(c.cell_type, c.source) for c in notebook.cells] == [
        (c.cell_type, c.source) for c in lesson.cells
    ], "the rendered notebook is out of date: run `python docs/render.py`"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    assert not [o for c in code for o in c.outputs if o["output_type"] == "error"]
    _assert_pictures_are_drawn_inline(notebook)
    _assert_the_three_training_loops_are_cells(notebook)
    _assert_every_compared_figure_is_the_lesson_s(_text(notebook))
    shown = [c.source for c in notebook.cells] + [
        text
        for c in code
        for o in c.outputs
        for text in [o.get("text", ""), *(o.get("data", {}).get(k, "") for k in TEXTS)]
    ]
    machine_paths = re.compile(r"/tmp/|/home/|/root/|/work/|/Users/|[A-Z]:\\Users")
    assert not [text for text in shown if machine_paths.search(text)]


def test_the_rendered_notebook_is_up_to_date():
    nbformat = pytest.importorskip("nbformat")
    _assert_rendered(nbformat.read(RENDERED, as_version=4))


def test_render_script_executes_the_lesson_on_the_original_csv(tmp_path, tumors_csv):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    target = tmp_path / "rendered.ipynb"
    result = subprocess.run(
        [sys.executable, str(RENDER), "--data", str(tumors_csv), "--out", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "Figures of the lesson's notebook reproduced" in result.stdout
    _assert_rendered(nbformat.read(target, as_version=4))


def test_render_script_explains_a_missing_csv(tmp_path):
    result = subprocess.run(
        [sys.executable, str(RENDER), "--data", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no tumour CSV at" in result.stderr and "nope.csv" in result.stderr
    assert "--data PATH or set TUMORS_CSV" in result.stderr
