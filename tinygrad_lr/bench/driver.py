"""`tinygrad-lr bench`: run the measurements in paired rounds, check them, report.

Every measurement runs in processes started with the BLAS thread variables set to one, so that
they hold before NumPy loads. A timed comparison (`paired_rounds`) starts one worker process
per implementation (`measure.serve`), as a user would run each, and drives them round by round:
after a warm-up block each, every round asks each worker for one timed block, in an order that
rotates from round to round, one worker at a time, so that the blocks of one round run back to
back and a slow moment of the machine hits them alike. The driver then collects what each
computed and checks that they agree: a disagreement, or a measurement that fails, stops the run
with its message and exit status 1, and nothing is written. Otherwise the tables are printed
and, with `out`, `out/benchmarks.md` and its plot `out/images/benchmarks.png` written.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

from . import report
from .measure import THREAD_VARIABLES
from .steps import IMPLEMENTATIONS, PROBLEMS, QUICK_PROBLEMS, Problem

ROUNDS = 31
QUICK_ROUNDS = 3
SCALING_ROUNDS = 7  # at most; each size is a pair of fresh processes
# what each measurement is called on the command line (--only), in the order they run
MEASUREMENTS = [*PROBLEMS, "chain", "per-op", "memory", "scaling", "cycles"]
# the memory measurement's implementations (each in its own process) and steps
MEMORY_IMPLEMENTATIONS = ["floor", "tinygrad_lr", "tinygrad_lr fused", "PyTorch"]
MEMORY_STEPS = 20
# losses after the timed steps must agree to this relative difference: float32 rounding,
# accumulated over thousands of steps, stays orders of magnitude below it; a wrong gradient or
# update does not
LOSS_RTOL = 1e-4


class MeasurementError(RuntimeError):
    """A measurement process ended with an error (its stderr is the message)."""


class DisagreementError(AssertionError):
    """Two implementations computed different results from the same data and weights."""


def pinned_environment() -> dict[str, str]:
    return dict(os.environ, **dict.fromkeys(THREAD_VARIABLES, "1"))


def command(spec: dict) -> list[str]:
    return [sys.executable, "-m", "tinygrad_lr.bench.measure", json.dumps(spec)]


def measure(spec: dict) -> dict:
    """Run one one-off job (`measure.JOBS`) in a fresh one-thread process."""
    result = subprocess.run(command(spec), capture_output=True, text=True, env=pinned_environment())
    if result.returncode != 0:
        raise MeasurementError(f"the {spec['job']} job failed:\n{result.stderr.strip()}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class Worker:
    """A worker process (`measure.serve`) and the commands sent to it."""

    def __init__(self, name: str, spec: dict) -> None:
        self.name = name
        self.errors: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed by close()
        self.process = subprocess.Popen(
            command({"job": "serve", **spec}),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            text=True,
            env=pinned_environment(),
        )

    def read(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.errors.seek(0)
            raise MeasurementError(f"the {self.name} worker failed:\n{self.errors.read().strip()}")
        return json.loads(line)

    def ask(self, what: str) -> dict:
        self.process.stdin.write(what + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.errors.close()


def paired_rounds(specs: dict[str, dict], rounds: int) -> tuple[dict, dict]:
    """Time `specs` (name → worker spec) in interleaved rounds, one process per name.

    Returns ({name: {measure: [one value per round]}}, {name: what its work computed})."""
    workers = {}
    try:
        for name, spec in specs.items():
            workers[name] = Worker(name, spec)
        for worker in workers.values():
            worker.read()  # built: the model and the data are ready
        for worker in workers.values():
            worker.ask("run")  # warm-up: first calls import, allocate, fill caches
        names = list(workers)
        times: dict[str, dict[str, list[float]]] = {n: {} for n in names}
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                for key, value in workers[name].ask("run").items():
                    times[name].setdefault(key, []).append(value)
        return times, {n: w.ask("result") for n, w in workers.items()}
    finally:
        for worker in workers.values():
            worker.close()


def check_agreement(what: str, values: dict[str, float], rtol: float = LOSS_RTOL) -> None:
    """Raise `DisagreementError` unless every value is within `rtol` of the first."""
    reference_name, reference = next(iter(values.items()))
    bad = [n for n, v in values.items() if not abs(v - reference) <= rtol * abs(reference)]
    if bad:
        listing = ", ".join(f"{n} {v!r}" for n, v in values.items())
        raise DisagreementError(
            f"{what}: {', '.join(bad)} disagree with {reference_name} by more than "
            f"{rtol:g} (relative): {listing}"
        )


def torch_installed() -> bool:
    return importlib.util.find_spec("torch") is not None


def columns(names: list[str]) -> list[str]:
    return [n for n in names if n != "PyTorch" or torch_installed()]


# --- the measurements --------------------------------------------------------------------------
def train(problem: Problem, rounds: int, names: list[str] | None = None) -> dict:
    """Training steps of every implementation on `problem`; their next losses must agree."""
    names = columns(names or list(IMPLEMENTATIONS))
    problem_spec = dataclasses.asdict(problem)
    specs = {n: {"work": "train", "implementation": n, "problem": problem_spec} for n in names}
    times, results = paired_rounds(specs, rounds)
    steps_taken = results[names[0]]["steps"]
    losses = {n: r["loss"] for n, r in results.items()}
    check_agreement(f"the losses at step {steps_taken}", losses)
    return {"times": times, "losses": losses, "steps": steps_taken}


def chain(ops: int, rounds: int) -> dict:
    names = columns(["tinygrad_lr", "PyTorch"])
    specs = {n: {"work": "chain", "implementation": n, "ops": ops} for n in names}
    times, results = paired_rounds(specs, rounds)
    check_agreement("the chain's value", {n: r["value"] for n, r in results.items()})
    check_agreement("the chain's gradient", {n: r["grad"] for n, r in results.items()})
    return {"times": times, "ops": ops}


def per_op(ops: int, repeats: int, rounds: int) -> dict:
    names = columns(["tinygrad_lr", "PyTorch"])
    spec = {"work": "per-op", "ops": ops, "repeats": repeats}
    measured, _ = paired_rounds({n: {**spec, "implementation": n} for n in names}, rounds)
    times = {  # "tinygrad_lr forward": {"cpu": [...], "wall": [...], "faults": [...]}, ...
        f"{name} {phase}": {kind: values[f"{phase} {kind}"] for kind in ("cpu", "wall", "faults")}
        for name, values in measured.items()
        for phase in ("forward", "backward")
    }
    return {"times": times, "ops": ops, "repeats": repeats}


def scaling(sizes: list[int], rounds: int) -> dict:
    """The floor's and tinygrad_lr's full-batch step at growing row counts, a fresh pair of
    processes for each size."""
    by_rows = {}
    for rows in sizes:
        problem = Problem(rows, 64, 10, None, max(1, 200_000 // rows))
        by_rows[str(rows)] = train(problem, rounds, ["floor", "tinygrad_lr"])["times"]
    return {"by_rows": by_rows}


def memory(problem: Problem) -> dict:
    """Each implementation's peak memory on `problem`, each in a fresh process."""
    return {
        name: measure(
            {
                "job": "memory",
                "problem": dataclasses.asdict(problem),
                "implementation": name,
                "steps": MEMORY_STEPS,
            }
        )["mib"]
        for name in columns(MEMORY_IMPLEMENTATIONS)
    }


