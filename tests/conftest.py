"""Fixtures shared by every layer of the tests (engine, lesson, project).

`tumors_csv` and `spiral_csv` are the one place that knows where the lessons' original CSVs are:
an environment variable first (`TUMORS_CSV`, `SPIRAL_CSV`), then `../shared/data/` beside the
project. The files are not shipped with the project; tests that need one skip, saying why, where
it is absent.
"""

import os
import socket
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr.autograd import Op
from tinygrad_lr.compare import nonfinite

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


def _original_data(name: str, variable: str) -> Path:
    """A lesson's original data file, or a skip that says where it was looked for."""
    chosen = os.environ.get(variable)
    if chosen:  # asked for explicitly: a wrong path is an error, not a reason to skip
        path = Path(chosen)
        if not path.is_file():
            pytest.fail(f"{variable} is set to {chosen}, but there is no file there")
        return path
    beside = SHARED_DATA / name
    if not beside.is_file():
        pytest.skip(
            f"the lesson's original {name} is not shipped with the project: set {variable} "
            f"to its path, or put it at ../shared/data/{name} beside the project"
        )
    return beside


@pytest.fixture(scope="session")
def tumors_csv() -> Path:
    return _original_data("tumors.csv", "TUMORS_CSV")


@pytest.fixture(scope="session")
def spiral_csv() -> Path:
    return _original_data("spiral.csv", "SPIRAL_CSV")


# Python code that puts tinygrad_lr in `torch`'s place for everything imported after it, as a
# learner swaps the import, libraries written for PyTorch (torchsummary) included.
SWAP_TORCH = """import sys
import tinygrad_lr

sys.modules["torch"] = tinygrad_lr
for name in ("nn", "nn.functional", "nn.init", "optim", "autograd", "utils", "utils.data"):
    module = tinygrad_lr
    for part in name.split("."):
        module = getattr(module, part)
    sys.modules["torch." + name] = module
"""


@pytest.fixture(scope="session")
def swap_torch() -> str:
    return SWAP_TORCH


@pytest.fixture(scope="session")
def torch_bernoulli_uses_mersenne_twister() -> None:
    """Skip unless PyTorch draws `bernoulli_` with a number p (hence dropout masks) from its
    Mersenne Twister, one 64-bit word per element, the path tinygrad_lr reproduces. On an Intel
    CPU an MKL build of PyTorch lets MKL's own generator draw them instead. Detected by asking
    both for the next number after the same `bernoulli_`."""
    torch = pytest.importorskip("torch")
    from tinygrad_lr import random

    torch.manual_seed(0)
    torch.empty(64).bernoulli_(0.5)
    random.manual_seed(0)
    random.bernoulli(64, 0.5)
    if not np.array_equal(random.rand(4), torch.rand(4).numpy()):
        pytest.skip(
            "this PyTorch draws bernoulli_ with a number p from MKL's generator (an Intel CPU "
            "with an MKL build); tinygrad_lr reproduces the Mersenne-Twister path only"
        )


@pytest.fixture
def applied_ops(monkeypatch) -> set[str]:
    """The names of the ops applied while the test runs (every `Op.apply` is recorded)."""
    applied: set[str] = set()
    original = Op.apply.__func__

    def recording(cls, *inputs, **params):
        applied.add(cls.__name__)
        return original(cls, *inputs, **params)

    monkeypatch.setattr(Op, "apply", classmethod(recording))
    return applied


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
