"""`tinygrad-lr graph --second-order`: the backward pass of dL/dW · v through what create_graph
recorded delivers the closed-form Hessian-vector product, and a wrong rule is caught."""

from tinygrad_lr import ops
from tinygrad_lr.lesson import graph


def test_second_order_trace_equals_the_closed_form(tmp_path, capsys):
    assert graph.run("synthetic", 1234, tmp_path, second_order=True) == 0
    out = capsys.readouterr().out
    assert "Second order. dL/dW was taken with create_graph=True" in out
    assert "H v by the second backward pass equals the closed form" in out
    assert (tmp_path / "graph_second_order.svg").exists() or (
        tmp_path / "graph_second_order.dot"
    ).exists()


def test_a_wrong_rule_in_the_recorded_backward_fails(tmp_path, capsys, monkeypatch):
    """Exp's rule 1% off only when it runs on tensors (the recorded backward): the first-order
    check still passes, the second-order one must not."""
    right = ops.Exp.backward

    def off_when_recorded(ctx, g):
        result = right(ctx, g)
        return result * 1.01 if hasattr(g, "array") else result

    monkeypatch.setattr(ops.Exp, "backward", staticmethod(off_when_recorded))
    assert graph.run("synthetic", 1234, tmp_path, second_order=True) == 1
    out = capsys.readouterr().out
    assert "to the weight equals the lesson's" in out
    assert "FAILED: does not equal the closed form" in out
