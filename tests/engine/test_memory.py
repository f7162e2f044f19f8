"""The graph is freed after every step by reference counting alone, with no cycles left behind."""

import gc
import sys

import numpy as np
import pytest

import tinygrad_lr as tg

STEPS = 10_000


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def _training_step():
    rng = np.random.default_rng(0)
    X = tg.from_numpy(rng.standard_normal((256, 8)).astype(np.float32))
    y = rng.integers(0, 4, 256)
    model = tg.nn.Linear(8, 4)
    loss_fn = tg.nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 0.5, 1.5], dtype=np.float32))
    optimizer = tg.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        hidden = tg.fused.linear(X, model.weight, model.bias).relu()  # the fused path too
        loss = loss_fn(model(X) + hidden * 0.1, y)
        loss.backward()
        optimizer.step()

    return step


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_ten_thousand_steps_with_the_garbage_collector_off_do_not_grow_memory():
    step = _training_step()
    gc.collect()
    gc.disable()
    try:
        for _ in range(500):  # warm-up: allocator pools and caches settle
            step()
        before = _rss_kib()
        for _ in range(STEPS):
            step()
        grown = _rss_kib() - before
        unreachable = gc.collect()  # what only the cyclic collector could have freed
    finally:
        gc.enable()
    assert grown < 1024, f"resident memory grew by {grown} KiB over {STEPS} steps"
    assert unreachable == 0, f"{unreachable} objects were left in reference cycles"
