"""The `tinygrad-lr` command: it parses the arguments and calls the lesson package."""

from __future__ import annotations

import argparse
from pathlib import Path


def demo_command(args: argparse.Namespace) -> int:
    from .lesson import demo

    demo.run(args.seed)
    return 0


def lesson_command(args: argparse.Namespace) -> int:
    from .lesson import report

    return report.run(args.data, args.seed, args.lr, args.epochs, args.out)


def parity_command(args: argparse.Namespace) -> int:
    from .lesson import parity

    return parity.run(args.data, args.seed, args.lr, args.epochs)


def graph_command(args: argparse.Namespace) -> int:
    from .lesson import graph

    return graph.run(args.data, args.seed, args.out)


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
    commands = {
        "demo": demo_command,
        "lesson": lesson_command,
        "parity": parity_command,
        "graph": graph_command,
    }
    return commands[args.command](args)
