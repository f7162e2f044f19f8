"""The benchmark's report: statistics of the measurements, the goals, the tables, the plot.

`summarize` turns the raw per-round times into medians, paired ratios with their intervals
(`stats`) and the verdict on each goal of issue 17; `text` is the tables as printed,
`markdown` the whole of docs/benchmarks.md, `plot` its picture.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .stats import Interval, median_interval, paired_ratios
from .steps import LR, PROBLEMS, QUICK_PROBLEMS

# the training-step columns, in the tables' order, and their short names in ratios
COLUMNS = [
    "floor",
    "floor (N, C)",
    "primitives floor",
    "lesson NumPy",
    "tinygrad_lr",
    "tinygrad_lr fused",
    "PyTorch",
]
SHORT = {"tinygrad_lr fused": "fused", "primitives floor": "primitives"}
# the paired ratios reported for every training problem: (numerator, denominator)
RATIOS = [
    ("tinygrad_lr", "floor"),
    ("tinygrad_lr", "PyTorch"),
    ("tinygrad_lr fused", "floor"),
    ("tinygrad_lr fused", "PyTorch"),
    ("tinygrad_lr", "floor (N, C)"),
    ("tinygrad_lr", "primitives floor"),
    ("primitives floor", "floor"),
    ("lesson NumPy", "floor"),
    ("PyTorch", "floor"),
]
# issue 17's goals on training steps: the largest median ratio (CPU time) allowed
TRAINING_GOALS = {
    ("lesson", "tinygrad_lr", "floor"): 1.4,
    ("batch", "tinygrad_lr", "floor"): 1.4,
    ("wide", "tinygrad_lr", "floor"): 1.15,
    ("many-classes", "tinygrad_lr", "floor"): 1.3,
    ("lesson", "tinygrad_lr", "PyTorch"): 0.35,
    ("batch", "tinygrad_lr", "PyTorch"): 0.3,
}
MEMORY_GOAL = 1.3  # peak memory on the wide problem, tinygrad_lr / floor
# linear in rows: time per row may grow by at most this factor from a smaller size to a larger
SCALING_GROWTH = 1.3
FAULTS_PER_STEP = 10  # "no per-step page faults": a median of at most this many per step


@dataclass
class Goal:
    """One goal of issue 17 and this run's verdict (`met` None: not measured in this run)."""

    goal: str
    measured: str
    met: bool | None
    note: str = ""
    judged: bool = True  # False in a --quick run, whose problems are smaller than the goals'

    def status(self) -> str:
        if not self.judged:
            return "not judged (--quick: small problems)"
        if self.met is None:
            return "not measured"
        return ("met" if self.met else "**not met**") + (f" ({self.note})" if self.note else "")


def label(numerator: str, denominator: str) -> str:
    return f"{SHORT.get(numerator, numerator)} / {SHORT.get(denominator, denominator)}"


def ratio_goal(
    text: str, cpu: Interval, wall: Interval, limit: float, strict: bool = False
) -> Goal:
    """A goal on a median paired ratio (CPU time), with a note when the interval crosses it."""
    met = cpu.median < limit if strict else cpu.median <= limit
    note = ""
    if met and cpu.high > limit:
        note = "its interval reaches above the goal"
    elif not met and cpu.low <= limit:
        note = "its interval reaches below the goal"
    return Goal(text, f"{cpu} (wall {wall})", met, note)


# --- statistics ------------------------------------------------------------------------------
def ratio_pair(times: dict, numerator: str, denominator: str) -> tuple[Interval, Interval]:
    """The median paired ratio and its interval, for CPU and for wall time."""
    return tuple(
        median_interval(paired_ratios(times[numerator][kind], times[denominator][kind]))
        for kind in ("cpu", "wall")
    )


