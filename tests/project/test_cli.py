"""The `tinygrad-lr` command runs end to end, and every mistake in its arguments, data file or
output folder ends in one argparse-style line and exit status 2, before any training."""

import os
import pathlib
import subprocess
import sys
import urllib.error
import urllib.request

import pandas as pd
import pytest

from tinygrad_lr.cli import main
from tinygrad_lr.lesson import pipeline, train

HEADER = "leukocyte_count,blood_pressure,tumor_class\n"
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0  # root reads and writes past chmod


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


# --- user errors: one line, exit status 2, no training ---------------------------------------
@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any command gets as far as preparing the data or training."""

    def training_ran(*args, **kwargs):
        raise AssertionError("training started despite a user error")

    monkeypatch.setattr(pipeline, "prepare", training_ran)
    monkeypatch.setattr(pipeline, "run_lesson", training_ran)
    monkeypatch.setattr(train, "fit", training_ran)


def usage_error(capsys, argv: list[str]) -> str:
    """Run the command, expect argparse's exit 2, and return its one error line."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    *usage, error = captured.err.strip().splitlines()
    assert usage[0].startswith("usage: tinygrad-lr")
    assert all(line.startswith(" ") for line in usage[1:])  # the usage, wrapped
    assert ": error: " in error
    return error


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["lesson", "--epochs", "0"], "argument --epochs: must be from 1 to 10,000, got 0"),
        (["lesson", "--epochs", "-5"], "argument --epochs: must be from 1 to 10,000, got -5"),
        (["lesson", "--epochs=-5"], "argument --epochs: must be from 1 to 10,000, got -5"),
        (["parity", "--epochs", "10001"], "argument --epochs: must be from 1 to 10,000"),
        (["lesson", "--epochs", "abc"], "argument --epochs: expected a whole number, got 'abc'"),
        (["lesson", "--epochs", "2.5"], "argument --epochs: expected a whole number"),
        (["lesson", "--lr", "0"], "argument --lr: must be positive and finite, got 0"),
        (["lesson", "--lr", "-1"], "argument --lr: must be positive and finite, got -1"),
        (["parity", "--lr", "nan"], "argument --lr: must be positive and finite, got nan"),
        (["lesson", "--lr", "inf"], "argument --lr: must be positive and finite, got inf"),
        (["lesson", "--lr", "fast"], "argument --lr: expected a number, got 'fast'"),
        (["lesson", "--seed", "-1"], "argument --seed: must be from 0 to 2**32 - 1"),
        (["graph", "--seed", str(2**32)], "argument --seed: must be from 0 to 2**32 - 1"),
        (["demo", "--seed", "-3"], "argument --seed: must be from 0 to 2**32 - 1"),
    ],
)
def test_a_bad_number_is_one_line_naming_the_argument(argv, expected, capsys, no_training):
    error = usage_error(capsys, argv)
    assert error.startswith(f"tinygrad-lr {argv[0]}: error: {expected}")


def test_the_largest_seed_numpy_takes_is_accepted(capsys, no_training):
    # parsing passes; the run then stops at the (patched) preparation, not at the seed
    with pytest.raises(AssertionError, match="training started"):
        main(["parity", "--seed", str(2**32 - 1)])


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["lesson", "--bogus"], "tinygrad-lr lesson: error: unrecognized arguments: --bogus"),
        (["graph", "--epochs", "3"], "tinygrad-lr graph: error: unrecognized arguments: --epochs"),
        (["graph", "--lr", "0.1"], "tinygrad-lr graph: error: unrecognized arguments: --lr 0.1"),
        (["parity", "--out", "x"], "tinygrad-lr parity: error: unrecognized arguments: --out x"),
        ([], "tinygrad-lr: error: the following arguments are required: command"),
        (["train"], "tinygrad-lr: error: argument command: invalid choice: 'train'"),
    ],
)
def test_an_unknown_option_or_a_missing_command_is_one_line(argv, expected, capsys, no_training):
    assert usage_error(capsys, argv).startswith(expected)


