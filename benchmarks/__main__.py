"""Run the benchmark and rewrite docs/benchmarks.md and its plot: `python -m benchmarks`.

The same as `tinygrad-lr bench --out docs` from the project folder; the benchmark itself is
`tinygrad_lr.bench`, so that the installed command has it. Options are the command's:
`--rounds N`, `--out DIR`, and, for runs that print without rewriting the page unless given
`--out`, `--quick` (a smoke run: few rounds, small problems) and `--only NAME ...`.
"""

import sys
from pathlib import Path

from tinygrad_lr.cli import main

DOCS = Path(__file__).resolve().parents[1] / "docs"

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not {"--quick", "--only", "--out", "-h", "--help"} & set(argv):  # a full run
        argv += ["--out", str(DOCS)]
    sys.exit(main(["bench", *argv]))