def summarize(results: dict) -> dict[str, Any]:
    quick = results["settings"]["quick"]
    summary: dict[str, Any] = {k: results[k] for k in ("environment", "settings")}
    goals: list[Goal] = []
    training = {}
    for name, problem in (QUICK_PROBLEMS if quick else PROBLEMS).items():
        if name not in results:
            continue
        times = results[name]["times"]
        ratios = [(n, d, *ratio_pair(times, n, d)) for n, d in RATIOS if n in times and d in times]
        training[name] = {
            "problem": problem,
            "steps": results[name]["steps"],
            "losses": results[name]["losses"],
            "per step": {
                impl: {kind: float(np.median(values)) for kind, values in t.items()}
                for impl, t in times.items()
            },
            "ratios": ratios,
        }
        composing = next(
            (cpu for n, d, cpu, _ in ratios if (n, d) == ("primitives floor", "floor")), None
        )
        for numerator, denominator, cpu, wall in ratios:
            limit = TRAINING_GOALS.get((name, numerator, denominator))
            if limit is not None:
                text = f"{name}: {label(numerator, denominator)} ≤ {limit}"
                goal = ratio_goal(text, cpu, wall, limit)
                if denominator == "floor" and composing is not None and composing.low > limit:
                    goal.note = (
                        f"out of reach for the primitive ops: primitives / floor is {composing}"
                        + (f"; {goal.note}" if goal.note else "")
                    )
                goals.append(goal)
    summary["training"] = training
    if "chain" in results:
        times = results["chain"]["times"]
        chain = {"ops": results["chain"]["ops"], "seconds": median_times(times)}
        if "PyTorch" in times:
            chain["ratio"] = ratio_pair(times, "tinygrad_lr", "PyTorch")
            text = f"a chain of {chain['ops']:,} ops, forward + backward: faster than PyTorch"
            goals.append(ratio_goal(text, *chain["ratio"], 1.0, strict=True))
        summary["chain"] = chain
    if "per-op" in results:
        summary["per-op"] = per_op_summary(results["per-op"], goals)
    memory = results.get("memory")
    if memory:
        summary["memory"] = memory
        if memory.get("floor") and memory.get("tinygrad_lr") is not None:
            ratio = memory["tinygrad_lr"] / memory["floor"]
            goals.append(
                Goal(
                    f"peak memory, wide: tinygrad_lr / floor ≤ {MEMORY_GOAL}",
                    f"{ratio:.2f} ({memory['tinygrad_lr']:.1f} / {memory['floor']:.1f} MiB)",
                    ratio <= MEMORY_GOAL,
                )
            )
    if "cycles" in results:
        found = results["cycles"]["found"]
        summary["cycles"] = found
        ours = {k: v for k, v in found.items() if k.startswith("tinygrad_lr")}
        goals.append(
            Goal(
                "the graph freed without the cyclic collector (gc.collect() finds 0 objects)",
                ", ".join(f"{k}: {v}" for k, v in ours.items()),
                not any(ours.values()),
            )
        )
    if "scaling" in results:
        summary["scaling"] = scaling_summary(results["scaling"], goals)
    for goal in goals:
        goal.judged = not quick
    summary["goals"] = goals
    return summary


def median_times(times: dict) -> dict[str, dict[str, float]]:
    return {n: {k: float(np.median(v)) for k, v in t.items()} for n, t in times.items()}


def per_op_summary(result: dict, goals: list[Goal]) -> dict:
    times = result["times"]
    libraries = [n for n in ("tinygrad_lr", "PyTorch") if f"{n} forward" in times]
    for name in libraries:  # forward + backward, round by round
        forward, backward = times[f"{name} forward"], times[f"{name} backward"]
        times[f"{name} forward + backward"] = {
            kind: [f + b for f, b in zip(forward[kind], backward[kind])] for kind in ("cpu", "wall")
        }
    phases = ("forward", "backward", "forward + backward")
    summary = {
        "ops": result["ops"],
        "repeats": result["repeats"],
        "us": {
            name: {p: 1e6 * float(np.median(times[f"{name} {p}"]["cpu"])) for p in phases}
            for name in libraries
        },
        "us wall": {
            name: {p: 1e6 * float(np.median(times[f"{name} {p}"]["wall"])) for p in phases}
            for name in libraries
        },
    }
    if "PyTorch" in libraries:
        summary["ratios"] = {
            p: ratio_pair(times, f"tinygrad_lr {p}", f"PyTorch {p}") for p in phases
        }
        cpu, wall = summary["ratios"]["forward + backward"]
        goals.append(ratio_goal("per-op overhead, forward + backward ≤ PyTorch's", cpu, wall, 1.0))
    return summary


