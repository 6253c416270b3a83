"""Time in tests comes from the project's clock (models/clock.py), never the machine's.

- `today()` / `days(n)`: business days (Asia/Shanghai) relative to now, read when called, never
  at import: a run may cross midnight in Shanghai (16:00 UTC).
- `pin_clock(day)`: for a module whose tests share date constants, an autouse fixture that holds
  the project's clock at 10:00 local time on that day; the module's dates are then fixed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from models import clock

# A Wednesday: mid-week, mid-month, mid-year, away from every boundary the rules care about.
PINNED_DAY = date(2026, 3, 4)


def today() -> date:
    """Today's business day."""
    return clock.today()


def days(n: int) -> date:
    """The business day `n` days from today (negative: ago)."""
    return clock.today() + timedelta(days=n)


def local(hour: int, minute: int = 0, *, day: date | None = None, days_after: int = 0) -> datetime:
    """The UTC instant of a local wall-clock time on a business day (default today)."""
    base = (day or clock.today()) + timedelta(days=days_after)
    return clock.at_local(base, time(hour, minute))


def pin_clock(day: date = PINNED_DAY, at: time = time(10, 0)):
    """An autouse fixture (assign it to a module-level name) that pins the clock on `day`."""

    @pytest.fixture(autouse=True)
    def _pinned_clock():
        with clock.frozen(clock.at_local(day, at)) as advance:
            yield advance

    return _pinned_clock
