"""`tinygrad-lr graph`: one training step of the lesson's model, its backward pass traced op by
op and its graph drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr import visual
from tinygrad_lr.compare import largest_difference, nonfinite, within

from . import pipeline, reference

AGREEMENT = 1e-12  # float64: the chain rule and the closed form agree to rounding


def run(data_choice: str, seed: int, out: Path) -> int:
    """`tinygrad-lr graph`: one forward and backward pass at the seeded initial weights, traced
    and drawn to `out`/graph.svg. No optimizer step is taken, so there is no epoch count or
    learning rate; the same `seed` prints the same numbers."""
    df, description = pipeline.load_data(data_choice, seed)
    p = pipeline.prepare(df, seed)
    tg.manual_seed(seed)  # the same starting weights, hence the same numbers, every run
    model = tg.nn.Linear(p.X_train.shape[1], len(p.encoder), dtype=np.float64)
    # nn.Linear and CrossEntropyLoss are compositions of primitive ops, so every one shows.
    loss = tg.nn.CrossEntropyLoss()(model(tg.tensor(p.X_train, name="X")), p.y_train)
    loss.name = "loss"
    with visual.trace() as steps:
        loss.backward(retain_graph=True)  # kept, so the graph can be drawn with its gradients
    path = Path(out) / "graph.svg"
    dot = visual.draw_graph(loss, path)
    print(
        f"Data: {description}. One training step of the lesson's model, "
        f"{model} with cross-entropy on {len(p.y_train)} rows.\n"
    )
    print(steps)
    W, b = model.weight.numpy(), model.bias.numpy()
    y_hat = reference.softmax(reference.forward(p.X_train, W, b))
    dW, _ = reference.gradients(p.X_train, y_hat, p.y_train)
    gap = largest_difference(model.weight.grad.numpy(), dW)
    problem = nonfinite(model.weight.grad.numpy(), "the weight's gradient")
    agree = problem is None and within(gap, AGREEMENT)
    verdict = "equals" if agree else "FAILED: does not equal"
    print(
        f"\nThe gradient the chain of ops delivered to the weight {verdict} the lesson's "
        f"dW = Xᵀ(ŷ − y)/N (transposed to the weight's (out, in) layout): "
        + (problem or f"largest difference {gap:.1e}")
        + "."
    )
    print(
        f"Graph: {path if path.exists() else path.with_suffix('.dot')} "
        f"({len(dot.splitlines())} lines of DOT)"
    )
    return 0 if agree else 1
