"""Fixtures shared by every layer of the tests (engine, lesson, project).

`tumors_csv` is the one place that knows where the lesson's original CSV is: the `TUMORS_CSV`
environment variable first, then `../shared/data/tumors.csv` beside the project. The file is
not shipped with the project; tests that need it skip, saying why, where it is absent.
"""

import os
import socket
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr.compare import nonfinite

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


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a network connection fails the test: nothing may download."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def pytest_configure(config: pytest.Config) -> None:
    """Make NumPy's array assertions fail on a NaN or inf on either side.

    `assert_allclose` and `assert_array_equal` count NaN == NaN and inf == inf as agreement, so
    two implementations that broke the same way would pass. In these tests a comparison with a
    non-finite value is a failure; a test that expects a NaN says so with `np.isnan`.
    """
    for name in ("assert_allclose", "assert_array_equal"):
        setattr(np.testing, name, _finite_only(getattr(np.testing, name)))


def _finite_only(assertion):
    def checked(actual, desired, *args, **kwargs):
        for side, values in (("actual", actual), ("desired", desired)):
            problem = nonfinite(values, f"the {side} values")
            if problem:
                raise AssertionError(f"{problem}: a comparison with NaN or inf proves nothing")
        return assertion(actual, desired, *args, **kwargs)

    checked.__wrapped__ = assertion
    return checked
