"""Clock times, weekday sets and windows as people write them in the configuration."""

from __future__ import annotations

from datetime import time

import pytest

from app.config import ConfigError, load_config
from app.services.core import describe_days, format_days, parse_clock, parse_days, parse_window


def test_clock_times_parse_with_or_without_a_leading_zero():
    assert parse_clock("08:45") == time(8, 45)
    assert parse_clock(" 8:05 ") == time(8, 5)
    assert parse_clock("23:59") == time(23, 59)


@pytest.mark.parametrize("bad", ["24:00", "8:5", "08:60", "0845", "", "8h45", "-1:00"])
def test_bad_clock_times_are_refused(bad):
    with pytest.raises(ValueError):
        parse_clock(bad)


def test_weekdays_parse_as_ranges_lists_and_wrapping_ranges():
    assert parse_days("mon-sat") == (0, 1, 2, 3, 4, 5)
    assert parse_days("Mon,Wed,fri") == (0, 2, 4)
    assert parse_days("sat-mon") == (0, 5, 6)
    assert parse_days("monday-sunday") == tuple(range(7))
    assert format_days((0, 1, 2, 3, 4, 5)) == "mon,tue,wed,thu,fri,sat"


@pytest.mark.parametrize("bad", ["", "mon,", "funday", "mon-", "1-5"])
def test_bad_weekdays_are_refused(bad):
    with pytest.raises(ValueError):
        parse_days(bad)


def test_weekdays_read_in_chinese():
    assert describe_days((0, 1, 2, 3, 4, 5)) == "周一至周六"
    assert describe_days(tuple(range(7))) == "每天"
    assert describe_days((0, 2, 4)) == "周一、周三、周五"


def test_windows_parse_and_may_be_switched_off():
    assert parse_window("22:00-07:00") == (time(22), time(7))
    assert parse_window("off") is None and parse_window("") is None
    for bad in ("22:00", "22:00-22:00", "22:00-25:00"):
        with pytest.raises(ValueError):
            parse_window(bad)


def test_reminder_configuration_defaults():
    config = load_config({})
    assert config["STANDUP_TIME"] == time(8, 45)
    assert config["STANDUP_DAYS"] == (0, 1, 2, 3, 4, 5)
    assert config["DAILY_REPORT_CUTOFF"] == time(20, 0)
    assert config["RULE_SWEEP_MINUTES"] == 5
    assert config["QUIET_HOURS"] == (time(22), time(7))
    assert config["SCHEDULER_LEASE_SECONDS"] == 30 and config["SCHEDULER_POLL_SECONDS"] == 10


def test_reminder_configuration_from_the_environment():
    config = load_config(
        {
            "STANDUP_TIME": "9:00",
            "STANDUP_DAYS": "mon-fri",
            "QUIET_HOURS": "off",
        }
    )
    assert config["STANDUP_TIME"] == time(9, 0) and config["STANDUP_DAYS"] == (0, 1, 2, 3, 4)
    assert config["QUIET_HOURS"] is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STANDUP_TIME", "25:00"),
        ("STANDUP_DAYS", "someday"),
        ("DAILY_REPORT_CUTOFF", "8pm"),
        ("QUIET_HOURS", "22:00"),
        ("RULE_SWEEP_MINUTES", "0"),
        ("SCHEDULER_LEASE_SECONDS", "soon"),
    ],
)
def test_bad_reminder_configuration_refuses_to_start_naming_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        load_config({name: value})
