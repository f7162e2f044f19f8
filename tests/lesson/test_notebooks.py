"""The three lessons' notebooks: each runs top to bottom in a Jupyter kernel from its `lessons/`
source on data made offline, shows its pictures inline (image outputs, not file paths) and its
three training loops as code in its cells; the rendered copies in `docs/` are executed copies of
the current sources on the original data, and `docs/render.py` makes them."""

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import matplotlib.image
import pytest

jupytext = pytest.importorskip("jupytext")
nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[2]
RENDER = ROOT / "docs" / "render.py"
DATA_VARIABLES = ("TUMORS_CSV", "SPIRAL_CSV")  # where the notebooks look for the original CSVs
TEXTS = ("text/plain", "text/html", "image/svg+xml")  # outputs that could name a file
MACHINE_PATHS = re.compile(r"/tmp/|/home/|/root/|/work/|/Users/|[A-Z]:\\Users")
LIBRARY_LOOP = "for name, lib in LIBRARIES.items():"


@dataclass(frozen=True)
class Notebook:
    """What one lesson's notebook must show."""

    data: str | None  # the fixture that finds its original CSV (None: it makes its own data)
    pictures: int  # the PNG pictures it shows inline (and the graph's SVG when `svg`)
    draws: str  # matches the code cells that draw a picture
    loops: dict[str, tuple[str, ...]]  # a cell that writes a training loop → lines it holds
    calls: tuple[str, int]  # the PyTorch-style loop's call, and how many cells make it
    offline: tuple[str, ...]  # printed on the data made offline
    original: tuple[str, ...]  # printed on the original data (regular expressions)
    absent: tuple[str, ...] = ()  # never printed on the original data
    files: tuple[str, ...] = ()  # pictures it also writes to LESSON_OUT
    svg: bool = False


LOGISTIC_PICTURES = (
    "dataset.png",
    "losses.png",
    *(
        f"boundary_part{n}_{name}.png"
        for n in (1, 2)
        for name in ("numpy", "tinygrad_lr", "pytorch")
    ),
)
PYTORCH_STYLE = ("optimizer.zero_grad()", "loss.backward()", "optimizer.step()")
NOTEBOOKS = {
    "logistic_regression": Notebook(
        data="tumors_csv",
        pictures=len(LOGISTIC_PICTURES),
        svg=True,
        draws=r"^\s*(show\(fig|plot_decision_boundary\(|display\(SVG)",
        loops={
            "def train_by_hand(": (
                "for _epoch in range(epochs):",
                "gradients(X, y_hat, y",
                "update(W, dW",
            ),
            "def train(lib, model, loss_fn, optimizer, X, y, epochs):": PYTORCH_STYLE,
        },
        calls=("] = train(lib, model, loss_fn, optimizer,", 2),  # part 1 and part 2
        offline=("gradcheck: True", "No CSV given", "tinygrad_lr, epoch 40", "PyTorch, epoch 40"),
        original=(
            "tinygrad_lr, epoch 40",
            "PyTorch, epoch 40",
            # every figure compared with the lesson's notebook is the same, and there are many
            r"Figures of the lesson's notebook reproduced: ([5-9]\d|\d{3,}) of \1\n",
        ),
        absent=("DIFFERS", "[not compared]"),
        files=LOGISTIC_PICTURES,
    ),
    "linear_regression": Notebook(
        data=None,
        pictures=4,  # the data, part 1's and part 2's fit, the losses
        draws=r"^plt\.show\(\)",
        loops={
            "for epoch_num in range(NUM_EPOCHS):": (
                "linreg.gradients(s1.X_train, y_pred, s1.y_train)",
                "W -= LEARNING_RATE * dW",
            ),
            "def train_by_hand_adam(": (
                "linreg.gradients(X_train, y_pred, y_train)",
                "reference.adam_update(",
            ),
            "def train_autograd(lib, model, split, optimizer, every, line, dtype):": PYTORCH_STYLE,
        },
        calls=("] = train_autograd(", 3),  # parts 1, 2 and 3
        offline=(
            "tinygrad_lr  Epoch: 10, loss: 0.039",
            "PyTorch      Epoch: 10, loss: 0.039",
            "reproduced      part 1, unscaled line: y_hat = 3.4X + 7.8",
        ),
        original=(re.escape("reproduced      part 1, unscaled line: y_hat = 3.4X + 7.8"),),
    ),
    "neural_networks": Notebook(
        data="spiral_csv",
        pictures=3,  # the spirals, the NumPy network's and the PyTorch network's boundaries
        draws=r"^plt\.show\(\)",
        loops={
            "def train_by_hand(": (
                "dZ2 =",
                "dW2 =",
                "db2 =",
                "dA1 =",
                "dZ1 = dA1 * (Z1 > 0)",
                "dW1 =",
                "db1 =",
            ),
            "def train(lib, model, loss_fn, optimizer": PYTORCH_STYLE,
        },
        calls=("] = train(", 3),  # the linear model, the NumPy network, the PyTorch network
        offline=(
            "The probability that you have",
            "Part 3: largest loss difference from the loops above: 0.0e+00",
        ),
        original=tuple(
            map(
                re.escape,
                (
                    "Epoch: 0 | loss: 1.13, accuracy: 49.9",
                    "Epoch: 900, loss: 0.041, accuracy: 0.995",
                    "PyTorch      The probability that you have c1 is 92%",
                    "Part 3: largest loss difference from the loops above: 0.0e+00",
                ),
            )
        ),
    ),
}


