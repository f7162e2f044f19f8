"""The `tinygrad-lr` command."""

from __future__ import annotations

import argparse

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
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.seed)
    return 0
