"""The `tinygrad-lr` command runs end to end."""

import subprocess
import sys

from tinygrad_lr.cli import main


def test_demo_trains_and_passes_gradcheck(capsys):
    assert main(["demo", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    losses = [float(line.split()[1]) for line in out.splitlines() if line[:4].strip().isdigit()]
    assert len(losses) == 6 and losses[-1] < losses[0]
    assert "gradcheck of the loss against central differences: True" in out


def test_the_module_runs_as_a_program_and_explains_itself():
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "demo" in result.stdout
