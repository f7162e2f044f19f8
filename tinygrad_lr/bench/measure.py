"""What runs inside the measurement processes the driver starts, one thread everywhere.

    python -m tinygrad_lr.bench.measure '{"job": "memory", ...}'      a one-off job
    python -m tinygrad_lr.bench.measure '{"job": "serve", ...}'       a worker

The driver starts every process with the BLAS thread variables set to one in its environment,
before NumPy loads (they cannot be changed once it has); PyTorch is set to one thread here.

A worker holds one implementation, in a process of its own as a user runs it: its own heap
(so that one library's allocations do not change when another's arrays reach fresh pages),
its own garbage (the collector scans only what this implementation and its library made), and
only the libraries it needs (the tinygrad_lr workers never import torch). It builds its model
and data, then answers the driver's commands on stdin, one JSON line each on stdout: `run`
times one block of work and replies with its CPU time (`time.process_time`), wall time
(`time.perf_counter`) and minor page faults, per unit of work; `result` replies with what the
work computed (the loss of one more training step; the chain's value and gradient), for the
driver to check against the other implementations. The cyclic garbage collector stays on, as
users run; a collection that a block's own garbage triggers is part of its time.

One-off jobs: `environment` (versions, threads), `memory` (peak memory of training steps),
`cycles` (what the cyclic collector finds after the work).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import sys
import time
from typing import Any

import numpy as np

import tinygrad_lr as tg

from . import steps
from .steps import IMPLEMENTATIONS, Problem

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def clock() -> tuple[float, float, int]:
    """CPU seconds, wall seconds, minor page faults so far (this process)."""
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    return time.process_time(), time.perf_counter(), faults


def since(start: tuple[float, float, int], units: int) -> dict[str, float]:
    """CPU time, wall time and minor faults since `start`, per unit of work."""
    now = clock()
    cpu, wall, faults = (b - a for a, b in zip(start, now))
    return {"cpu": cpu / units, "wall": wall / units, "faults": faults / units}


def library(name: str) -> Any:
    return tg if name == "tinygrad_lr" else steps.torch_module()


# --- workers -------------------------------------------------------------------------------
class TrainWorker:
    """Training steps of one implementation on one problem, `steps_per_block` per block, the
    batches in order (every implementation sees the same ones)."""

    def __init__(self, spec: dict) -> None:
        problem = Problem(**spec["problem"])
        X, y, class_weight = steps.make_data(problem.rows, problem.features, problem.classes)
        W, b = steps.initial_weights(problem.features, problem.classes)
        self.step = IMPLEMENTATIONS[spec["implementation"]](W, b, class_weight)
        self.batch = steps.batches(problem, X, y)
        self.per_block, self.taken = problem.steps_per_block, 0

    def run(self) -> dict:
        start = clock()
        for s in range(self.taken, self.taken + self.per_block):
            self.step(*self.batch(s))
        self.taken += self.per_block
        return since(start, self.per_block)

    def result(self) -> dict:
        """The loss of one more step, on the batch every implementation takes next."""
        loss = self.step(*self.batch(self.taken))
        self.taken += 1
        return {"loss": loss, "steps": self.taken}


class ChainWorker:
    """One chain of `ops` tiny ops per block, forward and backward (`steps.chain`)."""

    def __init__(self, spec: dict) -> None:
        self.lib, self.ops = library(spec["implementation"]), spec["ops"]

    def run(self) -> dict:
        start = clock()
        self.value, self.grad = steps.chain(self.lib, self.ops)
        return since(start, 1)

    def result(self) -> dict:
        return {"value": self.value, "grad": self.grad}


class PerOpWorker:
    """`repeats` chains of `ops` multiplications per block, forward and backward timed apart;
    replies with the seconds per op of each."""

    def __init__(self, spec: dict) -> None:
        self.lib, self.ops, self.repeats = (
            library(spec["implementation"]),
            spec["ops"],
            spec["repeats"],
        )

    def run(self) -> dict:
        forward = backward = np.zeros(3)
        for _ in range(self.repeats):
            start = np.array(clock())
            x, y = steps.op_chain(self.lib, self.ops)
            middle = np.array(clock())
            y.backward()
            end = np.array(clock())
            forward, backward = forward + (middle - start), backward + (end - middle)
            del x, y
        units = self.ops * self.repeats
        return {
            f"{phase} {kind}": float(value) / units
            for phase, values in (("forward", forward), ("backward", backward))
            for kind, value in zip(("cpu", "wall", "faults"), values)
        }

    def result(self) -> dict:
        return {}


WORKERS = {"train": TrainWorker, "chain": ChainWorker, "per-op": PerOpWorker}


def serve(spec: dict) -> dict | None:
    """A worker's life: build, then answer `run` and `result` until stdin closes."""
    worker = WORKERS[spec["work"]](spec)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        reply = worker.run() if command == "run" else worker.result()
        print(json.dumps(reply), flush=True)
    return None


