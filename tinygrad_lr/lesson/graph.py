"""`tinygrad-lr graph`: one training step of the lesson's model, its backward pass traced op by
op and its graph drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import tinygrad_lr as tg
from tinygrad_lr import visual
from tinygrad_lr.compare import largest_difference, nonfinite, within

from . import newton, pipeline, reference

AGREEMENT = 1e-12  # float64: the chain rule and the closed form agree to rounding


def run(data_choice: str, seed: int, out: Path, second_order: bool = False) -> int:
    """`tinygrad-lr graph`: one forward and backward pass at the seeded initial weights, traced
    and drawn to `out`/graph.svg. No optimizer step is taken, so there is no epoch count or
    learning rate; the same `seed` prints the same numbers. With `second_order`, then the
    gradient of that gradient (`run_second_order`)."""
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
    if not second_order:
        return 0 if agree else 1
    second = run_second_order(p, model, loss, seed, Path(out))
    return 0 if agree and second == 0 else 1


def run_second_order(
    p: pipeline.Prepared, model: tg.nn.Linear, loss: tg.Tensor, seed: int, out: Path
) -> int:
    """The gradient of a gradient: the weight's gradient of `loss` (whose graph `run` kept)
    taken with `create_graph=True` (the backward pass recorded as ops of a new graph), then the
    backward pass of dL/dW · v through that record, which gives the Hessian-vector product H v
    without forming H. It is traced, drawn to `out`/graph_second_order.svg, and held against
    the closed-form Hessian (`newton.closed_form_hessian`)."""
    (dW,) = tg.autograd.grad(loss, model.weight, create_graph=True)  # the backward, recorded
    dW.name = "dL/dW"
    v = tg.tensor(np.random.default_rng(seed).standard_normal(tuple(model.weight.shape)), name="v")
    directional = (dW * v).sum()
    directional.name = "dL/dW · v"
    with visual.trace() as steps:
        (hv,) = tg.autograd.grad(directional, model.weight, retain_graph=True)
    path = out / "graph_second_order.svg"
    dot = visual.draw_graph(directional, path, show_grad=False)
    print(
        "\nSecond order. dL/dW was taken with create_graph=True: the backward pass above, "
        "recorded as ops.\nThe backward pass of dL/dW · v (v random) through that record "
        "gives H v, the Hessian of L\nwith respect to W times v, without forming H:\n"
    )
    print(steps)
    W, b = model.weight.numpy(), model.bias.numpy()
    D = W.shape[1]
    H = newton.closed_form_hessian(newton.pack(W, b), p.X_train, p.y_train, None)
    weights_only = [i for i in range(H.shape[0]) if i % (D + 1) != D]  # drop the bias rows
    expected = H[np.ix_(weights_only, weights_only)] @ v.numpy().ravel()
    got = hv.numpy().ravel()
    gap = largest_difference(got, expected)
    problem = nonfinite(got, "the Hessian-vector product")
    agree = problem is None and within(gap, AGREEMENT)
    verdict = "equals" if agree else "FAILED: does not equal"
    print(
        f"\nH v by the second backward pass {verdict} the closed form "
        "Σₙ (diag(pₙ) − pₙpₙᵀ) ⊗ xₙxₙᵀ / N times v: "
        + (problem or f"largest difference {gap:.1e}")
        + "."
    )
    print(
        f"Graph of what create_graph recorded: "
        f"{path if path.exists() else path.with_suffix('.dot')} ({len(dot.splitlines())} lines "
        "of DOT)"
    )
    return 0 if agree else 1
