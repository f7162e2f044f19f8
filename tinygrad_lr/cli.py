"""The `tinygrad-lr` command."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from . import Tensor, gradcheck, nn, optim
from . import functional as F


def demo(seed: int) -> None:
    """Fit a two-feature softmax classifier with nn, functional and optim, and gradcheck it."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-1.0, 1.0, (60, 2)), rng.normal(1.5, 1.0, (40, 2))])
    y = np.repeat([0, 1], [60, 40])
    X = Tensor(x, dtype=np.float64)
    model = nn.Linear(2, 2, dtype=np.float64, generator=rng)
    class_weight = len(y) / (2 * np.bincount(y))  # the rarer class counts more
    loss_fn = nn.CrossEntropyLoss(weight=class_weight)
    optimizer = optim.SGD(model.parameters(), lr=0.5)

    print(f"{model}, CrossEntropyLoss(weight={np.round(class_weight, 3).tolist()}), SGD(lr=0.5)")
    print("step  loss     accuracy")
    for step in range(51):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            accuracy = (model(X).argmax(dim=1).data == y).mean()
            print(f"{step:4d}  {loss.item():.5f}  {accuracy:.2f}")
    ok = gradcheck(lambda W, b: loss_fn(F.linear(X, W, b), y), [model.weight, model.bias])
    print("gradcheck of the loss against central differences:", ok)


def lesson_command(args: argparse.Namespace) -> int:
    from . import lesson_report

    df, description = lesson_report.load_data(args.data, args.seed)
    p, parts = lesson_report.run_lesson(df, args.seed, args.lr, args.epochs)
    print(lesson_report.report(p, parts, description))
    paths = lesson_report.write_pictures(df, p, parts, args.out)
    print(f"\nPictures written to {args.out}: " + ", ".join(path.name for path in paths))
    return 0


def parity_command(args: argparse.Namespace) -> int:
    from . import lesson, lesson_report, parity

    df, description = lesson_report.load_data(args.data, args.seed)
    p, parts = lesson_report.run_lesson(df, args.seed, args.lr, args.epochs)
    text, checks = parity.gradient_tables(p, *parts[0].initial)
    checks += parity.trained_checks(parts)
    print(f"Data: {description}{text}\n")
    print(f"Largest differences (weights trained {args.epochs} epochs, lr {args.lr})")
    print(parity.checks_table(checks))
    failed = [c for c in checks if not c.ok]
    if lesson.torch_or_none() is None:
        print("PyTorch is not installed: its column is left out.")
    print(f"\n{len(checks) - len(failed)} of {len(checks)} checks within tolerance")
    return 1 if failed else 0


def graph_command(args: argparse.Namespace) -> int:
    from . import lesson, lesson_report, reference, visual

    df, description = lesson_report.load_data(args.data, args.seed)
    p = lesson.prepare(df, args.seed)
    model = nn.Linear(p.X_train.shape[1], len(p.encoder), dtype=np.float64)
    X = Tensor(p.X_train, name="X")
    # The composites, so that every primitive shows (nn.Linear and nn.CrossEntropyLoss run the
    # same math as two fused nodes whose backward is the closed form).
    logits = F.linear_composite(X, model.weight, model.bias)
    loss = F.cross_entropy_composite(logits, p.y_train)
    loss.name = "loss"
    with visual.trace() as steps:
        loss.backward(retain_graph=True)  # kept, so the graph can be drawn with its gradients
    path = visual.draw_graph(loss, Path(args.out) / "graph.svg")
    print(
        f"Data: {description}. One training step of the lesson's model, "
        f"{model} with cross-entropy on {len(p.y_train)} rows.\n"
    )
    print(steps)
    W, b = model.weight.data.T, model.bias.data[None, :]
    y_hat = reference.softmax(reference.forward(p.X_train, W, b))
    dW, _ = reference.gradients(p.X_train, y_hat, p.y_train)
    gap = np.abs(model.weight.grad.data.T - dW).max()
    print(
        f"\nThe gradient the chain of ops delivered to the weight equals the lesson's "
        f"dW = Xᵀ(ŷ − y)/N: largest difference {gap:.1e}."
    )
    drawn = Path(args.out) / "graph.svg"
    print(
        f"Graph: {drawn if drawn.exists() else drawn.with_suffix('.dot')} "
        f"({len(path.splitlines())} lines of DOT)"
    )
    return 0


def _add_lesson_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default="synthetic",
        metavar="synthetic|lesson|PATH",
        help="the data set: 'synthetic' (default, made offline by make_tumors), 'lesson' "
        "(download the lesson's CSV, checksum checked) or a path to that CSV",
    )
    parser.add_argument("--epochs", type=int, default=50, help="training epochs (default 50)")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument(
        "--seed",
        type=int,
        default=1234,
        help="seed of the shuffle, the splits and the initial weights (default 1234, the lesson's)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tinygrad-lr",
        description="tinygrad_lr: backpropagation from scratch, proven against PyTorch.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train a tiny weighted softmax classifier and gradcheck its loss"
    )
    demo_parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    lesson_parser = commands.add_parser(
        "lesson",
        help="run the logistic-regression lesson three ways (NumPy, tinygrad_lr, PyTorch)",
        description="Run the lesson: a softmax classifier on the tumour data set, trained by the "
        "hand-derived NumPy code, by tinygrad_lr and by PyTorch from the same weights. Part 1 is "
        "the lesson's NumPy model (gradient descent), part 2 its PyTorch model (class-weighted "
        "loss, Adam). Prints split sizes, class weights, loss and accuracy every 10 epochs per "
        "implementation, the largest weight difference, test metrics, the lesson's inference "
        "example and unstandardised weights; writes PNG pictures to --out. Without PyTorch its "
        "column is left out.",
    )
    _add_lesson_options(lesson_parser)
    lesson_parser.add_argument(
        "--out",
        default="lesson_output",
        type=Path,
        help="folder for the PNG pictures (default ./lesson_output)",
    )
    parity_parser = commands.add_parser(
        "parity",
        help="compare the lesson model's gradients: hand-derived, autograd, PyTorch, numeric",
        description="Print the gradient of every parameter of the lesson's model from the "
        "hand-derived formulas, tinygrad_lr's autograd, PyTorch and central differences, in "
        "float64 and float32, unweighted and class-weighted, and the largest difference between "
        "the trained weights. Exits with status 1 when a difference is over its tolerance.",
    )
    _add_lesson_options(parity_parser)
    graph_parser = commands.add_parser(
        "graph",
        help="draw the lesson model's computation graph and trace its backward pass",
        description="Run one training step of the lesson's model, print the backward pass one "
        "op at a time (the rule applied, the incoming gradient, the gradients sent on), and "
        "draw the graph with its values and gradients to --out/graph.svg (Graphviz's dot "
        "program renders it; without it the DOT text is written to graph.dot).",
    )
    _add_lesson_options(graph_parser)
    graph_parser.add_argument(
        "--out",
        default="lesson_output",
        type=Path,
        help="folder for graph.svg (default ./lesson_output)",
    )
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.seed)
        return 0
    if args.command == "lesson":
        return lesson_command(args)
    if args.command == "graph":
        return graph_command(args)
    return parity_command(args)
