"""`tinygrad-lr demo`: a tiny weighted softmax classifier trained with nn, optim and functional,
then gradchecked."""

from __future__ import annotations

import numpy as np

from tinygrad_lr import Tensor, gradcheck, nn, optim
from tinygrad_lr import functional as F


def run(seed: int) -> None:
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
            accuracy = (model(X).argmax(dim=1).numpy() == y).mean()
            print(f"{step:4d}  {loss.item():.5f}  {accuracy:.2f}")
    ok = gradcheck(lambda W, b: loss_fn(F.linear(X, W, b), y), [model.weight, model.bias])
    print("gradcheck of the loss against central differences:", ok)
