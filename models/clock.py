"""The project's one clock.

Business time is the deployment's time zone (Asia/Shanghai unless TIMEZONE says otherwise), not
the machine's: a UTC server at 17:00 is already tomorrow in Shanghai. Every layer reads "now"
and "today" here, so this module sits at the bottom of the import graph (models may import it;
it imports nothing of the project). Nothing else in app/, bots/, reminders/, scanning/, models/
or tests/ reads the wall clock (ruff's banned-api rule enforces it, see pyproject.toml).

Tests move time with `frozen(at)` or `set_now(at)`; services still take `now=` where a caller
wants to pass an instant explicitly.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

UTC = _dt.UTC
DEFAULT_ZONE = "Asia/Shanghai"

_zone = ZoneInfo(DEFAULT_ZONE)
_source: Callable[[], _dt.datetime] | None = None


def _wall() -> _dt.datetime:
    return _dt.datetime.now(UTC)  # noqa: TID251 (the one place that reads the wall clock)


def now() -> _dt.datetime:
    """The current instant, aware, in UTC."""
    return _wall() if _source is None else _source().astimezone(UTC)


def zone() -> ZoneInfo:
    """The business time zone."""
    return _zone


def set_zone(name: str) -> ZoneInfo:
    """Use another business time zone (settings call this at startup)."""
    global _zone
    _zone = ZoneInfo(name)
    return _zone


def local(instant: _dt.datetime | None = None) -> _dt.datetime:
    """An instant (default: now) in the business time zone."""
    return (instant or now()).astimezone(_zone)


def local_date(instant: _dt.datetime | None = None) -> _dt.date:
    """The business calendar day of an instant (default: now)."""
    return local(instant).date()


def today() -> _dt.date:
    """Today's business calendar day."""
    return local_date()


def at_local(day: _dt.date, clock_time: _dt.time = _dt.time(12, 0)) -> _dt.datetime:
    """The UTC instant of a local wall-clock time on a business day (default: noon)."""
    return _dt.datetime.combine(day, clock_time, tzinfo=_zone).astimezone(UTC)


def day_bounds(day: _dt.date) -> tuple[_dt.datetime, _dt.datetime]:
    """The UTC instants where a business day starts and the next one starts."""
    start = at_local(day, _dt.time(0, 0))
    return start, at_local(day + _dt.timedelta(days=1), _dt.time(0, 0))


def epoch() -> float:
    """Now as seconds since the epoch (for wire protocols that carry timestamps)."""
    return now().timestamp()


def set_now(source: _dt.datetime | Callable[[], _dt.datetime] | None) -> None:
    """Pin the clock to an instant, follow a callable, or (None) return to the wall clock."""
    global _source
    if source is None or callable(source):
        _source = source
        return
    if source.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    pinned = source
    _source = lambda: pinned  # noqa: E731


@contextmanager
def frozen(at: _dt.datetime) -> Iterator[Callable[[_dt.timedelta], _dt.datetime]]:
    """Hold the clock at `at` inside the block; yields `advance(delta)` to move it on."""
    global _source
    previous = _source
    state = {"now": at.astimezone(UTC)}

    def advance(delta: _dt.timedelta) -> _dt.datetime:
        state["now"] += delta
        return state["now"]

    _source = lambda: state["now"]  # noqa: E731
    try:
        yield advance
    finally:
        _source = previous