def scaling_summary(result: dict, goals: list[Goal]) -> dict:
    sizes = {}
    for rows, times in result["by_rows"].items():
        n = int(rows)
        sizes[n] = {
            "ns per row": {i: 1e9 * float(np.median(t["cpu"])) / n for i, t in times.items()},
            "faults": {i: float(np.median(t["faults"])) for i, t in times.items()},
            "ratio": ratio_pair(times, "tinygrad_lr", "floor")[0],
        }
    growth = largest_growth([s["ns per row"]["tinygrad_lr"] for s in sizes.values()])
    # the floor's own growth by the same measure: what the memory hierarchy alone costs
    floor_growth = largest_growth([s["ns per row"]["floor"] for s in sizes.values()])
    rows_text = f"{min(sizes):,} to {max(sizes):,} rows"
    goals.append(
        Goal(
            f"time linear in rows, {rows_text}: time per row grows ≤ {SCALING_GROWTH}× "
            "from any size to a larger one",
            f"largest growth {growth:.2f}× ("
            + ", ".join(f"{n:,}: {s['ns per row']['tinygrad_lr']:.0f} ns" for n, s in sizes.items())
            + f"); the floor's own, measured alike: {floor_growth:.2f}×",
            growth <= SCALING_GROWTH,
        )
    )
    faults = {n: s["faults"]["tinygrad_lr"] for n, s in sizes.items()}
    goals.append(
        Goal(
            f"no per-step page faults, {rows_text}: ≤ {FAULTS_PER_STEP} minor faults per step",
            ", ".join(f"{n:,}: {f:,.0f}" for n, f in faults.items()),
            max(faults.values()) <= FAULTS_PER_STEP,
        )
    )
    return {"sizes": sizes, "growth": growth}


def largest_growth(per_row: list[float]) -> float:
    """The largest factor by which time per row grows from one size to any larger one."""
    return max(
        (per_row[j] / per_row[i] for i in range(len(per_row)) for j in range(i + 1, len(per_row))),
        default=1.0,
    )


# --- tables ----------------------------------------------------------------------------------
def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} µs"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def environment_line(summary: dict) -> str:
    env, settings = summary["environment"], summary["settings"]
    torch = f", PyTorch {env['torch']} ({env['torch threads']} thread)" if "torch" in env else ""
    return (
        f"{env['cpu']} ({env['machine']}), {env['cores']} cores; Python {env['python']}, NumPy "
        f"{env['numpy']} (BLAS threads: {env['blas threads']}){torch}; "
        f"{settings['rounds']} rounds{' (--quick)' if settings['quick'] else ''}; the run took "
        f"{settings.get('minutes', 0):.1f} minutes"
    )


def goals_table(summary: dict) -> str:
    rows = [[g.goal, g.measured, g.status()] for g in summary["goals"]]
    return table(["goal (issue 17)", "this run: median [95% interval]", "status"], rows)