def _csv(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("command", ["lesson", "parity", "graph"])
def test_a_missing_data_file_is_one_line_in_every_command(command, tmp_path, capsys, no_training):
    missing = tmp_path / "tumors.csv"
    error = usage_error(capsys, [command, "--data", str(missing)])
    assert error.startswith(f"tinygrad-lr {command}: error: argument --data: no file {missing}")


@pytest.mark.parametrize(
    "contents, expected",
    [
        ("a,b\n1,2\n", "missing column(s) leukocyte_count, blood_pressure, tumor_class"),
        (HEADER + "13,x,benign\n", "blood_pressure must be numeric"),
        (HEADER + "13,14,unknown\n", "unknown tumor_class label(s) 'unknown'"),
        (HEADER + "13,14,benign\n" * 6 + "13,14,malignant\n" * 5, "malignant has 5"),
        (HEADER + "13,14,benign\n" * 9, "malignant has 0"),
        (HEADER + ("13,inf,benign\n13,14,malignant\n" * 6), "blood_pressure must be a finite"),
        ("", "not a readable CSV file"),
    ],
)
def test_a_file_that_is_not_the_tumour_csv_is_one_line_naming_it(
    contents, expected, tmp_path, capsys, no_training
):
    path = _csv(tmp_path, "data.csv", contents)
    error = usage_error(capsys, ["lesson", "--data", path, "--out", str(tmp_path / "out")])
    assert error.startswith("tinygrad-lr lesson: error: argument --data: ")
    assert path in error and expected in error


def test_a_binary_file_is_one_line(tmp_path, capsys, no_training):
    path = tmp_path / "data.csv"
    path.write_bytes(b"\x00\xd0\xff\xfe" * 64)
    error = usage_error(capsys, ["parity", "--data", str(path)])
    assert f"argument --data: {path}: not a readable CSV file" in error


def test_a_folder_given_as_data_is_one_line(tmp_path, capsys, no_training):
    error = usage_error(capsys, ["lesson", "--data", str(tmp_path), "--out", str(tmp_path)])
    assert error.endswith(f"argument --data: {tmp_path} is a folder, not the tumour CSV")


def test_an_unreadable_data_file_is_one_line(tmp_path, capsys, no_training, monkeypatch):
    path = _csv(tmp_path, "data.csv", HEADER)

    def denied(source, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(source))

    monkeypatch.setattr(pd, "read_csv", denied)  # what reading a chmod 000 file raises
    error = usage_error(capsys, ["parity", "--data", path])
    assert error.endswith(f"argument --data: cannot read {path} (Permission denied)")


@pytest.mark.skipif(AS_ROOT or os.name == "nt", reason="chmod does not stop root")
def test_a_data_file_without_read_permission_is_one_line(tmp_path, capsys, no_training):
    path = tmp_path / "data.csv"
    path.write_text(HEADER)
    path.chmod(0)
    try:
        error = usage_error(capsys, ["parity", "--data", str(path)])
    finally:
        path.chmod(0o600)
    assert f"argument --data: cannot read {path}" in error


def test_a_failed_download_of_the_lesson_csv_is_one_line(
    tmp_path, capsys, no_training, monkeypatch
):
    monkeypatch.setenv("TINYGRAD_LR_CACHE", str(tmp_path / "cache"))  # nothing cached

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    error = usage_error(capsys, ["lesson", "--data", "lesson", "--out", str(tmp_path / "out")])
    assert "argument --data: could not download the lesson's CSV" in error
    assert "pass --data PATH to a local copy, or --data synthetic" in error


@pytest.mark.parametrize("command", ["lesson", "graph"])
def test_an_out_that_is_a_file_is_one_line(command, tmp_path, capsys, no_training):
    existing = tmp_path / "pictures"
    existing.write_text("keep me")
    error = usage_error(capsys, [command, "--out", str(existing)])
    assert error.endswith(f"argument --out: {existing} is an existing file; --out names a folder")
    assert existing.read_text() == "keep me"


def test_an_out_under_a_file_is_one_line(tmp_path, capsys, no_training):
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = blocker / "a" / "b"
    error = usage_error(capsys, ["lesson", "--out", str(out)])
    assert error.endswith(
        f"argument --out: {blocker} is a file, so the folder {out} cannot be made"
    )


def test_an_out_that_cannot_be_written_is_one_line(tmp_path, capsys, no_training, monkeypatch):
    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(pathlib.Path, "touch", denied)  # what a read-only folder raises
    error = usage_error(capsys, ["graph", "--out", str(tmp_path)])
    assert error.endswith(
        f"argument --out: cannot write in the folder {tmp_path} (Permission denied)"
    )


@pytest.mark.skipif(AS_ROOT or os.name == "nt", reason="chmod does not stop root")
def test_an_out_in_a_read_only_folder_is_one_line(tmp_path, capsys, no_training):
    tmp_path.chmod(0o500)
    try:
        error = usage_error(capsys, ["lesson", "--out", str(tmp_path / "new")])
        error_inside = usage_error(capsys, ["lesson", "--out", str(tmp_path)])
    finally:
        tmp_path.chmod(0o700)
    assert "argument --out: cannot create the folder" in error
    assert "argument --out: cannot write in the folder" in error_inside


def test_the_out_check_comes_before_loading_the_data(tmp_path, capsys, monkeypatch):
    def loaded(*args, **kwargs):
        raise AssertionError("the data was loaded before --out was checked")

    monkeypatch.setattr(pipeline, "load_data", loaded)
    (tmp_path / "file").write_text("")
    error = usage_error(capsys, ["lesson", "--out", str(tmp_path / "file")])
    assert "argument --out" in error


def test_a_bad_epochs_from_the_shell_is_one_line_and_status_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr", "lesson", "--epochs", "-5"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "tinygrad-lr lesson: error: argument --epochs: must be from 1 to 10,000, got -5"
    )
    assert not (tmp_path / "lesson_output").exists()  # stopped before the --out folder


def test_the_program_without_arguments_prints_its_usage_and_status_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tinygrad_lr"], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage: tinygrad-lr")
    assert "Traceback" not in result.stderr


# --- graph: seeded, and only the flags it uses -------------------------------------------------
def test_graph_with_the_same_seed_prints_the_same_numbers(tmp_path, capsys):
    out = tmp_path / "new" / "folder"  # created by the command
    runs = []
    for seed in ("7", "7", "8"):
        assert main(["graph", "--seed", seed, "--out", str(out)]) == 0
        runs.append(capsys.readouterr().out)
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]  # the seed is used: other weights, other numbers
    assert "largest difference" in runs[0]
    names = {p.name for p in out.iterdir()}
    assert names in ({"graph.svg"}, {"graph.dot"})  # the writability probe left nothing behind
