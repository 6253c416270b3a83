"""Rate-limit counters back to zero between tests."""

from __future__ import annotations


def reset_rate_limits(app) -> None:
    """Empty the app's rate-limit counters. With memory:// storage, limits' expiry timer (a
    thread started by the last hit, 10 ms later) is waited for first: MemoryStorage.reset
    clears its tables without the per-key locks the timer takes, and a timer running meanwhile
    raised KeyError in its thread (limits 5.8.0; seen once in CI, as a pytest warning)."""
    limiter = app.extensions["gendan.limiter"]
    timer = getattr(limiter.storage, "timer", None)
    if timer is not None:
        timer.join()
    limiter.reset()
