"""gunicorn's threaded worker (gthread), with the kept-alive connections spread over the workers.

All workers wait on the one listening socket, and a new connection wakes them all: whichever
runs first accepts it, and a worker that has just accepted one is often first again. The kept-
alive connections of a client that opens several at once (nginx's upstream pool, wrk) piled up
on one worker, whose threads share one interpreter lock: one core did the work of two, for as
long as the connections lasted. With 2 workers and 4 kept-alive connections to /healthz, 4 runs
in 20 put all 4 on one worker and answered 1,800-2,400 requests a second against 5,300-5,900,
and 11 put 3 on one; with 16 connections, 14 runs in 20 were uneven, up to 16 on one worker
(2026-12-07).

Here each worker publishes how many connections it holds in a small table that the workers
share (memory the master maps before it forks them). A worker holding LEAD more than another
answers its next request with "Connection: close", at most one every SPACING seconds: the client
opens the connection again, and the worker holding fewer may take it. Clients and proxies
expect a server to close a kept-alive connection after any response. After this, 20 runs in 20
spread 4 connections 2 and 2, and 16 connections 8 and 8. A client that opens a connection per
request is not touched: nothing is kept alive to close, and accepting is gthread's own (20
interleaved runs: the same requests a second either way).

The master gives each worker its row when it creates it, marked as starting until the worker
serves (no connection is left to a worker still loading the app), and takes it back when the
worker exits, however it exits (gunicorn.conf.py's child_exit). GUNICORN_WORKER_CLASS=gthread
runs gunicorn's own worker instead.
"""

from __future__ import annotations

import mmap
import time

from gunicorn.workers.gthread import ThreadWorker

ROWS = 16  # workers that can take part; any more run as plain gthread workers
FREE = -1  # no worker in the row
STARTING = -2  # a worker not serving yet (loading the app): not one to leave connections to
LEAD = 2  # a worker holding this many connections more than another closes one
SPACING = 0.01  # seconds between two connections closed by one worker


def shared_table(rows: int):
    """`rows` integers, FREE each, in anonymous shared memory: a process forked after this sees
    the same table."""
    table = memoryview(mmap.mmap(-1, rows * 4)).cast("i")
    for row in range(rows):
        table[row] = FREE
    return table


# Connections held, per row. Made when the master imports this module (gunicorn loads the
# worker class before it forks any worker), so every worker shares it.
_held = shared_table(ROWS)


def ahead(held, own: int | None, holding: int) -> bool:
    """Whether the worker in row `own`, holding `holding` connections, holds LEAD more than
    another worker."""
    if own is None:
        return False
    return any(0 <= n <= holding - LEAD for row, n in enumerate(list(held)) if row != own)


def take_row(held) -> int | None:
    """A free row, marked STARTING until its worker publishes what it holds; None when every
    row is taken."""
    for row, n in enumerate(held):
        if n == FREE:
            held[row] = STARTING
            return row
    return None


def release(worker, held=_held) -> None:
    """The worker has exited: its row is free again (in the master, from child_exit)."""
    row = getattr(worker, "row", None)
    if row is not None:
        held[row] = FREE


class BalancedThreadWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        self.closed_one_at = 0.0
        super().__init__(*args, **kwargs)
        self.row = take_row(_held)  # in the master, which creates workers one at a time

    @property
    def max_keepalived(self) -> int:
        """gthread keeps a connection alive after a response while it keeps fewer alive than
        this (read in the request's thread, before the response's headers): 0 closes this
        one, when this worker holds LEAD connections more than another. The client opens it
        again, and the worker holding fewer may take it."""
        holding = self.nr_conns
        if holding >= LEAD:  # else no worker can hold LEAD fewer
            now = time.monotonic()
            if now - self.closed_one_at > SPACING and ahead(_held, self.row, holding):
                self.closed_one_at = now
                return 0
        return self.keepalive_limit

    @max_keepalived.setter
    def max_keepalived(self, value: int) -> None:
        self.keepalive_limit = value

    def publish(self) -> None:
        if self.row is not None:
            _held[self.row] = self.nr_conns

    def wait_for_and_dispatch_events(self, timeout):
        self.publish()  # nr_conns changes on this thread: in accept and the callbacks
        super().wait_for_and_dispatch_events(timeout)

    def accept(self, listener):
        super().accept(listener)
        self.publish()