# --- one-off jobs --------------------------------------------------------------------------
def environment(spec: dict) -> dict:
    """What the numbers were measured on."""
    info = {
        "machine": platform.processor() or platform.machine(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas threads": blas_threads(),
    }
    torch = steps.torch_module()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch threads"] = torch.get_num_threads()
    return info


def memory(spec: dict) -> dict:
    """Peak resident memory that `steps` training steps of one implementation add, in MiB, on
    top of the data, the libraries and their code (warmed up on a small problem first): the
    model, its optimizer state, its buffers and every step's temporaries."""
    problem = Problem(**spec["problem"])
    make = IMPLEMENTATIONS[spec["implementation"]]
    small_X, small_y, small_w = steps.make_data(64, problem.features, problem.classes)
    warm = make(*steps.initial_weights(problem.features, problem.classes), small_w)
    warm(small_X, small_y)
    X, y, class_weight = steps.make_data(problem.rows, problem.features, problem.classes)
    W, b = steps.initial_weights(problem.features, problem.classes)
    del warm
    gc.collect()
    if not reset_peak_rss():
        return {"mib": None}
    before = rss_kib("VmRSS")
    step = make(W, b, class_weight)
    for _ in range(spec["steps"]):
        step(X, y)
    return {"mib": (rss_kib("VmHWM") - before) / 1024}


def cycles(spec: dict) -> dict:
    """With the cyclic collector off: how many objects a full collection finds after training
    steps and after a chain of tiny ops (0: everything was freed by reference counting)."""
    X, y, class_weight = steps.make_data(700, 2, 2)
    W, b = steps.initial_weights(2, 2)
    found = {}
    gc.collect()
    gc.disable()
    try:
        for name in spec["implementations"]:
            step = IMPLEMENTATIONS[name](W, b, class_weight)
            step(X, y)
            gc.collect()  # what the setup left
            for _ in range(3):
                step(X, y)
            found[f"{name}, 3 training steps"] = gc.collect()
        gc.collect()
        steps.chain(tg, spec["ops"])
        found[f"tinygrad_lr, a chain of {spec['ops']:,} ops"] = gc.collect()
    finally:
        gc.enable()
    return {"found": found}


JOBS = {"serve": serve, "environment": environment, "memory": memory, "cycles": cycles}


# --- the machine ---------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def blas_threads() -> str:
    """The BLAS thread count NumPy's library reports (threadpoolctl), else the variable set."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return f"{os.environ.get('OPENBLAS_NUM_THREADS')} (set; threadpoolctl not installed)"
    found = [f"{p['internal_api']} {p['num_threads']}" for p in threadpool_info()]
    return ", ".join(found) or "none found"


def reset_peak_rss() -> bool:
    """Reset the process's peak resident memory (VmHWM) to the current one (Linux only)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def main(argv: list[str]) -> int:
    if any(os.environ.get(v) != "1" for v in THREAD_VARIABLES):
        sys.exit("measure: run me with the BLAS thread variables set to 1 (the driver does)")
    spec = json.loads(argv[0])
    result = JOBS[spec["job"]](spec)
    if result is not None:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
