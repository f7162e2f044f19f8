"""`tinygrad-lr exercises`: the grader passes the solutions, fails the untouched stubs cleanly
(NOT DONE, no traceback), and names the shape case and the element of a wrong rule."""

import subprocess
import sys
from pathlib import Path

import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.lesson import exercises

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "lessons" / "exercises" / "backward_rules.py"
SOLUTIONS = ROOT / "lessons" / "exercises" / "solutions" / "backward_rules.py"


def _statuses(grades):
    return {g.exercise.name: g.status for g in grades}


def test_the_solutions_pass_every_exercise(capsys):
    assert main(["exercises", str(SOLUTIONS)]) == 0
    out = capsys.readouterr().out
    assert f"8 of {len(exercises.EXERCISES)} exercises pass, 0 fail, 0 not done" in out
    assert "FAIL" not in out and "NOT DONE" not in out


def test_the_exercises_cover_the_ops_the_issue_names():
    names = [e.name for e in exercises.EXERCISES]
    assert names == [
        "Mul",
        "Exp",
        "Log",
        "SumDim",
        "MatMul",
        "LogSoftmax",
        "CrossEntropy",
        "SoftmaxRegressionLoss",
    ]


def test_the_untouched_stubs_are_all_not_done_cleanly_from_the_shell():
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "exercises"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr and result.stderr == ""
    assert result.stdout.count("NOT DONE") == len(exercises.EXERCISES)
    assert "0 of 8 exercises pass, 0 fail, 8 not done" in result.stdout
    assert "dz/dx = 1 / x" in result.stdout  # each stub's own hint is shown


def _broken(tmp_path, old, new):
    source = SOLUTIONS.read_text()
    assert old in source
    path = tmp_path / "my_rules.py"
    path.write_text(source.replace(old, new))
    return path


@pytest.mark.parametrize(
    "exercise, old, new, case, found",
    [
        (
            "MatMul",
            "grad @ y.T, x.T @ grad",
            "grad @ y, x.T @ grad",
            "'rectangular' (x (3, 4), y (4, 2)), float64",
            "error in backward of MatMul (node 1 of 1): ShapeError",
        ),
        (
            "SumDim",
            "grad.unsqueeze(ctx.dim).expand",
            "grad.expand",
            "'full' (x (3, 4)), float64",
            "error in backward of SumDim (node 1 of 1): ShapeError: expand",
        ),
        (
            "Mul",
            "grad * y, grad * x",
            "grad * y, grad * x * 1.01",
            "'same shape' (x (3, 4), y (3, 4)), float64",
            "gradient of input 1 (y) at element (0, 0): tinygrad_lr autograd",
        ),
        (
            "LogSoftmax",
            "grad - z.exp() * grad.sum(dim=-1, keepdim=True)",
            "grad - z.exp() * grad.sum(dim=-1, keepdim=True) * 1.001",
            "'full' (x (3, 4)), float64",
            "gradient of input 0 (x) at element (0, 0)",
        ),
        (
            "SoftmaxRegressionLoss",
            "dlogits.sum(dim=0), None",
            "dlogits.mean(dim=0), None",
            "'N 6, D 2, C 2 (the lesson's sizes)' (X (6, 2), W (2, 2), b (2,), y (6,) int64), "
            "float64",
            "gradient of input 2 (b) at element (0,)",
        ),
    ],
)
def test_a_wrong_rule_fails_naming_the_case_and_the_element(
    tmp_path, exercise, old, new, case, found
):
    grades = exercises.grade(_broken(tmp_path, old, new))
    statuses = _statuses(grades)
    assert statuses.pop(exercise) == "FAIL"
    assert set(statuses.values()) == {"PASS"}
    grade = next(g for g in grades if g.exercise.name == exercise)
    first, hint = grade.details
    assert first.startswith(f"case {case}: {found}"), first
    assert hint == f"hint: {grade.exercise.hint}"


def test_a_softmax_that_overflows_in_float32_fails_on_large_logits(tmp_path):
    source = SOLUTIONS.read_text()
    source = source.replace(
        "        z = log_softmax(x)\n        ctx.save_for_backward(z)",
        "        z = log_softmax(x)\n        ctx.x = x\n        ctx.save_for_backward(z)",
    )
    source = source.replace(
        "return grad - z.exp() * grad.sum(dim=-1, keepdim=True)",
        "return grad - ctx.x.exp() / ctx.x.exp().sum(dim=-1, keepdim=True) * grad.sum(dim=-1, "
        "keepdim=True)",
    )
    path = tmp_path / "naive.py"
    path.write_text(source)
    grade = next(g for g in exercises.grade(path) if g.exercise.name == "LogSoftmax")
    assert grade.status == "FAIL"
    assert grade.details[0].startswith("case 'large logits in [50, 150)' (x (3, 5)), float32")
    assert "nan" in grade.details[0]


def test_a_file_missing_a_class_fails_that_exercise(tmp_path):
    path = tmp_path / "partial.py"
    path.write_text(SOLUTIONS.read_text().replace("class Exp(", "class Exponential("))
    grade = next(g for g in exercises.grade(path) if g.exercise.name == "Exp")
    assert grade.status == "FAIL" and grade.details == ["the file has no class Exp"]


def _usage_error(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


def test_a_missing_file_is_one_usage_line(tmp_path, capsys):
    line = _usage_error(capsys, ["exercises", str(tmp_path / "nope.py")])
    assert line == f"tinygrad-lr exercises: error: argument FILE: no file {tmp_path / 'nope.py'}"


def test_a_file_with_a_syntax_error_is_one_usage_line(tmp_path, capsys):
    path = tmp_path / "broken.py"
    path.write_text("class Mul(:\n")
    line = _usage_error(capsys, ["exercises", str(path)])
    assert line.startswith(f"tinygrad-lr exercises: error: argument FILE: {path}, line 1: ")
