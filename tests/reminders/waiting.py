"""Waiting for other threads and processes: poll with a bounded timeout, never assert on time."""

from __future__ import annotations

import time
from collections.abc import Callable

TIMEOUT = 60.0


def wait_for(check: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll until check() holds or the timeout passes; the result is check()'s last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return bool(check())