def _code(notebook) -> list:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _text(notebook) -> str:
    return "".join(o.get("text", "") for cell in _code(notebook) for o in cell.get("outputs", []))


def _images(cell) -> list[str]:
    return [
        kind
        for output in cell.get("outputs", [])
        if output["output_type"] == "display_data"
        for kind in ("image/png", "image/svg+xml")
        if kind in output["data"]
    ]


def _assert_ran_top_to_bottom(notebook) -> None:
    code = _code(notebook)
    assert all(cell.execution_count for cell in code)
    errors = [o for cell in code for o in cell.outputs if o["output_type"] == "error"]
    assert not errors, errors[0]


def _assert_pictures_are_inline(lesson: str, notebook) -> None:
    """Every cell that draws shows its picture as an image output, and every picture is
    there."""
    spec = NOTEBOOKS[lesson]
    draws = re.compile(spec.draws, re.M)
    drawing = [cell for cell in _code(notebook) if draws.search(cell.source)]
    assert drawing
    for cell in drawing:
        assert _images(cell), f"no picture shown by the cell:\n{cell.source[:300]}"
    shown = [kind for cell in _code(notebook) for kind in _images(cell)]
    assert shown.count("image/png") == spec.pictures
    graph = spec.svg and shutil.which("dot") is not None
    assert shown.count("image/svg+xml") == (1 if graph else 0)


def _assert_the_training_loops_are_cells(lesson: str, notebook) -> None:
    """The loop by hand and the PyTorch-style loop are written in the cells (not the package's
    `train.fit`), and the PyTorch-style one is run with each library."""
    spec = NOTEBOOKS[lesson]
    sources = [cell.source for cell in _code(notebook)]
    for start, lines in spec.loops.items():
        cells = [source for source in sources if start in source]
        assert len(cells) == 1, start
        for line in lines:
            assert line in cells[0], (start, line)
    call, count = spec.calls
    calls = [source for source in sources if call in source]
    assert len(calls) == count
    assert all(LIBRARY_LOOP in source for source in calls)
    assert "train.fit" not in "\n".join(sources)


