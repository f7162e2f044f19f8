"""One training step (forward, class-weighted cross-entropy, backward, Adam) per implementation.

Each `make_*` function builds a model for a problem and returns `step(X, y)`; all start from the
same weights and use the same Adam settings, so their work is the same. The steps themselves are
the lesson's (`tinygrad_lr.lesson.train`), written once and shared with the lesson and tests.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinygrad_lr.lesson import train

LR = 1e-3
Step = Callable[[np.ndarray, np.ndarray], object]


def initial_weights(D: int, C: int, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    bound = 1 / np.sqrt(D)
    return (
        rng.uniform(-bound, bound, (C, D)).astype(dtype),
        rng.uniform(-bound, bound, C).astype(dtype),
    )


def _maker(implementation: type, **options: object) -> Callable[..., Step]:
    def make(D: int, C: int, class_weight: np.ndarray, dtype: type) -> Step:
        W, b = initial_weights(D, C, dtype)
        model = implementation(
            W, b, class_weight=class_weight, optimizer="adam", lr=LR, dtype=dtype, **options
        )
        return model.step

    return make


IMPLEMENTATIONS = {
    "numpy": _maker(train.HandDerived),
    "tinygrad_lr": _maker(train.Tinygrad),
    "tinygrad_lr fused": _maker(train.Tinygrad, fused=True),
    "torch": _maker(train.Torch),
}
