"""One stage of independent work items over two processes: this one and a forked worker.

Used by the checks whose per-file work dominates a large change (conventions: the survey and
the parse of each file; migrations: the reading and the rules of each new migration). The
worker inherits everything at the fork, so nothing is sent to it and the work function may
be a closure over unpicklable state; only its results come back, pickled through a pipe.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def split(work: Callable[[Sequence[T]], list[R]], items: Sequence[T], minimum: int) -> list[R]:
    """``work(items)``, one result per item in the order of ``items``, computed in two
    processes from ``minimum`` items on: a forked worker takes every other item (neighbours
    — same folder, same kind, same size — cost alike) and this process the rest.

    ``work`` must return exactly one result per item, independent of the other items, and
    its results must pickle. Below ``minimum``, on one CPU, where fork is missing or fails,
    and when the worker fails (raises, is killed, exits without its results), everything —
    or the worker's share — is done here, so the answer is always that of one process.
    The fork itself takes ~1-4 ms, but afterwards every page either process writes is
    copied (Python's reference counts write to every object touched), the worker's results
    are pickled, and the worker's half only runs as fast as the second CPU really is:
    ``minimum`` must be measured per stage, where halving the work repays all of that."""
    if len(items) < minimum or cpus() < 2 or not hasattr(os, "fork"):
        return work(items)
    import pickle

    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:                     # no process to spare: one process
        os.close(read_fd)
        os.close(write_fd)
        return work(items)
    if pid == 0:                        # the worker: its share, then gone at once
        code = 1
        try:
            os.close(read_fd)
            payload = pickle.dumps(work(items[1::2]), pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_fd, "wb") as out:
                out.write(payload)
            code = 0
        finally:
            os._exit(code)              # no atexit, no flushing of the parent's buffers
    os.close(write_fd)
    reader = os.fdopen(read_fd, "rb")
    try:
        out: list = [None] * len(items)
        out[0::2] = work(items[0::2])
        payload = reader.read()
    finally:
        reader.close()                  # first: a worker still writing gets EPIPE, not a hang
        _, status = os.waitpid(pid, 0)
    # the worker failed: its share is done here
    out[1::2] = pickle.loads(payload) if status == 0 and payload else work(items[1::2])
    return out
