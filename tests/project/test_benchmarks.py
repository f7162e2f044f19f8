"""The benchmark runs (its timings are printed, never asserted)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.steps import IMPLEMENTATIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_implementation_takes_a_training_step(name, dtype):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((32, 5)).astype(dtype), rng.integers(0, 3, 32)
    step = IMPLEMENTATIONS[name](5, 3, 1.0 / np.bincount(y, minlength=3), dtype)
    for i in range(0, 32, 8):
        step(X[i : i + 8], y[i : i + 8])


def test_the_benchmark_command_explains_itself():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0 and "--quick" in result.stdout
