"""The simulator's notion of time, so tests can move it instead of sleeping."""

from __future__ import annotations

import threading
import time

from models import clock


class Clock:
    """Real time plus an offset; `frozen=True` stops it at `start` until advanced."""

    def __init__(self, start: float | None = None, *, frozen: bool = False):
        self._lock = threading.Lock()
        self._frozen = frozen
        self._base = clock.epoch() if start is None else start
        self._started = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        with self._lock:
            running = 0.0 if self._frozen else time.monotonic() - self._started
            return self._base + running + self._offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._offset += seconds
        return self.now()

    def set(self, epoch: float) -> float:
        return self.advance(epoch - self.now())
