"""guard.parallel.split, the one fork helper of the conventions and migrations checks: the
results of both processes in the items' order, one process below the threshold, and a
worker that raises or dies made up for by this process."""

import os
import signal

import pytest

from guard import parallel

ITEMS = list(range(41))
SQUARES = [x * x for x in ITEMS]
CAN_FORK = parallel.cpus() >= 2 and hasattr(os, "fork")


def square(share):
    """Each item's square, and which process computed it."""
    return [(x * x, os.getpid()) for x in share]


def test_below_the_threshold_one_process():
    got = parallel.split(square, ITEMS, len(ITEMS) + 1)
    assert got == [(v, os.getpid()) for v in SQUARES]


def test_two_processes_keep_the_order():
    got = parallel.split(square, ITEMS, len(ITEMS))
    assert [v for v, _ in got] == SQUARES
    if CAN_FORK:
        assert {p for _, p in got[0::2]} == {os.getpid()}
        worker = {p for _, p in got[1::2]}
        assert len(worker) == 1 and worker != {os.getpid()}


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_tiny_lists(n):
    assert [v for v, _ in parallel.split(square, ITEMS[:n], 0)] == SQUARES[:n]


def test_a_failing_worker_leaves_its_share_to_this_process():
    parent = os.getpid()

    def raises(share):
        if os.getpid() != parent:
            raise ValueError("the worker fails")
        return square(share)

    def dies(share):
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return square(share)

    def exits(share):
        if os.getpid() != parent:
            os._exit(0)                 # gone without its results, "successfully"
        return square(share)
    for failing in (raises, dies, exits):
        assert parallel.split(failing, ITEMS, 2) == [(v, parent) for v in SQUARES]
