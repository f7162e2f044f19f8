"""Run the lesson notebooks and keep copies with their outputs: docs/<lesson>.ipynb.

From the project root:

    python docs/render.py [LESSON ...] [--tumors PATH] [--spiral PATH] [--out-dir DIR]

Each lesson (`lessons/<lesson>.py`, a jupytext script; all three when none is named) is executed
in a fresh Jupyter kernel and written with its outputs and every picture inline, so that a
learner can read it on the web without running anything. The copies show the published figures
beside their own, so each lesson runs on its original data: logistic_regression on the lesson's
tumors.csv, neural_networks on its spiral.csv (linear_regression makes its own). A CSV is found
as the tests find it: the option, else the environment variable (`TUMORS_CSV`, `SPIRAL_CSV`),
else `../shared/data/` beside the project; every one is looked for before anything runs. Each
lesson runs in a temporary folder that holds a copy of its CSV, so the outputs name files
relative to it and never a path of this machine. With nbconvert installed, an HTML copy is
written beside each notebook too.

Needs jupytext, nbclient and ipykernel (the project's `test` extra).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import jupytext
import nbclient
import nbformat

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ("logistic_regression", "linear_regression", "neural_networks")
SHARED_DATA = ROOT.parent / "shared" / "data"
# lesson → (its original data file, the variable its notebook reads the path from, the option
# that names it here, what it holds)
DATA = {
    "logistic_regression": ("tumors.csv", "TUMORS_CSV", "tumors", "tumour"),
    "neural_networks": ("spiral.csv", "SPIRAL_CSV", "spiral", "spiral"),
}
# the line of a lesson's output that sums up how many published figures it reproduced
SUMMARY = {"logistic_regression": "Figures of the lesson's notebook reproduced"}
TIMEOUT = 600  # seconds for one cell


def find_csv(lesson: str, chosen: str | None) -> Path:
    """The lesson's CSV: `chosen`, else its environment variable, else the copy beside the
    project."""
    name, variable, option, what = DATA[lesson]
    candidate = chosen or os.environ.get(variable)
    path = Path(candidate) if candidate else SHARED_DATA / name
    if not path.is_file():
        where = candidate or f"../shared/data/{name} beside the project"
        raise SystemExit(
            f"render.py: no {what} CSV at {where}. The rendered copy of {lesson} shows the "
            f"lesson's published figures, so it runs on the lesson's {name}: pass --{option} "
            f"PATH or set {variable}."
        )
    return path


def execute(lesson: str, csv: Path | None) -> nbformat.NotebookNode:
    """The lesson as a notebook, executed in a fresh kernel inside a temporary folder that
    holds a copy of its CSV, named by its environment variable relative to that folder."""
    notebook = jupytext.read(ROOT / "lessons" / f"{lesson}.py")
    variables = {variable: None for _, variable, _, _ in DATA.values()}  # none leaks a path
    variables["LESSON_OUT"] = "lesson_output"
    with tempfile.TemporaryDirectory() as folder:
        if csv is not None:
            name, variable, _, _ = DATA[lesson]
            shutil.copy(csv, Path(folder) / name)
            variables[variable] = name
        saved = {key: os.environ.get(key) for key in variables}
        _set_environment(variables)
        try:
            nbclient.NotebookClient(
                notebook,
                timeout=TIMEOUT,
                kernel_name="python3",
                resources={"metadata": {"path": folder}},
            ).execute()
        finally:
            _set_environment(saved)
    # random cell ids and start and end times would change the file on every run
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
        cell.metadata.pop("execution", None)
    return notebook


def _set_environment(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def write_html(notebook: nbformat.NotebookNode, path: Path) -> Path | None:
    """An HTML copy, when nbconvert is installed; None otherwise."""
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        return None
    body, _ = HTMLExporter().from_notebook_node(notebook)
    path.write_text(body, encoding="utf-8")
    return path


def summary(lesson: str, notebook: nbformat.NotebookNode) -> str:
    """The lesson's line that counts the published figures it reproduced, if it prints one."""
    start = SUMMARY.get(lesson)
    lines = [
        line
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        for line in output.get("text", "").splitlines()
        if start and line.startswith(start)
    ]
    return f": {lines[0]}" if lines else ""


def shown(path: Path) -> str:
    """`path` relative to the project when it is inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "lessons",
        nargs="*",
        metavar="LESSON",
        help=f"the lessons to render, of {', '.join(LESSONS)} (default: all three)",
    )
    for lesson, (name, variable, option, _) in DATA.items():
        parser.add_argument(
            f"--{option}",
            metavar="PATH",
            help=f"the lesson's {name} for {lesson} (default: ${variable}, then "
            f"../shared/data/{name} beside the project)",
        )
    parser.add_argument(
        "--out-dir",
        type=Path,
        metavar="DIR",
        default=ROOT / "docs",
        help="where to write the executed notebooks, <lesson>.ipynb (default: docs/)",
    )
    args = parser.parse_args(argv)
    unknown = [lesson for lesson in args.lessons if lesson not in LESSONS]
    if unknown:
        parser.error(f"no lesson {', '.join(unknown)}; the lessons are {', '.join(LESSONS)}")
    lessons = [lesson for lesson in LESSONS if lesson in args.lessons] or list(LESSONS)
    csvs = {
        lesson: find_csv(lesson, getattr(args, DATA[lesson][2])) if lesson in DATA else None
        for lesson in lessons
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    html_written = False
    for lesson in lessons:
        notebook = execute(lesson, csvs[lesson])
        path = args.out_dir / f"{lesson}.ipynb"
        nbformat.write(notebook, path)
        print(f"wrote {shown(path)}{summary(lesson, notebook)}")
        html = write_html(notebook, path.with_suffix(".html"))
        if html is not None:
            html_written = True
            print(f"wrote {shown(html)}")
    if not html_written:
        print("nbconvert is not installed, so no HTML copy was written (pip install nbconvert).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