def training_tables(summary: dict) -> str:
    training = summary["training"]
    if not training:
        return ""
    columns = [c for c in COLUMNS if any(c in t["per step"] for t in training.values())]
    out = ["### Time per training step (median over rounds, CPU time)", ""]
    rows = [
        [name, t["problem"].shape()]
        + [fmt_time(t["per step"][c]["cpu"]) if c in t["per step"] else "–" for c in columns]
        for name, t in training.items()
    ]
    out += [table(["problem", "data", *columns], rows), ""]
    for kind, title in (("cpu", "CPU time"), ("wall", "wall time")):
        labels = [label(n, d) for n, d in RATIOS]
        rows = []
        for name, t in training.items():
            found = {
                label(n, d): (cpu if kind == "cpu" else wall) for n, d, cpu, wall in t["ratios"]
            }
            rows.append([name] + [str(found[x]) if x in found else "–" for x in labels])
        out += [
            f"### Paired ratios, {title}: median [95% interval]",
            "",
            table(["problem", *labels], rows),
            "",
        ]
    rows = [
        [name]
        + [f"{t['per step'][c]['faults']:,.0f}" if c in t["per step"] else "–" for c in columns]
        for name, t in training.items()
    ]
    out += ["### Minor page faults per step (median)", "", table(["problem", *columns], rows), ""]
    rows = []
    for name, t in training.items():
        losses = t["losses"]
        spread = max(abs(v - losses["floor"]) / abs(losses["floor"]) for v in losses.values())
        rows.append([name, str(t["steps"]), f"{losses['floor']:.7g}", f"{spread:.1e}"])
    header = ["problem", "steps taken", "floor's loss at the last", "largest relative difference"]
    out += ["### Losses after the timed steps (checked to agree within 1e-4)", ""]
    out += [table(header, rows), ""]
    return "\n".join(out)


def graph_tables(summary: dict) -> str:
    out = []
    if "chain" in summary:
        chain = summary["chain"]
        rows = [[n, fmt_time(t["cpu"]), fmt_time(t["wall"])] for n, t in chain["seconds"].items()]
        if "ratio" in chain:
            cpu, wall = chain["ratio"]
            rows.append(["tinygrad_lr / PyTorch", str(cpu), str(wall)])
        out += [
            f"### A chain of {chain['ops']:,} tiny ops, forward + backward (gc on)",
            "",
            table(["", "CPU time (median)", "wall time (median)"], rows),
            "",
        ]
    if "per-op" in summary:
        per_op = summary["per-op"]
        phases = ("forward", "backward", "forward + backward")
        rows = [
            [f"{n}, µs per op"] + [f"{us[p]:.2f}" for p in phases] for n, us in per_op["us"].items()
        ]
        for kind, index in (("CPU", 0), ("wall", 1)):
            if "ratios" in per_op:
                rows.append(
                    [f"tinygrad_lr / PyTorch ({kind})"]
                    + [str(per_op["ratios"][p][index]) for p in phases]
                )
        out += [
            f"### Per-op overhead: chains of {per_op['ops']:,} multiplications, "
            f"{per_op['repeats']} per round",
            "",
            table(["", *phases], rows),
            "",
        ]
    return "\n".join(out)


def memory_table(summary: dict) -> str:
    memory = summary.get("memory")
    if not memory:
        return ""
    floor = memory.get("floor")
    rows = [
        [
            name,
            "not measured" if mib is None else f"{mib:.1f}",
            f"{mib / floor:.2f}" if mib is not None and floor else "–",
        ]
        for name, mib in memory.items()
    ]
    steps = summary["settings"]["memory steps"]
    return "\n".join(
        [
            f"### Peak memory added by {steps} steps on the wide problem",
            "",
            table(["", "MiB", "/ floor"], rows),
            "",
        ]
    )


def scaling_table(summary: dict) -> str:
    if "scaling" not in summary:
        return ""
    rows = []
    for n, s in summary["scaling"]["sizes"].items():
        per_row, faults = s["ns per row"], s["faults"]
        rows.append(
            [
                f"{n:,}",
                f"{per_row['floor']:.0f} ns",
                f"{per_row['tinygrad_lr']:.0f} ns",
                str(s["ratio"]),
                f"{faults['floor']:,.0f}",
                f"{faults['tinygrad_lr']:,.0f}",
            ]
        )
    header = [
        "rows",
        "floor, per row",
        "tinygrad_lr, per row",
        "tinygrad_lr / floor",
        "floor, faults per step",
        "tinygrad_lr, faults per step",
    ]
    return "\n".join(
        [
            "### Scaling in rows: full-batch step, 64 features, 10 classes (CPU time)",
            "",
            table(header, rows),
            "",
        ]
    )


