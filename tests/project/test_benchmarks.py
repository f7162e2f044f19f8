"""The benchmark: it runs end to end, its columns compute the same losses, its statistics are
right. Its timings are printed, never asserted."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr import cli
from tinygrad_lr.bench import driver, report, steps
from tinygrad_lr.bench.floor import Adam, Floor, FloorRowMajor, PrimitivesFloor
from tinygrad_lr.bench.stats import (
    median_interval,
    order_statistic_ranks,
    paired_ratios,
)

ROOT = Path(__file__).resolve().parents[2]


# --- end to end ------------------------------------------------------------------------------
def test_the_quick_run_works_end_to_end(tmp_path, capsys):
    assert cli.main(["bench", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    document = (tmp_path / "benchmarks.md").read_text()
    assert (tmp_path / "images" / "benchmarks.png").stat().st_size > 0
    assert "](images/benchmarks.png)" in document
    for heading in ("### Goals", "### Paired ratios, CPU time", "### Scaling in rows"):
        assert heading in out and heading in document
    for goal in ("lesson: tinygrad_lr / floor ≤ 1.4", "batch: tinygrad_lr / PyTorch ≤ 0.3"):
        assert goal in document
    assert "not judged (--quick" in document  # small problems are not the goals' problems


def test_the_benchmark_command_explains_itself():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0 and "--quick" in result.stdout and "--only" in result.stdout


def test_the_command_line_lists_the_measurements_the_driver_runs():
    assert cli.BENCH_MEASUREMENTS == driver.MEASUREMENTS


def test_a_failed_measurement_stops_the_run_and_writes_nothing(tmp_path, monkeypatch, capsys):
    def fail(specs, rounds):
        raise driver.MeasurementError("the lesson worker failed")

    monkeypatch.setattr(driver, "measure", lambda spec: {})
    monkeypatch.setattr(driver, "paired_rounds", fail)
    assert driver.run(quick=True, only=["lesson"], out=tmp_path) == 1
    assert "FAILED: the lesson worker failed" in capsys.readouterr().err
    assert not (tmp_path / "benchmarks.md").exists()


def test_losses_that_disagree_stop_the_run(tmp_path, monkeypatch, capsys):
    def disagree(specs, rounds):
        times = {n: {"cpu": [1.0], "wall": [1.0], "faults": [0.0]} for n in specs}
        results = {n: {"loss": 0.5, "steps": 2} for n in specs}
        results["tinygrad_lr"]["loss"] = 0.51
        return times, results

    monkeypatch.setattr(driver, "measure", lambda spec: {})
    monkeypatch.setattr(driver, "paired_rounds", disagree)
    assert driver.run(quick=True, only=["lesson"], out=tmp_path) == 1
    assert "tinygrad_lr disagree with floor" in capsys.readouterr().err
    assert not (tmp_path / "benchmarks.md").exists()


def test_a_worker_that_fails_reports_its_error():
    spec = {"work": "train", "implementation": "no such column", "problem": {}}
    with pytest.raises(driver.MeasurementError, match="the broken worker failed"):
        driver.paired_rounds({"broken": spec}, rounds=1)


def test_a_bad_rounds_count_is_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["bench", "--rounds", "0"])
    assert info.value.code == 2
    assert "argument --rounds: must be at least 1" in capsys.readouterr().err


# --- the same losses -------------------------------------------------------------------------
@pytest.mark.parametrize("problem", list(steps.QUICK_PROBLEMS))
def test_every_column_computes_the_floors_losses(problem):
    pytest.importorskip("torch")
    spec = steps.QUICK_PROBLEMS[problem]
    X, y, class_weight = steps.make_data(spec.rows, spec.features, spec.classes)
    W, b = steps.initial_weights(spec.features, spec.classes)
    batch = steps.batches(spec, X, y)
    losses = {}
    for name, make in steps.IMPLEMENTATIONS.items():
        step = make(W, b, class_weight)
        losses[name] = [step(*batch(s)) for s in range(6)]
    floor = np.array(losses["floor"])
    for name, values in losses.items():
        np.testing.assert_allclose(values, floor, rtol=2e-6, err_msg=name)
    assert all(isinstance(v, float) for v in losses["floor"])


@pytest.mark.parametrize("floor_class", [Floor, FloorRowMajor, PrimitivesFloor])
@pytest.mark.parametrize("problem", ["lesson", "many-classes"])
def test_every_floor_computes_autograds_gradient(floor_class, problem):
    """The floors' own backward passes, held against tinygrad_lr's autograd on one batch (Adam
    barely feels a wrong gradient, so equal losses alone would not show one)."""
    import tinygrad_lr as tg

    spec = steps.QUICK_PROBLEMS[problem]
    X, y, class_weight = steps.make_data(spec.rows, spec.features, spec.classes)
    W, b = steps.initial_weights(spec.features, spec.classes)
    floor = floor_class(W, b, class_weight, steps.LR)
    loss = floor.step(X, y)
    weight, bias = tg.tensor(W, requires_grad=True), tg.tensor(b, requires_grad=True)
    logits = tg.nn.functional.linear(tg.from_numpy(X), weight, bias)
    expected = tg.nn.functional.cross_entropy(logits, tg.from_numpy(y), weight=class_weight)
    expected.backward()
    assert loss == pytest.approx(expected.item(), rel=1e-6)
    np.testing.assert_allclose(floor.dW, weight.grad.numpy(), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(floor.db, bias.grad.numpy(), rtol=1e-4, atol=1e-7)


def test_the_floors_adam_is_pytorchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(5)]
    ours, theirs = start.copy(), torch.tensor(start, requires_grad=True)
    adam, torch_adam = Adam([ours], lr=0.01), torch.optim.Adam([theirs], lr=0.01)
    for g in grads:
        adam.step([g])
        theirs.grad = torch.tensor(g)
        torch_adam.step()
    np.testing.assert_allclose(ours, theirs.detach().numpy(), rtol=0, atol=2e-7)


def test_disagreeing_losses_fail_loudly():
    driver.check_agreement("losses", {"floor": 0.5, "tinygrad_lr": 0.5 * (1 + 1e-6)})
    with pytest.raises(driver.DisagreementError, match="PyTorch disagree with floor"):
        driver.check_agreement("losses", {"floor": 0.5, "PyTorch": 0.5001})


def test_the_chain_computes_the_same_value_and_gradient_in_both_libraries():
    torch = steps.torch_module() or pytest.skip("PyTorch is not installed")
    import tinygrad_lr as tg

    value, grad = steps.chain(tg, 1_000)
    assert (value, grad) == pytest.approx(steps.chain(torch, 1_000), rel=1e-6)
    assert value == pytest.approx(1.0001**500, rel=1e-4)


# --- statistics on synthetic numbers ---------------------------------------------------------
def test_ratios_are_paired_round_by_round():
    assert paired_ratios([2.0, 4.0, 6.0], [1.0, 2.0, 2.0]) == [2.0, 2.0, 3.0]
    # the median of the paired ratios, not the ratio of the medians
    a, b = [1.0, 2.0, 3.0], [1.0, 1.0, 4.0]
    assert median_interval(paired_ratios(a, b)).median == 1.0
    assert np.median(a) / np.median(b) == 2.0
    with pytest.raises(ValueError, match="unpaired"):
        paired_ratios([1.0], [1.0, 2.0])


@pytest.mark.parametrize(
    ("n", "ranks"),
    [(31, (10, 22)), (30, (10, 21)), (11, (2, 10)), (6, (1, 6)), (5, (1, 5)), (1, (1, 1))],
)
def test_the_interval_takes_the_order_statistics_of_the_sign_test(n, ranks):
    low, high, coverage = order_statistic_ranks(n)
    assert (low, high) == ranks
    exact = 1 - 2 * sum(math.comb(n, i) for i in range(low)) / 2**n
    assert coverage == pytest.approx(exact)
    if n >= 6:  # the narrowest interval with coverage ≥ 95%: one rank narrower falls short
        assert coverage >= 0.95
        assert 1 - 2 * sum(math.comb(n, i) for i in range(low + 1)) / 2**n < 0.95


def test_the_interval_of_31_values_is_the_10th_and_22nd():
    values = list(np.random.default_rng(0).permutation(np.arange(1.0, 32.0)))
    interval = median_interval(values)
    assert (interval.median, interval.low, interval.high) == (16.0, 10.0, 22.0)
    assert interval.coverage == pytest.approx(0.9705, abs=1e-4)


def test_the_interval_covers_the_true_median_at_least_95_percent_of_the_time():
    rng = np.random.default_rng(17)
    samples = rng.lognormal(0.0, 0.5, size=(4000, 31))  # true median exp(0) = 1
    hits = [(i := median_interval(list(s))).low <= 1.0 <= i.high for s in samples]
    assert 0.955 <= np.mean(hits) <= 0.985  # the exact coverage is 0.9705


def test_a_goal_notes_an_interval_that_crosses_it():
    cpu = median_interval([1.1, 1.2, 1.3, 1.5, 1.6, 1.7])
    assert cpu.median == pytest.approx(1.4) and (cpu.low, cpu.high) == (1.1, 1.7)
    assert report.ratio_goal("g", cpu, cpu, 1.35).status() == (
        "**not met** (its interval reaches below the goal)"
    )
    assert report.ratio_goal("g", cpu, cpu, 1.45).status() == (
        "met (its interval reaches above the goal)"
    )
    assert report.ratio_goal("g", cpu, cpu, 2.0).status() == "met"
    assert report.ratio_goal("g", cpu, cpu, 1.0).status() == "**not met**"
    assert not report.ratio_goal("g", cpu, cpu, cpu.median, strict=True).met


def test_scaling_is_judged_on_the_growth_of_time_per_row():
    def times(seconds_per_step):
        return {"cpu": [seconds_per_step] * 3, "wall": [seconds_per_step] * 3, "faults": [0] * 3}

    def verdict(tinygrad_seconds):
        by_rows = {
            str(n): {"floor": times(n * 1e-8), "tinygrad_lr": times(t)}
            for n, t in zip((1_000, 10_000, 100_000), tinygrad_seconds)
        }
        goals = []
        report.scaling_summary({"by_rows": by_rows}, goals)
        return goals[0].met, goals[1].met

    assert verdict([1e-3, 5e-3, 5e-2]) == (True, True)  # per row: 1000, 500, 500 ns
    assert verdict([1e-3, 1e-2, 2e-1]) == (False, True)  # per row: 1000, 1000, 2000 ns
