"""Grad mode is per thread, as in PyTorch, and always restored: on exceptions, nested, and when
two threads' no_grad blocks overlap."""

import threading

import numpy as np
import pytest
import torch

import tinygrad_lr as tg
from tinygrad_lr import tensor


def test_no_grad_in_one_thread_leaves_another_recording():
    inside, recorded = threading.Event(), {}
    done = threading.Event()

    def other():
        inside.wait(5)
        w = tensor(np.ones(2), requires_grad=True)
        recorded["grad mode"] = tg.is_grad_enabled()
        recorded["requires_grad"] = (w * 2).requires_grad
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with tg.no_grad():
        inside.set()
        done.wait(5)
    thread.join(5)
    assert recorded == {"grad mode": True, "requires_grad": True}


def test_overlapping_no_grad_blocks_in_two_threads_leave_recording_on():
    """Thread A enters, B enters, A leaves, B leaves: with one global flag, recording stayed off."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_b():
        a_in.wait(5)
        with tg.no_grad():
            b_in.set()
            a_out.wait(5)

    b = threading.Thread(target=thread_b)
    b.start()
    with tg.no_grad():
        a_in.set()
        b_in.wait(5)
    a_out.set()
    b.join(5)
    assert tg.is_grad_enabled()
    assert (tensor(np.ones(2), requires_grad=True) * 2).requires_grad


def test_one_decorated_function_called_from_many_threads_restores_each_threads_mode():
    @tg.no_grad()
    def work(barrier):
        barrier.wait(5)
        return tg.is_grad_enabled()

    barrier = threading.Barrier(4)
    results, modes = [], []

    def run():
        results.append(work(barrier))
        modes.append(tg.is_grad_enabled())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert results == [False] * 4 and modes == [True] * 4


def test_grad_mode_is_restored_when_the_block_raises():
    with pytest.raises(ZeroDivisionError), tg.no_grad():
        raise ZeroDivisionError
    assert tg.is_grad_enabled()

    @tg.no_grad()
    def fails():
        raise KeyError

    with pytest.raises(KeyError):
        fails()
    assert tg.is_grad_enabled()


def test_nested_blocks_restore_the_mode_of_each_level():
    with tg.no_grad():
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            with tg.no_grad():
                assert not tg.is_grad_enabled()
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


@pytest.mark.parametrize("mode", [False, True])
def test_set_grad_enabled_works_as_a_call_and_as_a_context_manager_like_pytorch(mode):
    for lib in (tg, torch):
        with lib.set_grad_enabled(mode):
            assert lib.is_grad_enabled() is mode
        assert lib.is_grad_enabled()
        lib.set_grad_enabled(mode)
        assert lib.is_grad_enabled() is mode
        lib.set_grad_enabled(True)
