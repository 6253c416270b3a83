"""Clock times, weekday sets and daily windows as people write them ("08:45", "mon-sat",
"22:00-07:00"), parsed strictly. Pure: the configuration, the services and the scheduler share it.
"""

from __future__ import annotations

import re
from datetime import time

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def parse_clock(text: str) -> time:
    """'8:45' or '08:45' as a time of day; ValueError otherwise."""
    match = _CLOCK.match(text.strip())
    if match is None:
        raise ValueError(f"not a clock time HH:MM: {text!r}")
    return time(int(match.group(1)), int(match.group(2)))


def format_clock(value: time) -> str:
    return value.strftime("%H:%M")


def _day(name: str) -> int:
    try:
        return DAY_NAMES.index(name.strip().lower()[:3])
    except ValueError:
        raise ValueError(f"not a weekday name: {name!r}") from None


def parse_days(text: str) -> tuple[int, ...]:
    """'mon-sat' or 'mon,wed,fri' (ranges may wrap: 'sat-mon') as sorted weekday numbers,
    Monday = 0; ValueError for anything else, including an empty set."""
    days: set[int] = set()
    for part in text.split(","):
        if not part.strip():
            raise ValueError(f"empty weekday in {text!r}")
        first, sep, last = part.partition("-")
        start = _day(first)
        end = _day(last) if sep else start
        span = (end - start) % 7
        days.update((start + i) % 7 for i in range(span + 1))
    return tuple(sorted(days))


def format_days(days: tuple[int, ...]) -> str:
    """Weekday numbers as the comma list APScheduler's cron trigger and parse_days accept."""
    return ",".join(DAY_NAMES[d] for d in sorted(days))


def describe_days(days: tuple[int, ...]) -> str:
    """Weekdays in Chinese: 周一至周六, or 周一、周三、周五."""
    ordered = sorted(days)
    if len(ordered) == 7:
        return "每天"
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{DAY_NAMES_ZH[ordered[0]]}至{DAY_NAMES_ZH[ordered[-1]]}"
    return "、".join(DAY_NAMES_ZH[d] for d in ordered)


def parse_window(text: str) -> tuple[time, time] | None:
    """'22:00-07:00' as (start, end); 'off' or '' as None (no window)."""
    if text.strip().lower() in ("", "off", "none"):
        return None
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"not a window HH:MM-HH:MM: {text!r}")
    window = parse_clock(start), parse_clock(end)
    if window[0] == window[1]:
        raise ValueError(f"a window needs different start and end: {text!r}")
    return window
