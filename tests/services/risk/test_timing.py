"""The risk matrix and quiet hours on a frozen clock, in zones without daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.risk import (
    QuietHours,
    RiskMatrix,
    deadline_for,
    default_matrix,
    defer_until,
    escalation_stage,
    in_quiet_hours,
)
from models.enums import EscalationStage, RiskLevel

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

H = timedelta(hours=1)
LIMITS = {RiskLevel.high: 2 * H, RiskLevel.medium: 24 * H, RiskLevel.low: 72 * H}
NIGHT = QuietHours(time(22, 0), time(7, 0))


def matrix(zone: str = "Asia/Shanghai", quiet: QuietHours | None = NIGHT) -> RiskMatrix:
    return RiskMatrix(limits=LIMITS, quiet=quiet, timezone=zone)


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


SINCE = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_default_matrix_is_high_2h_medium_24h_low_72h_with_night_quiet_hours():
    m = default_matrix()
    assert m.limits == LIMITS
    assert m.quiet == NIGHT and m.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("level", "hours"), [(RiskLevel.high, 2), (RiskLevel.medium, 24), (RiskLevel.low, 72)]
)
def test_deadline_is_the_level_limit_after_the_exception(level, hours):
    assert deadline_for(level, SINCE, matrix()) == SINCE + hours * H
    assert deadline_for(level.value, SINCE) == SINCE + hours * H


def test_deadline_follows_a_custom_matrix():
    custom = RiskMatrix(
        limits={**LIMITS, RiskLevel.high: timedelta(minutes=30)}, quiet=None, timezone="UTC"
    )
    assert deadline_for(RiskLevel.high, SINCE, custom) == SINCE + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("elapsed", "stage"),
    [
        (timedelta(0), EscalationStage.none),
        (2 * H - timedelta(seconds=1), EscalationStage.none),
        (2 * H, EscalationStage.remind_owner),
        (3 * H, EscalationStage.remind_owner),
        (4 * H - timedelta(seconds=1), EscalationStage.remind_owner),
        (4 * H, EscalationStage.tell_manager),
        (100 * H, EscalationStage.tell_manager),
    ],
)
def test_high_risk_reminds_the_owner_at_the_limit_and_tells_the_manager_at_twice(elapsed, stage):
    assert escalation_stage(RiskLevel.high, SINCE, None, SINCE + elapsed, matrix()) is stage


def test_medium_and_low_escalate_on_their_own_limits():
    m = matrix()
    assert (
        escalation_stage(RiskLevel.medium, SINCE, None, SINCE + 23 * H, m) is EscalationStage.none
    )
    assert (
        escalation_stage(RiskLevel.medium, SINCE, None, SINCE + 24 * H, m)
        is EscalationStage.remind_owner
    )
    assert (
        escalation_stage(RiskLevel.low, SINCE, None, SINCE + 143 * H, m)
        is EscalationStage.remind_owner
    )
    assert (
        escalation_stage(RiskLevel.low, SINCE, None, SINCE + 144 * H, m)
        is EscalationStage.tell_manager
    )


def test_an_acknowledged_exception_no_longer_escalates():
    late = SINCE + 10 * H
    acked_late = SINCE + 5 * H
    assert (
        escalation_stage(RiskLevel.high, SINCE, acked_late, late, matrix()) is EscalationStage.none
    )
    assert escalation_stage(RiskLevel.high, SINCE, late, late, matrix()) is EscalationStage.none


def test_an_acknowledgement_after_now_does_not_count_yet():
    now = SINCE + 3 * H
    later = SINCE + 5 * H
    assert (
        escalation_stage(RiskLevel.high, SINCE, later, now, matrix())
        is EscalationStage.remind_owner
    )


def test_naive_times_are_refused():
    naive = datetime(2026, 3, 2, 9, 0)
    with pytest.raises(ValueError):
        deadline_for(RiskLevel.high, naive, matrix())
    with pytest.raises(ValueError):
        escalation_stage(RiskLevel.high, SINCE, None, naive, matrix())
    with pytest.raises(ValueError):
        defer_until(naive, RiskLevel.low, matrix())


SH = "Asia/Shanghai"


@pytest.mark.parametrize(
    ("at", "quiet"),
    [
        ((21, 59, 59), False),
        ((22, 0, 0), True),
        ((23, 59, 59), True),
        ((0, 0, 0), True),
        ((6, 59, 59), True),
        ((7, 0, 0), False),
        ((12, 0, 0), False),
    ],
)
def test_night_quiet_hours_cross_local_midnight(at, quiet):
    assert in_quiet_hours(local(SH, 2026, 3, 2, *at), matrix()) is quiet


def test_a_medium_reminder_at_22_30_local_waits_for_7_00_the_next_local_day():
    now = local(SH, 2026, 3, 1, 22, 30)  # 14:30 UTC on 1 March
    until = defer_until(now, RiskLevel.medium, matrix())
    assert until == local(SH, 2026, 3, 2, 7, 0)
    # 07:00 in Shanghai is still 1 March in UTC: the local day rolled over, the UTC day did not.
    assert until.tzinfo is UTC and until == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)


def test_a_reminder_after_local_midnight_waits_for_7_00_the_same_local_day():
    now = local(SH, 2026, 3, 2, 0, 5)  # 16:05 UTC on 1 March
    assert defer_until(now, RiskLevel.low, matrix()) == local(SH, 2026, 3, 2, 7, 0)
    now = local(SH, 2026, 3, 2, 6, 59)
    assert defer_until(now, RiskLevel.low, matrix()) == local(SH, 2026, 3, 2, 7, 0)


def test_high_risk_is_never_deferred():
    now = local(SH, 2026, 3, 2, 3, 0)
    assert defer_until(now, RiskLevel.high, matrix()) == now


def test_outside_quiet_hours_nothing_waits():
    now = local(SH, 2026, 3, 2, 7, 0)
    assert defer_until(now, RiskLevel.low, matrix()) == now


def test_without_quiet_hours_nothing_waits():
    now = local(SH, 2026, 3, 2, 3, 0)
    assert defer_until(now, RiskLevel.low, matrix(quiet=None)) == now


@pytest.mark.parametrize(
    ("zone", "now_utc", "until_utc"),
    [
        # India, +05:30: 00:15 local on 2 March is 18:45 UTC on 1 March.
        ("Asia/Kolkata", datetime(2026, 3, 1, 18, 45), datetime(2026, 3, 2, 1, 30)),
        # Kiribati, +14: 22:30 local on 1 March is 08:30 UTC; 07:00 local is 17:00 UTC, same day.
        ("Pacific/Kiritimati", datetime(2026, 3, 1, 8, 30), datetime(2026, 3, 1, 17, 0)),
        # Arizona, -07:00: 22:30 local on 1 March is 05:30 UTC on 2 March.
        ("America/Phoenix", datetime(2026, 3, 2, 5, 30), datetime(2026, 3, 2, 14, 0)),
        # UTC itself: 23:00 on the last day of February.
        ("UTC", datetime(2026, 2, 28, 23, 0), datetime(2026, 3, 1, 7, 0)),
    ],
)
def test_quiet_hours_are_read_in_the_deployment_zone(zone, now_utc, until_utc):
    now = now_utc.replace(tzinfo=UTC)
    assert defer_until(now, RiskLevel.medium, matrix(zone)) == until_utc.replace(tzinfo=UTC)


def test_a_daytime_window_defers_to_its_end_the_same_day():
    lunch = matrix(quiet=QuietHours(time(12, 0), time(13, 30)))
    now = local(SH, 2026, 3, 2, 12, 45)
    assert defer_until(now, RiskLevel.low, lunch) == local(SH, 2026, 3, 2, 13, 30)
    assert not in_quiet_hours(local(SH, 2026, 3, 2, 13, 30), lunch)
    assert not in_quiet_hours(local(SH, 2026, 3, 2, 11, 59), lunch)


clock_times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
zones = st.sampled_from(["Asia/Shanghai", "Asia/Kolkata", "Pacific/Kiritimati", "UTC"])
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@given(instants, clock_times, clock_times, zones, st.sampled_from(list(RiskLevel)))
def test_a_deferred_message_lands_outside_quiet_hours_within_a_day(now, start, end, zone, level):
    m = matrix(zone, QuietHours(start, end) if start != end else None)
    until = defer_until(now, level, m)
    assert now <= until < now + 24 * H
    if until != now:
        assert level is not RiskLevel.high and in_quiet_hours(now, m)
        assert not in_quiet_hours(until, m)
    else:
        assert level is RiskLevel.high or not in_quiet_hours(now, m)
