"""The `tinygrad-lr` command."""

from __future__ import annotations

import argparse

import numpy as np

from . import Tensor, gradcheck


def demo(seed: int) -> None:
    """Fit a two-feature softmax classifier with plain tensors, and check one gradient."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(-1.0, 1.0, (50, 2)), rng.normal(1.5, 1.0, (50, 2))])
    y = np.repeat([0, 1], 50)
    X = Tensor(x, dtype=np.float64)
    W = Tensor(rng.normal(0, 0.01, (2, 2)), requires_grad=True, name="W")
    b = Tensor(np.zeros(2), requires_grad=True, name="b")

    def loss_fn(W: Tensor, b: Tensor) -> Tensor:
        logits = X @ W + b
        shifted = logits - logits.max(dim=1, keepdim=True).detach()
        log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
        return -log_probs[np.arange(len(y)), y].mean()

    print("step  loss     accuracy")
    for step in range(51):
        loss = loss_fn(W, b)
        W.grad = b.grad = None
        loss.backward()
        W.data -= 0.5 * W.grad.data
        b.data -= 0.5 * b.grad.data
        if step % 10 == 0:
            accuracy = ((X @ W + b).argmax(dim=1).data == y).mean()
            print(f"{step:4d}  {loss.item():.5f}  {accuracy:.2f}")
    print("gradcheck of the loss against central differences:", gradcheck(loss_fn, [W, b]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="tinygrad-lr",
        description="tinygrad_lr: backpropagation from scratch, proven against PyTorch.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser(
        "demo", help="train a tiny softmax classifier with the engine and gradcheck it"
    )
    demo_parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.seed)
    return 0