def cycles_table(summary: dict) -> str:
    if "cycles" not in summary:
        return ""
    rows = [[k, str(v)] for k, v in summary["cycles"].items()]
    return "\n".join(
        [
            "### Objects the cyclic collector finds (collector off during the work)",
            "",
            table(["after", "objects found by gc.collect()"], rows),
            "",
        ]
    )


def text(summary: dict, image: Path | None = None) -> str:
    """The results: every table, as printed and as in the document (with the plot's `image`
    under the goals)."""
    parts = [
        environment_line(summary),
        "",
        "### Goals",
        "",
        goals_table(summary),
        "" if image is None else f"\n![the ratios and the scaling]({image.as_posix()})",
        "",
        training_tables(summary),
        graph_tables(summary),
        memory_table(summary),
        scaling_table(summary),
        cycles_table(summary),
    ]
    return "\n".join(parts).rstrip() + "\n"


# --- the plot --------------------------------------------------------------------------------
def plot(summary: dict, path: Path) -> Path:
    """Left: the paired ratios (CPU) with their intervals and goals; right: time per row."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.5), width_ratios=[1.4, 1])
    entries = []  # (label, interval, goal or None, colour)
    shown = [
        ("tinygrad_lr", "floor"),
        ("primitives floor", "floor"),  # beside the goal: what no engine of these ops wins back
        ("tinygrad_lr fused", "floor"),
        ("tinygrad_lr", "PyTorch"),
    ]
    colours = {"floor": "tab:blue", "PyTorch": "tab:orange", "primitives floor": "tab:gray"}
    for name, t in summary["training"].items():
        for n, d, cpu, _ in t["ratios"]:
            if (n, d) in shown:
                goal = TRAINING_GOALS.get(
                    (name, "tinygrad_lr" if n == "primitives floor" else n, d)
                )
                colour = colours[n] if n in colours else colours[d]
                entries.append((f"{name}: {label(n, d)}", cpu, goal, colour))
    if "ratio" in summary.get("chain", {}):
        entries.append(
            ("chain: tinygrad_lr / PyTorch", summary["chain"]["ratio"][0], 1.0, "tab:orange")
        )
    if "ratios" in summary.get("per-op", {}):
        cpu = summary["per-op"]["ratios"]["forward + backward"][0]
        entries.append(("per op: tinygrad_lr / PyTorch", cpu, 1.0, "tab:orange"))
    for y, (_, interval, goal, colour) in enumerate(reversed(entries)):
        left.errorbar(
            interval.median,
            y,
            xerr=[[interval.median - interval.low], [interval.high - interval.median]],
            fmt="o",
            color=colour,
            capsize=3,
        )
        if goal is not None:
            left.plot(goal, y, marker="|", color="tab:red", markersize=14, mew=2)
    left.set_yticks(range(len(entries)), [e[0] for e in reversed(entries)], fontsize=8)
    left.set_xscale("log")
    ticks = [0.1, 0.2, 0.3, 0.5, 1, 1.5, 2, 3, 5, 10, 20]
    low, high = left.get_xlim()
    shown_ticks = [t for t in ticks if low <= t <= high]
    left.set_xticks(shown_ticks, [f"{t:g}" for t in shown_ticks])
    left.minorticks_off()
    left.axvline(1.0, color="grey", lw=0.8)
    left.set_xlabel("paired ratio, CPU time (median, 95% interval); red bar: the goal")
    left.set_title("tinygrad_lr against the floor and PyTorch")
    if "scaling" in summary:
        sizes = summary["scaling"]["sizes"]
        rows = list(sizes)
        for impl, colour in (("floor", "tab:blue"), ("tinygrad_lr", "tab:green")):
            right.plot(
                rows, [sizes[n]["ns per row"][impl] for n in rows], "o-", color=colour, label=impl
            )
        right.set_xscale("log")
        right.set_ylim(bottom=0)
        right.set_xlabel("rows (full batch, 64 features, 10 classes)")
        right.set_ylabel("CPU time per row (ns)")
        right.set_title("Scaling: flat means linear in rows")
        right.legend()
    else:
        right.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- the document ----------------------------------------------------------------------------
INTRO = """\
# Benchmarks