def _assert_rendered(lesson: str, notebook) -> None:
    """An executed copy of the current lesson on its original data: the same cells as the
    source, every code cell run without error, the pictures inline, the published figures, and
    no path of the machine it ran on."""
    source = jupytext.read(ROOT / "lessons" / f"{lesson}.py")
    assert [(c.cell_type, c.source) for c in notebook.cells] == [
        (c.cell_type, c.source) for c in source.cells
    ], f"the rendered notebook is out of date: run `python docs/render.py {lesson}`"
    _assert_ran_top_to_bottom(notebook)
    _assert_pictures_are_inline(lesson, notebook)
    _assert_the_training_loops_are_cells(lesson, notebook)
    text = _text(notebook)
    spec = NOTEBOOKS[lesson]
    for pattern in spec.original:
        assert re.search(pattern, text), pattern
    for absent in spec.absent:
        assert absent not in text
    shown = [c.source for c in notebook.cells] + [
        text
        for cell in _code(notebook)
        for o in cell.outputs
        for text in [o.get("text", ""), *(o.get("data", {}).get(k, "") for k in TEXTS)]
    ]
    assert not [text for text in shown if MACHINE_PATHS.search(text)]


# --- each notebook, executed from its source on data made offline -------------------------------
@pytest.fixture(scope="module", params=list(NOTEBOOKS))
def offline(request, tmp_path_factory):
    """The lesson's script run as a notebook in a Jupyter kernel, with no original CSV."""
    lesson = request.param
    out = tmp_path_factory.mktemp(lesson)
    notebook = jupytext.read(ROOT / "lessons" / f"{lesson}.py")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LESSON_OUT", str(out))
        for variable in DATA_VARIABLES:
            env.delenv(variable, raising=False)
        nbclient.NotebookClient(
            notebook,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(out)}},
        ).execute()
    return lesson, notebook, out


def test_each_notebook_runs_top_to_bottom_on_data_made_offline(offline):
    lesson, notebook, out = offline
    _assert_ran_top_to_bottom(notebook)
    markdown = [cell for cell in notebook.cells if cell.cell_type == "markdown"]
    assert len(markdown) >= 5 and any("$$" in cell.source for cell in markdown)
    text = _text(notebook)
    for expected in NOTEBOOKS[lesson].offline:
        assert expected in text, expected
    for name in NOTEBOOKS[lesson].files:
        path = out / name
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
        assert matplotlib.image.imread(path)[..., :3].std() > 0.05, f"{name} is blank"


def test_each_notebook_shows_its_pictures_inline(offline):
    lesson, notebook, _ = offline
    _assert_pictures_are_inline(lesson, notebook)


def test_each_notebook_shows_its_training_loops_as_code_in_cells(offline):
    lesson, notebook, _ = offline
    _assert_the_training_loops_are_cells(lesson, notebook)


# --- the rendered copies, docs/<lesson>.ipynb ----------------------------------------------------
@pytest.mark.parametrize("lesson", list(NOTEBOOKS))
def test_the_rendered_notebook_is_up_to_date(lesson):
    _assert_rendered(lesson, nbformat.read(ROOT / "docs" / f"{lesson}.ipynb", as_version=4))


@pytest.mark.parametrize("lesson", list(NOTEBOOKS))
def test_render_script_executes_the_lesson_on_its_original_data(lesson, request, tmp_path):
    data = NOTEBOOKS[lesson].data
    options = []
    if data is not None:  # skips, saying why, where the original CSV is absent
        option = "--tumors" if data == "tumors_csv" else "--spiral"
        options = [option, str(request.getfixturevalue(data))]
    result = subprocess.run(
        [sys.executable, str(RENDER), lesson, *options, "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k not in DATA_VARIABLES},
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert f"wrote {(tmp_path / f'{lesson}.ipynb').resolve()}" in result.stdout
    if lesson == "logistic_regression":
        assert "Figures of the lesson's notebook reproduced" in result.stdout
    _assert_rendered(lesson, nbformat.read(tmp_path / f"{lesson}.ipynb", as_version=4))


def test_render_script_explains_a_missing_csv(tmp_path):
    result = subprocess.run(
        [sys.executable, str(RENDER), "--tumors", str(tmp_path / "nope.csv")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no tumour CSV at" in result.stderr and "nope.csv" in result.stderr
    assert "--tumors PATH or set TUMORS_CSV" in result.stderr
    assert "wrote" not in result.stdout  # nothing rendered before the CSVs were all found
