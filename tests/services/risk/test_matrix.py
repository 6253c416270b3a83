"""The deployment's risk matrix: environment defaults, admin overrides, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import select

from app.services.risk import (
    QuietHours,
    deadline_for,
    defer_until,
    describe_matrix,
    reset_risk_matrix,
    risk_matrix,
    update_risk_matrix,
)
from models.changes import ChangeLog
from models.enums import RiskLevel, Role
from models.errors import Forbidden, InvalidInput
from models.reminders import QuietHoursIn, RiskLimitIn, RiskMatrixSetting, RiskMatrixUpdate
from tests.factories import act, count, make_user

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def admin(session):
    return act(session, make_user(session, Role.admin))


def test_without_settings_the_environment_defaults_apply(session):
    m = risk_matrix(session=session)
    assert m.limit(RiskLevel.high) == timedelta(hours=2)
    assert m.quiet == QuietHours(time(22), time(7))
    shown = describe_matrix(session=session)
    assert [(x.level, x.name, x.limit_hours) for x in shown.levels] == [
        ("high", "高", 2.0),
        ("medium", "中", 24.0),
        ("low", "低", 72.0),
    ]
    assert shown.quiet_hours.start == "22:00" and not shown.customised


def test_an_admin_changes_one_limit_and_the_rest_stays(session):
    update_risk_matrix(
        session=session,
        actor=admin(session),
        data=RiskMatrixUpdate(levels=[RiskLimitIn(level="high", limit_minutes=30)]),
        now=NOW,
    )
    m = risk_matrix(session=session)
    assert deadline_for(RiskLevel.high, NOW, m) == NOW + timedelta(minutes=30)
    assert m.limit(RiskLevel.medium) == timedelta(hours=24)
    assert m.quiet == QuietHours(time(22), time(7))
    assert describe_matrix(session=session).customised
    assert count(session, ChangeLog, ChangeLog.entity == "risk_matrix_setting") > 0


def test_quiet_hours_can_be_moved_and_switched_off(session):
    actor = admin(session)
    update_risk_matrix(
        session=session,
        actor=actor,
        data=RiskMatrixUpdate(quiet_hours=QuietHoursIn(start="21:30", end="6:30")),
    )
    assert risk_matrix(session=session).quiet == QuietHours(time(21, 30), time(6, 30))
    update_risk_matrix(session=session, actor=actor, data=RiskMatrixUpdate(quiet_hours_off=True))
    m = risk_matrix(session=session)
    night = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    assert m.quiet is None and defer_until(night, RiskLevel.low, m) == night


def test_reset_returns_to_the_defaults(session):
    actor = admin(session)
    update_risk_matrix(session=session, actor=actor, data=RiskMatrixUpdate(quiet_hours_off=True))
    reset_risk_matrix(session=session, actor=actor)
    assert risk_matrix(session=session).quiet == QuietHours(time(22), time(7))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            RiskMatrixUpdate(levels=[RiskLimitIn(level="high", limit_minutes=2000)]),
            "limits_out_of_order",
        ),
        (
            RiskMatrixUpdate(
                levels=[
                    RiskLimitIn(level="low", limit_minutes=60),
                    RiskLimitIn(level="low", limit_minutes=90),
                ]
            ),
            "duplicate_level",
        ),
        (RiskMatrixUpdate(quiet_hours=QuietHoursIn(start="25:00", end="07:00")), "bad_clock"),
        (RiskMatrixUpdate(quiet_hours=QuietHoursIn(start="07:00", end="7:00")), "empty_window"),
        (
            RiskMatrixUpdate(
                quiet_hours=QuietHoursIn(start="22:00", end="07:00"), quiet_hours_off=True
            ),
            "quiet_hours_conflict",
        ),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(session, data, code):
    with pytest.raises(InvalidInput) as err:
        update_risk_matrix(session=session, actor=admin(session), data=data)
    assert err.value.code == code
    assert count(session, RiskMatrixSetting) == 0


def test_only_admins_change_the_matrix(session):
    manager = act(session, make_user(session, Role.manager))
    with pytest.raises(Forbidden):
        update_risk_matrix(session=session, actor=manager, data=RiskMatrixUpdate())
    with pytest.raises(Forbidden):
        reset_risk_matrix(session=session, actor=manager)
    assert session.exec(select(RiskMatrixSetting)).first() is None


def test_site_issues_take_their_due_time_from_the_matrix_in_force(session):
    from app.services.field import create_issue
    from tests.factories import add_to_order, make_order

    update_risk_matrix(
        session=session,
        actor=admin(session),
        data=RiskMatrixUpdate(levels=[RiskLimitIn(level="high", limit_minutes=45)]),
    )
    order = make_order(session)
    engineer = make_user(session, Role.site_engineer)
    add_to_order(session, order, engineer, Role.site_engineer)
    issue = create_issue(
        session=session,
        actor=act(session, engineer),
        order_id=order.id,
        description="吊装区域围栏缺失",
        risk="high",
        now=NOW,
    )
    assert issue.due_at == NOW + timedelta(minutes=45)
