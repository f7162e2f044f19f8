"""The `tinygrad-lr` command: it parses and checks the arguments and calls the lesson package.

A mistake in an argument, the data file or the output folder ends in one line on stderr, in
argparse's style ("tinygrad-lr lesson: error: argument --epochs: ..."), and exit status 2,
before any training starts. Only those mistakes are caught: any other error is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
from pathlib import Path

# The lesson trains 50 epochs; each costs about 25 ms over its six runs and adds a row to the
# report every 10 epochs. 10,000 (about four minutes, 1,000 rows per table) leaves room to
# experiment; more is far more likely a typo than a plan.
MAX_EPOCHS = 10_000
# The lesson seeds NumPy's global generator, whose np.random.seed takes 0 <= seed < 2**32.
SEED_LIMIT = 2**32
LESSON_SEED = 1234
# `tinygrad-lr lesson [LESSON]`: the lessons, the first the default, and each one's epochs (the
# tests hold these to the lesson modules' own numbers)
LESSONS = {"logistic-regression": 50, "linear-regression": 100, "neural-networks": 100}
# `tinygrad-lr bench --only NAME`: the benchmark's measurements, in the order they run (the
# tests hold these to tinygrad_lr.bench.driver.MEASUREMENTS)
BENCH_MEASUREMENTS = [
    "lesson",
    "batch",
    "wide",
    "many-classes",
    "chain",
    "per-op",
    "memory",
    "scaling",
    "cycles",
]


def epochs_count(text: str) -> int:
    """--epochs: a whole number from 1 to MAX_EPOCHS."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_EPOCHS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_EPOCHS:,}, got {value}")
    return value


def learning_rate(text: str) -> float:
    """--lr: a positive, finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):  # also false for NaN
        raise argparse.ArgumentTypeError(f"must be positive and finite, got {text}")
    return value


def seed_value(text: str) -> int:
    """--seed: a whole number NumPy's np.random.seed accepts, 0 to 2**32 − 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < SEED_LIMIT:
        raise argparse.ArgumentTypeError(
            f"must be from 0 to 2**32 - 1 = {SEED_LIMIT - 1} (NumPy's seed range), got {value}"
        )
    return value


