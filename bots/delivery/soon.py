"""Replies pushed right after a webhook's acknowledgement, by a thread of the web worker.

A webhook that queued a reply in the outbox (a DingTalk robot callback: the answer goes to its
sessionWebhook) hands the row ids here and returns. Work run in the request's own thread after
the response (`call_on_close`) would still hold the connection: under gunicorn's gthread worker a
keep-alive connection is read again only once its thread is done, so the platform's next
message on it would wait behind this one's delivery. One daemon thread per process takes the
ids instead, several at a time (one claim for all of them), and sends them; a row inserted
already leased to the worker's deliverer needs no claim and is sent as it is. Nothing is lost
when the process dies first: the rows are committed before the acknowledgement, and the
scheduler's delivery loop sends whatever is still due (a leased row once its lease ran out).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("gendan.bots")
BATCH = 50


class SoonSender:
    """Deliver outbox rows by id on a background thread (started on first use, per process:
    a forked worker starts its own)."""

    def __init__(self, deliverer: Callable[[], Any]):
        self.deliverer = deliverer  # returns the OutboxDeliverer to use (looked up per batch)
        self._items: queue.SimpleQueue[Any] = queue.SimpleQueue()  # ids and leased rows
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def submit(self, ids=(), leased=()) -> None:
        """Queue these rows for delivery as soon as the thread gets to them: rows by id (claimed
        before the send) and rows inserted leased to the deliverer (sent as they are)."""
        for item in (*ids, *leased):
            self._items.put(item)
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if alive and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="chat-soon", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            items = [self._items.get()]
            while len(items) < BATCH:
                try:
                    items.append(self._items.get_nowait())
                except queue.Empty:
                    break
            ids = [i for i in items if isinstance(i, int)]
            leased = [i for i in items if not isinstance(i, int)]
            try:
                self.deliverer().deliver_now(ids, leased)
            except Exception:
                log.exception("immediate delivery of %s failed; the delivery loop retries", items)
