"""Time one training step: hand-derived NumPy, tinygrad_lr (autograd and fused), PyTorch.

    python -m benchmarks [--rounds 7] [--quick] [--no-memory]

Thread counts are pinned to one before NumPy or PyTorch load. Implementations are interleaved
in rounds (round 1: NumPy, tinygrad_lr, tinygrad_lr fused, PyTorch; round 2: the same; ...), so
a slow moment of the machine hits all of them alike. Each round times a block of steps; the
table shows the median per-step time over rounds, its min–max, and the ratios of medians. Peak
memory for the wide problem is measured per implementation in a fresh process
(`--memory-child`).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from .steps import IMPLEMENTATIONS  # noqa: E402

# name: (N, D, C, batch size or None for full batch, steps per timed block)
PROBLEMS = {
    "lesson": (700, 2, 2, None, 50),
    "wide": (100_000, 64, 10, None, 3),
    "batch": (100_000, 64, 10, 64, 300),
}


def torch_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    torch.set_num_threads(1)
    return True


def make_data(N: int, D: int, C: int, dtype: type) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, C, N)
    X = rng.standard_normal((N, D), dtype=np.float32).astype(dtype)
    X += (y % 3)[:, None]  # some signal, so that training is not on noise
    return X, y, 1.0 / np.bincount(y, minlength=C)


def time_problem(name: str, dtype: type, names: list[str], rounds: int) -> dict[str, list[float]]:
    """Per-step times (seconds), one per round, for each implementation."""
    N, D, C, batch, steps = PROBLEMS[name]
    X, y, class_weight = make_data(N, D, C, dtype)
    step_fns = {n: IMPLEMENTATIONS[n](D, C, class_weight, dtype) for n in names}
    starts = [0] if batch is None else list(range(0, N - batch + 1, batch))

    def block(step) -> float:
        t0 = time.perf_counter()
        for s in range(steps):
            if batch is None:
                step(X, y)
            else:
                i = starts[s % len(starts)]
                step(X[i : i + batch], y[i : i + batch])
        return (time.perf_counter() - t0) / steps

    for step in step_fns.values():  # warm-up: first calls allocate, import, fill caches
        block(step)
    times: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(rounds):
        for n, step in step_fns.items():
            times[n].append(block(step))
    return times


def fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.1f} µs"


def peak_memory(name: str, dtype: str) -> float:
    """MiB that training steps add on top of the data and the model, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--memory-child", name, dtype],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(result.stdout.strip().splitlines()[-1])


def memory_child(impl: str, dtype_name: str) -> None:
    """Run wide-problem steps and print the peak RSS growth over the data's, in MiB."""
    if impl == "torch":
        torch_available()
    N, D, C, _, _ = PROBLEMS["wide"]
    dtype = np.dtype(dtype_name).type
    X, y, class_weight = make_data(N, D, C, dtype)
    step = IMPLEMENTATIONS[impl](D, C, class_weight, dtype)
    before = _rss_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak (VmHWM) to the current RSS
        f.write("5")
    for _ in range(5):
        step(X, y)
    print((_rss_kib("VmHWM") - before) / 1024)


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (default 15)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, float32 only")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory measurement")
    parser.add_argument(
        "--memory-child", nargs=2, metavar=("IMPL", "DTYPE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return

    names = ["numpy", "tinygrad_lr", "tinygrad_lr fused"] + (["torch"] if torch_available() else [])
    ours = ["tinygrad_lr", "tinygrad_lr fused"]
    baselines = ["numpy", "torch"] if "torch" in names else ["numpy"]
    ratios = [(a, b) for b in baselines for a in ours]  # (tinygrad_lr path, baseline)
    short = {
        "tinygrad_lr": "autograd",
        "tinygrad_lr fused": "fused",
        "numpy": "NumPy",
        "torch": "PyTorch",
    }
    rounds = 3 if args.quick else args.rounds
    dtypes = [np.float32] if args.quick else [np.float32, np.float64]
    versions = f"NumPy {np.__version__}"
    if "torch" in names:
        import torch

        versions += f", PyTorch {torch.__version__} ({torch.get_num_threads()} thread)"
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {versions}; BLAS threads pinned to "
        f"{os.environ['OPENBLAS_NUM_THREADS']}; {rounds} rounds, medians per step\n"
    )
    print(
        "tinygrad_lr: autograd through primitive ops (nn.Linear, nn.CrossEntropyLoss); "
        "tinygrad_lr fused: the fused nodes' closed-form backward (tinygrad_lr.fused)\n"
    )
    header = f"{'problem':8} {'dtype':8}" + "".join(f"{n:>30}" for n in names)
    header += "".join(f"{short[a] + '/' + short[b]:>18}" for a, b in ratios)
    print(header)
    for dtype in dtypes:
        for problem in PROBLEMS:
            times = time_problem(problem, dtype, names, rounds)
            med = {n: float(np.median(t)) for n, t in times.items()}
            row = f"{problem:8} {np.dtype(dtype).name:8}"
            for n in names:
                cell = f"{fmt_time(med[n])} ({fmt_time(min(times[n]))}–{fmt_time(max(times[n]))})"
                row += f"{cell:>30}"
            row += "".join(f"{med[a] / med[b]:>18.2f}" for a, b in ratios)
            print(row, flush=True)
    if not args.no_memory:
        print("\nwide problem, peak memory added by 5 training steps to the data and model (MiB):")
        for dtype in dtypes:
            name = np.dtype(dtype).name
            peaks = {n: peak_memory(n, name) for n in names}
            cells = ", ".join(f"{n} {v:.1f}" for n, v in peaks.items())
            relative = ", ".join(
                f"{short[a]}/NumPy {peaks[a] / max(peaks['numpy'], 1e-9):.2f}" for a in ours
            )
            print(f"  {name}: {cells}; {relative}")


if __name__ == "__main__":
    main()
