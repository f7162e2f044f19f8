"""The README's Python examples run as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.mark.parametrize("code", EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))])
def test_readme_example_runs(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files, such as model.npz
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})


def _text_block(starting: str) -> str:
    return re.search(rf"```text\n({re.escape(starting)}.*?)```", README.read_text(), re.S).group(1)


# A figure at rounding level (1e-6 or below in scientific notation: float32's or float64's
# rounding, a gradient norm at the optimum) depends on the machine's BLAS and CPU, not on the
# code: such figures are compared as "small", everything else character for character. A
# figure that grew above 1e-6 is not masked, so it still fails the comparison.
_ROUNDING_LEVEL = re.compile(r"\b\d\.\d+e(-0[6-9]|-[1-9]\d|\+00)\b")


def _masked(text: str) -> str:
    return _ROUNDING_LEVEL.sub("<rounding>", text)


def test_readme_lesson_output_is_what_the_command_prints(tumors_csv, tmp_path, capsys):
    from tinygrad_lr.cli import main

    assert main(["lesson", "--data", str(tumors_csv), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    printed = printed.replace(str(tumors_csv), "path/to/tumors.csv")
    printed = printed.replace(str(tmp_path), "lesson_output")
    expected = _text_block("$ tinygrad-lr lesson").split("\n", 1)[1]
    assert _masked(printed) == _masked(expected)


def test_readme_trace_excerpt_is_what_the_graph_command_prints(tmp_path, capsys):
    from tinygrad_lr.cli import main

    assert main(["graph", "--out", str(tmp_path)]) == 0
    printed = _masked(capsys.readouterr().out).splitlines()
    for line in _masked(_text_block("step op")).splitlines():
        if line.strip() and line.strip() != "...":
            assert line in printed, line
