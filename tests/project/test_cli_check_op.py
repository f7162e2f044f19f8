"""`tinygrad-lr check-op FILE.py:NAME [--torch EXPR]`: exit 0 when the op passes, 1 when it does
not (with the kit's message), 2 with one argparse-style line when the file, the name or the
expression cannot be used."""

import subprocess
import sys

import pytest

from tinygrad_lr.cli import main

OPS = '''
from tinygrad_lr.autograd import Function


class MyMul(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, grad * x


class RowSummedMul(MyMul):
    """Sums y's gradient over rows itself, and over the wrong dim when y is a column."""

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        gy = grad * x
        if gy.ndim == 2 and y.ndim == 2 and y.shape[1] == 1:
            gy = gy.sum(dim=0, keepdim=True).T[: y.shape[0]]
        return grad * y, gy


def softplus(x):
    return (x.exp() + 1).log()


def halved_softplus_gradient(x):
    return HalfGrad.apply(x)


class HalfGrad(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x.exp() + 1).log()

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x.sigmoid() / 2


NOT_AN_OP = 3
'''


@pytest.fixture
def ops_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_ops.py").write_text(OPS)
    return "my_ops.py"


@pytest.mark.parametrize(
    "argv",
    [
        ["my_ops.py:softplus"],
        ["my_ops.py:MyMul", "--torch", "lambda x, y: x * y"],
        ["my_ops.py:softplus", "--torch", "lambda x: F.softplus(x)"],
    ],
)
def test_a_right_op_passes_with_status_0(ops_file, argv, capsys):
    assert main(["check-op", *argv]) == 0
    assert " passes in " in capsys.readouterr().out


def test_a_function_without_a_torch_reference_is_held_to_central_differences(ops_file, capsys):
    assert main(["check-op", "my_ops.py:MyMul"]) == 0
    out = capsys.readouterr().out
    assert "note: no PyTorch reference for my_ops.py:MyMul" in out
    assert "against central differences" in out


def test_a_wrong_broadcast_reduction_fails_with_status_1_naming_input_and_case(ops_file, capsys):
    assert main(["check-op", "my_ops.py:RowSummedMul", "--torch", "lambda x, y: x * y"]) == 1
    out = capsys.readouterr().out
    assert "check_op_kit: my_ops.py:RowSummedMul FAILED" in out
    assert "in case 'full and column' (x (3, 4), y (3, 1)), float64" in out
    assert "gradient of input 1 (y)" in out or "error in backward" in out
    assert "load_op('my_ops.py:RowSummedMul')[0]" in out  # the reproducer


def test_a_wrong_rule_in_a_plain_function_is_traced_to_its_function(ops_file, capsys):
    assert main(["check-op", "my_ops.py:halved_softplus_gradient", "--torch", "F.softplus"]) == 1
    out = capsys.readouterr().out
    assert "gradient of input 0 (x) in case 'scalar' (x ()), float64" in out
    assert "first diverges at HalfGrad (node 1 of 1, input 0)" in out


def test_the_reproducer_printed_fails_the_same_way(ops_file, capsys):
    main(["check-op", "my_ops.py:halved_softplus_gradient", "--torch", "F.softplus"])
    reproducer = capsys.readouterr().out.split("(paste into a test file):\n", 1)[1]
    namespace = {}
    exec(compile(reproducer, "reproducer", "exec"), namespace)
    test = next(v for k, v in namespace.items() if k.startswith("test_"))
    with pytest.raises(AssertionError, match="first diverges at HalfGrad"):
        test()


def _usage_error(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    *usage, error = captured.err.strip().splitlines()
    assert usage[0].startswith("usage: tinygrad-lr check-op")
    return error


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["missing.py:op"], "argument FILE.py:NAME: no file missing.py"),
        (["my_ops.py"], "argument FILE.py:NAME: expected FILE.py:NAME"),
        (["my_ops.py:nope"], "argument FILE.py:NAME: my_ops.py has no 'nope'; it defines HalfGrad"),
        (
            ["my_ops.py:NOT_AN_OP"],
            "argument FILE.py:NAME: NOT_AN_OP in my_ops.py is a value of type int",
        ),
        (["my_ops.py:MyMul", "--torch", "lambda x,"], "argument --torch: 'lambda x,' is not"),
        (["my_ops.py:MyMul", "--torch", "3"], "argument --torch: '3' gives a value of type int"),
        (["my_ops.py:MyMul", "--torch", "nothing"], "argument --torch: 'nothing' raised NameError"),
        ([], "the following arguments are required: FILE.py:NAME"),
    ],
)
def test_a_usage_error_is_one_line_and_status_2(ops_file, argv, expected, capsys):
    error = _usage_error(capsys, ["check-op", *argv])
    assert error.startswith(f"tinygrad-lr check-op: error: {expected}"), error


def test_a_file_with_a_syntax_error_is_one_line(ops_file, tmp_path, capsys):
    (tmp_path / "bad.py").write_text("def op(x:\n    return x\n")
    error = _usage_error(capsys, ["check-op", "bad.py:op"])
    assert error.startswith("tinygrad-lr check-op: error: argument FILE.py:NAME: bad.py, line 1: ")


def test_from_the_shell_the_statuses_are_0_1_and_2(ops_file, tmp_path):
    def status(*argv):
        command = [sys.executable, "-m", "tinygrad_lr", "check-op", *argv]
        result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
        assert "Traceback" not in result.stderr
        return result.returncode

    assert status("my_ops.py:MyMul", "--torch", "lambda x, y: x * y") == 0
    assert status("my_ops.py:HalfGrad", "--torch", "F.softplus") == 1
    assert status("my_ops.py:nope") == 2
