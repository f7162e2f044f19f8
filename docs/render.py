"""Run the lesson notebook and keep a copy with its outputs: docs/logistic_regression.ipynb.

From the project root:

    python docs/render.py [--data path/to/tumors.csv] [--out path/to/copy.ipynb]

The lesson (`lessons/logistic_regression.py`, a jupytext script) is executed in a Jupyter
kernel on the lesson's original CSV, so the copy shows the published figures beside its own,
with every picture drawn inline. The CSV is found as the tests find it: `--data`, else the
`TUMORS_CSV` environment variable, else `../shared/data/tumors.csv` beside the project. The
run happens in a temporary folder that holds a copy of the CSV, so the outputs name files
relative to it and never a path of this machine. With nbconvert installed, an HTML copy is
written beside the notebook too.

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
LESSON = ROOT / "lessons" / "logistic_regression.py"
RENDERED = ROOT / "docs" / "logistic_regression.ipynb"
BESIDE_THE_PROJECT = ROOT.parent / "shared" / "data" / "tumors.csv"
TIMEOUT = 600  # seconds for one cell


def find_csv(chosen: str | None) -> Path:
    """The lesson's CSV: `chosen`, else $TUMORS_CSV, else the copy beside the project."""
    candidate = chosen or os.environ.get("TUMORS_CSV")
    path = Path(candidate) if candidate else BESIDE_THE_PROJECT
    if not path.is_file():
        where = candidate or "../shared/data/tumors.csv beside the project"
        raise SystemExit(
            f"render.py: no tumour CSV at {where}. The rendered copy shows the lesson's "
            "published figures, so it runs on the lesson's tumors.csv: pass --data PATH or set "
            "TUMORS_CSV."
        )
    return path


def execute(csv: Path) -> nbformat.NotebookNode:
    """The lesson as a notebook, executed in a fresh kernel inside a temporary folder."""
    notebook = jupytext.read(LESSON)
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(csv, Path(folder) / "tumors.csv")
        saved = {k: os.environ.get(k) for k in ("TUMORS_CSV", "LESSON_OUT")}
        os.environ.update(TUMORS_CSV="tumors.csv", LESSON_OUT="lesson_output")
        try:
            nbclient.NotebookClient(
                notebook,
                timeout=TIMEOUT,
                kernel_name="python3",
                resources={"metadata": {"path": folder}},
            ).execute()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    for cell in notebook.cells:  # start and end times would change the file on every run
        cell.metadata.pop("execution", None)
    return notebook


def write_html(notebook: nbformat.NotebookNode, path: Path) -> Path | None:
    """An HTML copy, when nbconvert is installed; None otherwise."""
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        return None
    body, _ = HTMLExporter().from_notebook_node(notebook)
    path.write_text(body, encoding="utf-8")
    return path


def shown(path: Path) -> str:
    """`path` relative to the project when it is inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        help="the lesson's tumors.csv (default: $TUMORS_CSV, then "
        "../shared/data/tumors.csv beside the project)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RENDERED,
        help="where to write the executed notebook (default: docs/logistic_regression.ipynb)",
    )
    args = parser.parse_args(argv)
    notebook = execute(find_csv(args.data))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, args.out)
    summary = [
        line
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        for line in output.get("text", "").splitlines()
        if line.startswith("Figures of the lesson's notebook reproduced")
    ]
    print(f"wrote {shown(args.out)}" + (f": {summary[0]}" if summary else ""))
    html = write_html(notebook, args.out.with_suffix(".html"))
    if html is None:
        print("nbconvert is not installed, so no HTML copy was written (pip install nbconvert).")
    else:
        print(f"wrote {shown(html)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