def check_out(out: Path, parser: argparse.ArgumentParser) -> None:
    """Create the --out folder and prove it writable, by creating and removing a file in it, so
    that a bad folder stops the command before training rather than after."""
    if out.exists() and not out.is_dir():
        parser.error(f"argument --out: {out} is an existing file; --out names a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        blocker = next((p for p in out.parents if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            parser.error(f"argument --out: {blocker} is a file, so the folder {out} cannot be made")
        parser.error(f"argument --out: cannot create the folder {out} ({error.strerror or error})")
    probe = out / ".tinygrad-lr-write-check"
    try:
        probe.touch()
        probe.unlink()
    except OSError as error:
        parser.error(
            f"argument --out: cannot write in the folder {out} ({error.strerror or error})"
        )


def demo_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .lesson import demo

    demo.run(args.seed)
    return 0


# report.run, parity.run and graph.run load the data before anything else, and only loading
# raises DataError (pipeline.load_data turns every unreadable or unsuitable --data into one),
# so catching it around the call catches no error of the training.
def lesson_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    epochs = LESSONS[args.lesson] if args.epochs is None else args.epochs
    lr = 0.1 if args.lr is None else args.lr  # every lesson's own learning rate is 0.1
    if args.lesson == "linear-regression":
        if args.data is not None:
            parser.error(
                "argument --data: the linear-regression lesson generates its own data "
                "(y = 3.5X + noise); --data is for logistic-regression"
            )
        check_out(args.out, parser)
        from .lesson import linear_regression

        return linear_regression.run(args.seed, lr, epochs, args.out)
    if args.lesson == "neural-networks":
        for option, value in (("--epochs", args.epochs), ("--lr", args.lr)):
            if value is not None:
                parser.error(
                    f"argument {option}: the neural-networks lesson trains each part with the "
                    "notebook's own settings (epochs 10, 1000, 100; learning rates 0.01, 1.0, "
                    "0.01); leave it out"
                )
        check_out(args.out, parser)
        from .lesson import neural_networks
        from .lesson.data import DataError

        try:
            return neural_networks.run(args.data or "synthetic", args.seed, args.out)
        except DataError as error:
            parser.error(f"argument --data: {error}")
    check_out(args.out, parser)
    from .lesson import report
    from .lesson.data import DataError

    data = "synthetic" if args.data is None else args.data
    try:
        return report.run(data, args.seed, lr, epochs, args.out)
    except DataError as error:
        parser.error(f"argument --data: {error}")


def parity_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .lesson import parity
    from .lesson.data import DataError

    try:
        return parity.run(args.data, args.seed, args.lr, args.epochs)
    except DataError as error:
        parser.error(f"argument --data: {error}")


def graph_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    check_out(args.out, parser)
    from .lesson import graph
    from .lesson.data import DataError

    try:
        return graph.run(args.data, args.seed, args.out, args.second_order)
    except DataError as error:
        parser.error(f"argument --data: {error}")


# check-op and exercises: loading the user's file is the only step that raises OpSpecError (no
# such file or name, a syntax error), so catching it catches no failure of the op under test.
def check_op_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .check_kit import OpSpecError, check_file_op

    try:
        report = check_file_op(args.op, args.torch)
    except OpSpecError as error:
        parser.error(f"argument {error.argument}: {error}")
    print(report)
    return 0 if report.passed else 1


def exercises_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .lesson import exercises

    path = args.file or exercises.default_file()
    if path is None:
        parser.error(f"no {exercises.STUBS} in this folder: give the exercises FILE")
    try:
        return exercises.run(path)
    except exercises.OpSpecError as error:
        parser.error(f"argument FILE: {error}")


def bench_command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.rounds is not None and args.rounds < 1:
        parser.error(f"argument --rounds: must be at least 1, got {args.rounds}")
    if args.out is not None:
        check_out(args.out, parser)
    from .bench import driver

    return driver.run(args.quick, args.rounds, args.only, args.out)


def _add_data_and_seed(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default="synthetic",
        metavar="synthetic|lesson|PATH",
        help="the data set: 'synthetic' (default, made offline by make_tumors), 'lesson' "
        "(download the lesson's CSV, checksum checked) or a path to that CSV",
    )
    parser.add_argument(
        "--seed",
        type=seed_value,
        default=LESSON_SEED,
        help=f"seed of the shuffle, the splits and the initial weights, 0 to 2**32 - 1 "
        f"(default {LESSON_SEED}, the lesson's)",
    )


def _add_training(parser: argparse.ArgumentParser, epochs_help: str = "50") -> None:
    parser.add_argument(
        "--epochs",
        type=epochs_count,
        default=50,
        help=f"training epochs, 1 to {MAX_EPOCHS:,} (default {epochs_help})",
    )
    parser.add_argument(
        "--lr",
        type=learning_rate,
        default=0.1,
        help="learning rate, positive and finite (default 0.1)",
    )


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser of `tinygrad-lr`, and its subcommands' parsers by name."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-lr",
        description="tinygrad_lr: backpropagation from scratch, proven against PyTorch.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train a tiny weighted softmax classifier and gradcheck its loss"
    )
    demo_parser.add_argument("--seed", type=seed_value, default=0, help="random seed (default 0)")
    demo_parser.set_defaults(run=demo_command)
    lesson_parser = commands.add_parser(
        "lesson",
        help="run a lesson three ways (NumPy, tinygrad_lr, PyTorch): logistic-regression "
        "(default), linear-regression or neural-networks",
        description="Run a Made With ML lesson, trained by the hand-derived NumPy code, by "
        "tinygrad_lr and by PyTorch from the same weights. logistic-regression (the default): a "
        "softmax classifier on the tumour data set; part 1 is the lesson's NumPy model (gradient "
        "descent), part 2 its PyTorch model (class-weighted loss, Adam); prints split sizes, "
        "class weights, loss and accuracy every 10 epochs per implementation, the largest "
        "weight difference, test metrics, the lesson's inference example and unstandardised "
        "weights; part 3 minimises each part's loss exactly by Newton's method (the Hessian by "
        "autograd) and checks the optimum against scikit-learn's. linear-regression: a line "
        "fitted to y = 3.5X + noise; its NumPy model "
        "(gradient descent), its PyTorch model (Adam) and its L2 model (weight decay); prints "
        "the losses at the lesson's epochs, train and test MSE, the fitted line, the weights in "
        "the original units and which of the notebook's stored figures this run reproduces. "
        "neural-networks: three-armed spirals (--data the lesson's spiral.csv, or synthetic); "
        "the linear model failing, then the two-layer ReLU network by hand and with Adam, with "
        "the notebook's own epochs and learning rates. All write PNG pictures to --out. Without "
        "PyTorch its column is left out.",
    )
    lesson_parser.add_argument(
        "lesson",
        nargs="?",
        default="logistic-regression",
        choices=list(LESSONS),
        metavar="LESSON",
        help="which lesson: logistic-regression (default) or linear-regression",
    )
    _add_data_and_seed(lesson_parser)
    _add_training(
        lesson_parser, "the lesson's: 50 for logistic-regression, 100 for linear-regression"
    )
    # None until the lesson is known: its own epochs, and --data only where it means something
    lesson_parser.set_defaults(data=None, epochs=None, lr=None)
    lesson_parser.add_argument(
        "--out",
        default="lesson_output",
        type=Path,
        help="folder for the PNG pictures, created if missing (default ./lesson_output)",
    )
    lesson_parser.set_defaults(run=lesson_command)
    parity_parser = commands.add_parser(
        "parity",
        help="compare the lesson model's gradients: hand-derived, autograd, fused, PyTorch, "
        "numeric",
        description="Print the gradient of every parameter of the lesson's model from the "
        "hand-derived formulas, tinygrad_lr's autograd (the chain rule through primitive ops), "
        "its fused path, PyTorch and central differences, in float64 and float32, unweighted "
        "and class-weighted; check each primitive op the model applies, and the fused ops, "
        "against central differences and PyTorch; and compare the trained weights. Exits with "
        "status 1, naming each failed check, when a difference is over its tolerance or a value "
        "is NaN or inf.",
    )
    _add_data_and_seed(parity_parser)
    _add_training(parity_parser)
    parity_parser.set_defaults(run=parity_command)
    graph_parser = commands.add_parser(
        "graph",
        help="draw the lesson model's computation graph and trace its backward pass",
        description="Run one forward and backward pass of the lesson's model at its seeded "
        "initial weights (no optimizer step, so there is no --epochs or --lr), print the "
        "backward pass one op at a time (the rule applied, the incoming gradient, the gradients "
        "sent on), and draw the graph to --out/graph.svg, with the values of the leaves and the "
        "loss and the leaves' gradients (as in PyTorch, the graph keeps no intermediate values) "
        "(Graphviz's dot program renders it; without it the DOT text is written to graph.dot). "
        "The same --seed prints the same numbers.",
    )
    _add_data_and_seed(graph_parser)
    graph_parser.add_argument(
        "--out",
        default="lesson_output",
        type=Path,
        help="folder for graph.svg, created if missing (default ./lesson_output)",
    )
    graph_parser.add_argument(
        "--second-order",
        action="store_true",
        help="then take the weight's gradient with create_graph=True, trace the backward pass "
        "of dL/dW · v through that record (a Hessian-vector product) and draw what it recorded "
        "to --out/graph_second_order.svg",
    )
    graph_parser.set_defaults(run=graph_command)
    check_op_parser = commands.add_parser(
        "check-op",
        help="prove an op of your own: its values and gradients against PyTorch and central "
        "differences, over shapes and dtypes",
        description="Load NAME from FILE.py (a function of tensors, or a "
        "tinygrad_lr.autograd.Function subclass, called through .apply) and run the check_op "
        "kit on it: broadcastable shape cases in float64 and float32, the value and every "
        "input's gradient under a random upstream gradient, against PyTorch and central "
        "differences. A failure names the input, the shape case, the first element that "
        "differs and the op where the gradient first went wrong, and prints a pytest "
        "reproducer. Exits 0 when it passes, 1 when it does not.",
    )
    check_op_parser.add_argument("op", metavar="FILE.py:NAME", help="the op to check")
    check_op_parser.add_argument(
        "--torch",
        metavar="EXPR",
        help="the PyTorch reference, a Python expression with torch and F "
        "(torch.nn.functional) in scope, e.g. 'lambda x, y: x * y' (default: NAME itself, run "
        "on torch tensors)",
    )
    check_op_parser.set_defaults(run=check_op_command)
    exercises_parser = commands.add_parser(
        "exercises",
        help="grade your backward rules in lessons/exercises/backward_rules.py",
        description="Grade the exercises: each backward rule in FILE (default "
        "lessons/exercises/backward_rules.py) is held against PyTorch and central "
        "differences, and printed PASS, FAIL (with the shape case and the element that "
        "differs) or NOT DONE. Exits 0 when every exercise passes, 1 otherwise.",
    )
    exercises_parser.add_argument(
        "file", nargs="?", metavar="FILE", help="your exercises file (default: the stubs)"
    )
    exercises_parser.set_defaults(run=exercises_command)
    bench_parser = commands.add_parser(
        "bench",
        help="time tinygrad_lr against the leanest NumPy step and PyTorch, with issue 17's goals",
        description="Time training steps (lesson, batch, wide, many-classes), long graphs of "
        "tiny ops (chain, per-op), peak memory, scaling in rows and reference cycles: "
        "tinygrad_lr against the floor (the leanest NumPy step) and PyTorch, one thread, "
        "float32, in interleaved paired rounds; prints each ratio's median and 95% interval "
        "beside its goal. Fails (exit status 1) if the implementations' losses disagree.",
    )
    bench_parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 3 rounds, small problems"
    )
    bench_parser.add_argument(
        "--rounds", type=int, help="paired rounds per measurement (default 31; 3 with --quick)"
    )
    bench_parser.add_argument(
        "--only",
        nargs="+",
        choices=BENCH_MEASUREMENTS,
        metavar="NAME",
        help=f"run only these measurements: {', '.join(BENCH_MEASUREMENTS)}",
    )
    bench_parser.add_argument(
        "--out",
        type=Path,
        help="folder to write benchmarks.md and images/benchmarks.png in (default: print only)",
    )
    bench_parser.set_defaults(run=bench_command)
    return parser, commands.choices


def main(argv: list[str] | None = None) -> int:
    parser, commands = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # reported by the subcommand, whose usage lists the options it takes
        commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    # the subcommand's parser reports the checks made after parsing, so its errors read
    # "tinygrad-lr lesson: error: ..." like the ones argparse finds itself
    return args.run(args, commands[args.command])