*Written by `python -m benchmarks` (the same as `tinygrad-lr bench --out docs`), which measures
and rewrites this page and its plot; the text is in `tinygrad_lr/bench/report.py`.*

How fast tinygrad_lr trains, against the **floor** (the leanest training step NumPy can take, on
the same BLAS), against PyTorch's eager mode, and against the goals of issue 17. Only ratios
measured in one run count: absolute times vary between machines, and on a shared machine from
minute to minute.

## What is measured

**Training steps.** One step of the lesson's model: logits z = X Wᵀ + b, class-weighted
cross-entropy (PyTorch's weighted mean, class weights 1 / count), backward, Adam (lr {lr}),
float32, one thread. Every column starts from the same weights, on the same data, and sees the
same batches in the same order.

| problem | data | steps per timed block |
|---|---|---|
{problems}

The columns:

- **floor**: the leanest NumPy step (`tinygrad_lr/bench/floor.py`): every buffer allocated
  once and reused; the logits kept class-major, (C, N), so that the row max, the row sums and
  the per-row broadcasts run along contiguous memory; exp in place; the closed-form gradient
  w_y (softmax − onehot(y)) / Σ w_y written over the softmax; Adam in place, PyTorch's formula.
- **floor (N, C)**: the same step with the logits in PyTorch's (N, C) layout (the row max as C
  column maxima when the classes are few and the rows many, else `max(axis=1)`).
- **primitives floor**: the step as tinygrad_lr's composite computes it, at the least cost
  (`PrimitivesFloor` in the same file): one NumPy call per primitive op of the forward pass
  (MatMul, Add, the detached row max, Sub, Exp, Sum, Log, Sub, Index, Neg, Mul, Sum, Div) and per
  backward rule, each into a buffer allocated once; no tensors, no graph, no checks. No engine
  that runs these primitives on NumPy can take less: `tinygrad_lr / primitives` is what the
  engine itself costs, `primitives / floor` what composing the loss costs against its closed
  form.
- **lesson NumPy**: the lesson's hand-derived NumPy step (`tinygrad_lr/lesson/train.py`), the
  column this page used to compare with.
- **tinygrad_lr**: the step as a user writes it, below: autograd through the primitive ops.
- **tinygrad_lr fused**: the same with `fused.linear` and `fused.cross_entropy`, the optional
  fast path.
- **PyTorch**: the same lines as tinygrad_lr, with torch (eager, CPU,
  `torch.set_num_threads(1)`).

```python
model = lib.nn.Linear(D, C)                       # lib is tinygrad_lr or torch
loss_fn = lib.nn.CrossEntropyLoss(weight=lib.tensor(class_weight))
optimizer = lib.optim.Adam(model.parameters(), lr={lr})

def step(X, y):                                   # X, y: NumPy arrays, a batch
    logits = model(lib.from_numpy(X))
    loss = loss_fn(logits, lib.from_numpy(y))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
```

**Graphs of tiny ops**, the same code for tinygrad_lr and PyTorch on a one-element float32
tensor, with the cyclic garbage collector on, as users run: the *chain* repeats
`y = y * 1.0001 + 0.0` (two ops) from a leaf x, calls `y.backward()` and lets the graph go;
*per-op overhead* builds chains of `y = y * 1.0001` and times the forward and the backward
apart, per op.

**Peak memory**: the wide problem's steps, per implementation, each in a fresh process: the
peak resident memory (`VmHWM`) minus the resident memory once the data is made and the
libraries have run a step on a small problem (so that their code is loaded); what remains is
the model, the optimizer state, the buffers and every step's temporaries.

