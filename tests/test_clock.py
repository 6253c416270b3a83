"""The one clock: business time is the deployment's zone, and nothing else reads the machine's."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from app.services.core import configure, local_date
from models import clock

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.clock


def test_a_utc_evening_is_already_tomorrow_in_shanghai():
    with clock.frozen(datetime(2026, 12, 31, 16, 20, tzinfo=UTC)):
        assert clock.today() == date(2027, 1, 1)
        assert local_date() == date(2027, 1, 1)
        assert clock.now() == datetime(2026, 12, 31, 16, 20, tzinfo=UTC)


def test_local_wall_times_and_day_bounds_are_utc_instants():
    day = date(2027, 2, 28)
    assert clock.at_local(day, time(8, 45)) == datetime(2027, 2, 28, 0, 45, tzinfo=UTC)
    start, end = clock.day_bounds(day)
    assert (start, end) == (
        datetime(2027, 2, 27, 16, 0, tzinfo=UTC),
        datetime(2027, 2, 28, 16, 0, tzinfo=UTC),
    )


def test_a_frozen_clock_moves_only_when_advanced_and_returns_to_the_wall_clock():
    at = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
    with clock.frozen(at) as advance:
        assert clock.now() == at
        advance(timedelta(hours=15))
        assert clock.today() == date(2026, 3, 5)
    assert abs(clock.now() - datetime.fromtimestamp(clock.epoch(), UTC)) < timedelta(seconds=1)
    assert clock.now().year >= 2026


def test_the_business_zone_follows_the_settings():
    at = datetime(2026, 6, 30, 20, 0, tzinfo=UTC)
    try:
        configure(timezone="Europe/Berlin")
        assert clock.local_date(at) == date(2026, 6, 30)
        configure(timezone="Asia/Shanghai")
        assert clock.local_date(at) == date(2026, 7, 1)
    finally:
        configure(timezone="Asia/Shanghai")


def test_a_naive_instant_cannot_pin_the_clock():
    with pytest.raises(ValueError):
        clock.set_now(datetime(2026, 1, 1, 12, 0))


def test_no_code_or_test_reads_the_machines_clock():
    """ruff's banned-api rule (pyproject.toml) names date.today, datetime.now/today/utcnow and
    time.localtime; models/clock.py is the one place allowed to read the wall clock."""
    folders = ["app", "bots", "reminders", "scanning", "models", "tests", "bench"]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "TID251", "--no-cache", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
