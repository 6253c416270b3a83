"""The warning board: one line per open exception, most urgent first, with its age against
the 2-hour target; filters; the answered ones with their response time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from app.services.alerts import (
    BoardFilters,
    acknowledge_alert,
    answered_alerts,
    duration_text,
    open_alerts,
)
from app.services.core import Actor
from app.services.orders import update_stage
from models.enums import RiskLevel, Role, StageKind
from models.people import User
from models.stages import StageUpdate
from tests.alerting import alerts, local, run
from tests.factories import act, add_to_order, make_chat_group, make_procuring_order, make_user

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _late(session, days_late: int, **order):
    order = make_procuring_order(session, **order)
    update_stage(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=local(9).date() - timedelta(days=days_late)),
    )
    make_chat_group(session, order_ids=[order.id])
    session.commit()
    return order


def test_open_warnings_come_once_per_exception_high_risk_first_with_their_age(session):
    medium = _late(session, 1)
    high = _late(session, 9)
    run(session, local(8), only={"stage_overdue"})
    run(session, local(8, 10, days=1), only={"stage_overdue"})  # the next day's reminders
    lines = open_alerts(session=session, actor=Actor.system(), now=local(9, 30, days=1))
    assert [x.alert.order_id for x in lines] == [high.id, medium.id]
    assert lines[0].alert.level == RiskLevel.high
    assert lines[0].age == "1 天 1 小时" and lines[0].overdue


def test_the_board_shows_only_visible_orders_and_honours_each_filter(session):
    mine = _late(session, 1)
    other = _late(session, 9)
    run(session, local(8), only={"stage_overdue"})
    worker = make_user(session, Role.production)
    add_to_order(session, mine, worker, Role.production)
    seen = open_alerts(session=session, actor=act(session, worker), now=local(9))
    assert {x.alert.order_id for x in seen} == {mine.id}
    system, now = Actor.system(), local(9)

    def ids(**f):
        return {
            x.alert.order_id
            for x in open_alerts(session=session, actor=system, now=now, filters=BoardFilters(**f))
        }

    assert ids(order_ids=(other.id,)) == {other.id}
    assert ids(level=RiskLevel.high) == {other.id}
    assert ids(rule="stage_overdue") == {mine.id, other.id}
    assert ids(rule="shortage") == set()
    assert ids(owner_id=mine.liaison_id) == {mine.id}


def test_the_board_of_some_orders_groups_only_their_alerts(session):
    """The standup reads one group's orders: the per-exception subquery is narrowed to them
    (and to the level and rule asked), so it does not group every alert ever raised."""
    order = _late(session, 9)
    run(session, local(8), only={"stage_overdue"})
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", record)
    try:
        filters = BoardFilters(order_ids=(order.id,), level=RiskLevel.high, rule="stage_overdue")
        lines = open_alerts(session=session, actor=Actor.system(), now=local(9), filters=filters)
        answered_alerts(session=session, actor=Actor.system(), now=local(9), filters=filters)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", record)
    assert [x.alert.order_id for x in lines] == [order.id]
    grouped = [s.split("max(alert.id)", 1)[1].split("GROUP BY")[0] for s in seen if "max(" in s]
    assert len(grouped) == 2
    for where in grouped:
        assert "alert.order_id IN" in where and "alert.level =" in where
        assert "alert.rule =" in where


def test_an_answered_warning_leaves_the_open_list_and_shows_its_response_time(session):
    order = _late(session, 1)
    run(session, local(8), only={"stage_overdue"})
    [alert] = alerts(session, "stage_overdue")
    manager = act(session, make_user(session, Role.manager))
    acknowledge_alert(session=session, actor=manager, alert_id=alert.id, now=local(8, 45))
    session.commit()
    assert open_alerts(session=session, actor=Actor.system(), now=local(9)) == []
    [line] = answered_alerts(session=session, actor=Actor.system(), now=local(9))
    assert line.alert.order_id == order.id and line.response == "45 分钟"
    assert not line.overdue


def test_durations_read_as_people_say_them():
    assert duration_text(59) == "0 分钟"
    assert duration_text(15 * 60) == "15 分钟"
    assert duration_text(2 * 3600) == "2 小时"
    assert duration_text(3 * 3600 + 20 * 60) == "3 小时 20 分"
    assert duration_text(49 * 3600) == "2 天 1 小时"
    assert duration_text(-5) == "0 分钟"
