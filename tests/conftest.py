"""Fixtures shared by every layer of the tests (engine, lesson, project).

`tumors_csv` is the one place that knows where the lesson's original CSV is: the `TUMORS_CSV`
environment variable first, then `../shared/data/tumors.csv` beside the project. The file is
not shipped with the project; tests that need it skip, saying why, where it is absent.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BESIDE_THE_PROJECT = ROOT.parent / "shared" / "data" / "tumors.csv"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tumors_csv() -> Path:
    """The lesson's original tumors.csv, or a skip that says where it was looked for."""
    chosen = os.environ.get("TUMORS_CSV")
    if chosen:  # asked for explicitly: a wrong path is an error, not a reason to skip
        path = Path(chosen)
        if not path.is_file():
            pytest.fail(f"TUMORS_CSV is set to {chosen}, but there is no file there")
        return path
    if not BESIDE_THE_PROJECT.is_file():
        pytest.skip(
            "the lesson's original tumors.csv is not shipped with the project: set TUMORS_CSV "
            "to its path, or put it at ../shared/data/tumors.csv beside the project"
        )
    return BESIDE_THE_PROJECT
