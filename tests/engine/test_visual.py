"""The graph drawing and the backward trace, on the lesson's model."""

import re
import shutil
import subprocess

import numpy as np
import pytest

from tinygrad_lr import fused as tg_fused
from tinygrad_lr import nn, tensor, visual

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(
    not HAS_DOT,
    reason="Graphviz's dot program is not installed (CI installs it; apt-get install graphviz)",
)
# The recorded ops of cross-entropy over a linear layer, in forward order (log_softmax's row
# max is detached, so its Max op is not part of the graph).
LESSON_OPS = [
    "Permute",
    "MatMul",
    "Add",
    "Sub",
    "Exp",
    "Sum",
    "Log",
    "Sub",
    "Index",
    "Neg",
    "Sum",
    "Div",
]


class LessonModel(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(2, 2, dtype=np.float64, generator=np.random.default_rng(0))

    def forward(self, x):
        return self.fc(x)


@pytest.fixture
def step():
    """One training step of the lesson's model: model, input, targets, loss (graph retained)."""
    rng = np.random.default_rng(1)
    model = LessonModel()
    X = tensor(rng.standard_normal((6, 2)), name="X")
    y = np.array([0, 1, 1, 0, 1, 1])
    # nn.Linear and CrossEntropyLoss are compositions of primitives: the graph shows each one
    loss = nn.CrossEntropyLoss()(model(X), y)
    loss.name = "loss"
    return model, X, y, loss


def _parse(dot):
    nodes = dict(re.findall(r'^\s+(\w+) \[label="(.*?)"', dot, flags=re.M))
    edges = re.findall(r"^\s+(\w+) -> (\w+);", dot, flags=re.M)
    return nodes, edges


def test_module_parameters_are_named_after_their_attributes():
    model = LessonModel()
    assert [p.name for p in model.parameters()] == ["fc.weight", "fc.bias"]


def test_dot_has_every_op_tensor_and_edge_of_the_lesson_model(step):
    _model, _X, _y, loss = step
    dot = visual.draw_graph(loss)
    nodes, edges = _parse(dot)
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    ops = [label for key, label in nodes.items() if key.startswith("op")]
    assert sorted(ops) == sorted(LESSON_OPS)
    labels = list(nodes.values())
    for name, shape in (
        ("fc.weight", "(2, 2)"),
        ("fc.bias", "(2,)"),
        ("X", "(6, 2)"),
        ("loss", "()"),
    ):
        assert any(label.startswith(f"{name}\\n{shape} float64") for label in labels), name
    for a, b in edges:  # tensors feed ops and ops make tensors: data flows one way
        assert a in nodes and b in nodes
        assert (a.startswith("t") and b.startswith("op")) or (
            a.startswith("op") and b.startswith("t")
        )
    loss_key = next(k for k, v in nodes.items() if v.startswith("loss"))
    assert not any(a == loss_key for a, _ in edges)  # the loss is where the data ends


def test_parameters_and_inputs_are_drawn_in_different_styles(step):
    _, _, _, loss = step
    dot = visual.draw_graph(loss)
    weight_line = next(line for line in dot.splitlines() if "fc.weight" in line)
    x_line = next(line for line in dot.splitlines() if 'label="X' in line)
    assert "filled" in weight_line and "dashed" in x_line


def test_dot_shows_gradients_after_backward(step):
    model, _, _, loss = step
    assert "\\ngrad " not in visual.draw_graph(loss)
    loss.backward(retain_graph=True)
    dot = visual.draw_graph(loss)
    assert f"grad {visual.summary(model.fc.weight.grad.numpy())}" in dot
    assert "\\ngrad " not in visual.draw_graph(loss, show_grad=False)


@needs_dot
def test_dot_text_is_valid_graphviz(step):
    result = subprocess.run(
        ["dot", "-Tcanon"], input=visual.draw_graph(step[3]).encode(), capture_output=True
    )
    assert result.returncode == 0, result.stderr


@needs_dot
@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_rendering_writes_a_real_picture(step, tmp_path, suffix, magic):
    path = tmp_path / f"graph{suffix}"
    visual.draw_graph(step[3], path)
    content = path.read_bytes()
    assert content.startswith(magic) and len(content) > 2000
    if suffix == ".svg":
        assert "fc.weight" in content.decode()


def test_without_graphviz_the_dot_file_is_written_and_a_message_says_how_to_install(
    step, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(visual.shutil, "which", lambda name: None)
    dot = visual.draw_graph(step[3], tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()
    assert (tmp_path / "graph.dot").read_text() == dot
    message = capsys.readouterr().out
    assert "install Graphviz" in message and "graph.dot" in message


def test_a_graph_released_by_backward_says_so(step):
    _, _, _, loss = step
    loss.backward()
    assert "released by backward" in visual.draw_graph(loss)


def test_trace_lists_every_op_of_the_backward_pass_in_a_valid_order(step):
    _model, _, _, loss = step
    with visual.trace() as t:
        loss.backward(retain_graph=True)
    ops = [r["op"] for r in t.records]
    assert sorted(ops) == sorted(LESSON_OPS)
    assert ops[0] == "Div" and ops[-1] in ("Permute", "MatMul")
    assert [r["step"] for r in t.records] == list(range(1, len(ops) + 1))
    # every op comes after every op that consumes its output
    position = {r["output_id"]: i for i, r in enumerate(t.records)}
    for i, r in enumerate(t.records):
        for sent in r["grads_in"]:
            if sent["input_id"] in position:
                assert position[sent["input_id"]] > i


def test_trace_gradients_agree_with_the_grads_backward_wrote(step):
    model, _, _, loss = step
    with visual.trace() as t:
        loss.backward()
    sent = {s["input"]: s for r in t.records for s in r["grads_in"]}
    for p in model.parameters():
        np.testing.assert_array_equal(sent[p.name]["array"], p.grad.numpy())
        assert sent[p.name]["summary"] == visual.summary(p.grad.numpy())
        assert sent[p.name]["shape"] == p.shape


def test_trace_shows_how_dw_emerges_from_the_primitives(step):
    model, X, y, loss = step
    with visual.trace() as t:
        loss.backward()
    matmul = next(r for r in t.records if r["op"] == "MatMul")
    assert "dY = Xᵀ @ G" in matmul["rule"]
    W, b = model.fc.weight.numpy(), model.fc.bias.numpy()
    logits = X.numpy() @ W.T + b
    y_hat = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = (
        X.numpy().T @ (y_hat - np.eye(2)[y]) / len(y)
    )  # the lesson's dW, in its (D, C) layout
    np.testing.assert_allclose(matmul["grads_in"][-1]["array"], expected, atol=1e-15)
    text = str(t)
    assert "MatMul" in text and "fc.weight" in text and "Xᵀ" in text


def test_trace_records_nothing_outside_its_block(step):
    _, _, _, loss = step
    with visual.trace() as t:
        pass
    loss.backward()
    assert t.records == []


def test_the_fused_model_is_two_nodes_with_the_same_gradients(step):
    model, X, y, loss = step
    loss.backward()
    composite = [p.grad.numpy().copy() for p in model.parameters()]
    model.zero_grad()
    loss = tg_fused.cross_entropy(tg_fused.linear(X, model.fc.weight, model.fc.bias), y)
    with visual.trace() as t:
        loss.backward()
    assert [r["op"] for r in t.records] == ["CrossEntropy", "Linear"]
    for p, expected in zip(model.parameters(), composite):
        np.testing.assert_allclose(p.grad.numpy(), expected, rtol=1e-13, atol=1e-16)


def test_an_intermediate_is_drawn_with_its_values_only_when_it_retains_its_gradient():
    x = tensor([1.0, 2.0], requires_grad=True, name="x")
    kept, dropped = x * 3.0, x * 5.0
    kept.retain_grad()
    loss = (kept + dropped).sum()
    loss.backward(retain_graph=True)
    labels = list(_parse(visual.draw_graph(loss))[0].values())
    assert any(label.startswith("(2,) float32\\ndata [3., 6.]\\ngrad [1., 1.]") for label in labels)
    assert "(2,) float32\\nvalues not kept" in labels