**Scaling**: tinygrad_lr's full-batch step beside the floor's from 1,000 to 1,000,000 rows (64
features, 10 classes): time per row, and minor page faults per step (a fresh temporary array
faults its pages in on every step; reused memory does not).

**Cycles**: with the cyclic collector off, training steps and a chain, then `gc.collect()`:
the number of objects it finds is what reference counting did not free.

## How

- One thread: every measurement process is started with `OMP_NUM_THREADS`,
  `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS` (and the like) set to 1 before NumPy loads, and
  PyTorch runs on `torch.set_num_threads(1)`.
- Each implementation runs in a process of its own, as a user runs it: its own heap, its own
  garbage, only the libraries it needs (the tinygrad_lr processes never import torch). In one
  shared process the implementations change each other's costs: another library's large
  allocations move the C allocator's threshold for serving large arrays from reused memory
  (which hides per-step page faults), and PyTorch's Python objects lengthen every full pass of
  the garbage collector.
- Interleaved, paired rounds: after a warm-up block each, every round asks each process for
  one timed block, one process at a time, in an order that rotates from round to round; the
  blocks of a round run back to back, so a slow moment of the machine hits them alike.
- Ratios are paired: A / B is taken within each round, and the rounds' ratios are summarised
  by their median and a distribution-free 95% interval for that median from order statistics
  (the sign-test interval: for n rounds, the k-th smallest and k-th largest ratio, k the largest
  with 1 − 2·P(Binomial(n, ½) < k) ≥ 95%; for 31 rounds the 10th and 22nd, coverage 97.1%).
  No bootstrap, no assumption on the distribution.
- CPU time (`time.process_time`, all threads of the process) is the measure the goals are
  judged on; wall time (`time.perf_counter`) is reported beside it and is noisier on a shared
  machine. A goal is met when the median ratio is within it; the status notes when the
  interval crosses the goal.
- Checks: after the timed rounds each implementation takes one more step on the same batch,
  and the losses must agree within 1e-4 (relative); the chain's value and gradient must agree
  between tinygrad_lr and PyTorch. Otherwise the run stops with an error and writes nothing.

## Results
"""

NOTES = """\
## Reading the numbers

- The floor is leaner than the one issue 17 was written against: with the logits class-major,
  the per-row work of the loss runs along contiguous memory. The `floor (N, C)` column is the
  same step in PyTorch's layout, and `tinygrad_lr / floor (N, C)` the ratio against it; an
  engine that returns `nn.Linear`'s output as an (N, C) tensor can still keep class-major
  storage underneath (a transposed view), so the class-major floor is the one the goals use.
- `lesson NumPy / floor` shows why the earlier version of this page looked kinder: its NumPy
  column was the lesson's readable loop, not a floor.
- Page faults: a step that allocates fresh arrays larger than the allocator keeps for reuse
  maps new pages every step, and the kernel zero-fills each on first touch (system time, inside
  the step's CPU time); the floor allocates its buffers once.
- Memory is a single run per implementation, not paired rounds: it varies little between runs.
- `primitives / floor` is what no engine can win back: it is the price of running the loss as
  thirteen primitive ops, each a pass over the (N, C) logits or a call of its own, where the
  floor's closed form makes a few. Where it is above a goal on `tinygrad_lr / floor` (its whole
  95% interval), the goal is out of reach for the composite path the lesson must use (issue 10:
  autograd through primitives), whatever the engine does; the goals table says so. What the
  engine can still win is `tinygrad_lr / primitives`.
"""


def markdown(summary: dict, image: Path) -> str:
    problems = "\n".join(
        f"| {name} | {t['problem'].shape()} | {t['problem'].steps_per_block} |"
        for name, t in summary["training"].items()
    )
    date = datetime.date.today().isoformat()
    return (
        INTRO.format(lr=LR, problems=problems)
        + f"\nMeasured {date} on: "
        + text(summary, image)
        + "\n"
        + NOTES
    )