def cycles() -> dict:
    names = columns(["tinygrad_lr", "tinygrad_lr fused", "PyTorch"])
    return measure({"job": "cycles", "implementations": names, "ops": 1_000})


def run(
    quick: bool = False,
    rounds: int | None = None,
    only: list[str] | None = None,
    out: Path | None = None,
) -> int:
    """Measure, check, print the tables, and write `out/benchmarks.md` with its plot when `out`
    is given. Returns the exit status: 0, or 1 when a measurement failed or disagreed."""
    rounds = rounds or (QUICK_ROUNDS if quick else ROUNDS)
    problems = QUICK_PROBLEMS if quick else PROBLEMS
    chain_ops, per_op_ops = (2_000, 200) if quick else (100_000, 1_000)
    sizes = [1_000, 4_000] if quick else [1_000, 10_000, 100_000, 1_000_000]
    plan = {name: (train, problems[name], rounds) for name in problems}
    plan |= {
        "chain": (chain, chain_ops, rounds),
        "per-op": (per_op, per_op_ops, 5, rounds),
        "memory": (memory, problems["wide"]),
        "scaling": (scaling, sizes, min(rounds, SCALING_ROUNDS)),
        "cycles": (cycles,),
    }
    started = time.perf_counter()
    results: dict = {}
    try:
        results["environment"] = measure({"job": "environment"})
        for name in MEASUREMENTS:
            if only is None or name in only:
                print(f"measuring {name} ...", file=sys.stderr, flush=True)
                function, *args = plan[name]
                results[name] = function(*args)
    except (MeasurementError, DisagreementError) as error:
        print(f"FAILED: {error}", file=sys.stderr)
        return 1
    results["settings"] = {
        "quick": quick,
        "rounds": rounds,
        "memory steps": MEMORY_STEPS,
        "minutes": (time.perf_counter() - started) / 60,
    }
    summary = report.summarize(results)
    print(report.text(summary))
    if out is not None:
        image = report.plot(summary, out / "images" / "benchmarks.png")
        document = out / "benchmarks.md"
        document.write_text(report.markdown(summary, image.relative_to(out)))
        print(f"\nwrote {document} and {image}")
    return 0
