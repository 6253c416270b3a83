"""Lateness, the one read model: late stages and their days, and the four readers that agree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.insight import order_overview, standup_summary
from app.services.orders import (
    delivery_days_late,
    late_stages,
    list_stages,
    stage_days_late,
    update_stage,
)
from bots.commands import SPECS
from bots.handlers import ChatContext
from bots.message import InboundMessage
from models import clock
from models.enums import STAGE_NAMES, Channel, StageKind
from models.people import User
from models.stages import StageUpdate
from tests.alerting import fired
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import act, make_procuring_order

pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)


def _plan(session, order, kind: StageKind, days_ago: int) -> None:
    tracker = act(session, session.get(User, order.liaison_id))
    update_stage(
        session=session,
        actor=tracker,
        order_id=order.id,
        kind=kind,
        data=StageUpdate(planned_end=TODAY - timedelta(days=days_ago)),
    )


def _late_order(session):
    """Procurement 3 days late, production 1 day late, delivery due today (not late)."""
    order = make_procuring_order(session)
    _plan(session, order, StageKind.procurement, 3)
    _plan(session, order, StageKind.production, 1)
    _plan(session, order, StageKind.delivery, 0)
    session.flush()
    return order


EXPECTED = {StageKind.procurement: 3, StageKind.production: 1}


def test_a_stage_is_late_from_the_day_after_its_planned_end_until_done(session):
    order = _late_order(session)
    found = late_stages(session=session, today=TODAY, order_ids=[order.id])
    assert {s.kind: s.days for s in found} == EXPECTED
    assert {s.order_code for s in found} == {order.code}
    stages = list_stages(session=session, order_id=order.id)
    assert {StageKind(s.kind): stage_days_late(s, TODAY) for s in stages} == {
        StageKind.review: 0,
        StageKind.procurement: 3,
        StageKind.production: 1,
        StageKind.delivery: 0,
        StageKind.acceptance: 0,
    }
    tomorrow = TODAY + timedelta(days=1)
    later = late_stages(session=session, today=tomorrow, order_ids=[order.id])
    assert {s.kind: s.days for s in later} == {
        **{k: d + 1 for k, d in EXPECTED.items()},
        StageKind.delivery: 1,
    }


def test_delivery_lateness_counts_days_past_the_delivery_date(session):
    order = make_procuring_order(session)
    assert delivery_days_late(order, order.delivery_date) == 0
    assert delivery_days_late(order, order.delivery_date + timedelta(days=2)) == 2
    assert delivery_days_late(order, order.delivery_date - timedelta(days=5)) == 0


def test_late_stages_of_no_orders_and_of_other_statuses_are_empty(session):
    order = _late_order(session)
    assert late_stages(session=session, today=TODAY, order_ids=[]) == []
    done = late_stages(session=session, today=TODAY, statuses=("completed",))
    assert [s for s in done if s.order_id == order.id] == []


def _bot_marks(session, order) -> dict[StageKind, bool]:
    """The ⚠ marks in the chat bot's progress answer, per stage."""
    message = InboundMessage(
        platform="wecom",
        message_id="m-1",
        sender_id="u-1",
        conversation_id="c-1",
        conversation_type="private",
        created_at=clock.now(),
    )
    liaison = session.get(User, order.liaison_id)
    ctx = ChatContext(
        session=session,
        message=message,
        now=clock.now(),
        user=liaison,
        actor=act(session, liaison, Channel.bot),
        spec=SPECS["progress"],
    )
    text = ctx.spec.handler(ctx, {"order": order.code}).text
    marks = {}
    for kind in StageKind:
        (line,) = [ln for ln in text.splitlines() if STAGE_NAMES[kind] in ln]
        marks[kind] = line.startswith("- ⚠")
    return marks


def test_the_bot_the_standup_the_overview_and_the_warning_rule_agree(session):
    order = _late_order(session)
    liaison = act(session, session.get(User, order.liaison_id))
    names = {STAGE_NAMES[k]: k for k in StageKind}

    summary = standup_summary(session=session, actor=liaison, order_id=order.id)
    standup = {names[s.name]: s.days_late for s in summary.stages if s.days_late}

    (row,) = [r for r in order_overview(session=session, actor=liaison).items if r.id == order.id]
    overview = {}
    for warning in row.warnings:
        if warning.kind == "stage_overdue":
            name, days = warning.text.split("超期 ")
            overview[names[name]] = int(days.removesuffix(" 天"))

    rule = {}
    for alert in fired(session, "stage_overdue"):
        name = next(n for n in names if n in alert.message)
        rule[names[name]] = int(alert.message.split("已逾期 ")[1].removesuffix(" 天"))

    bot = {kind for kind, late in _bot_marks(session, order).items() if late}

    assert standup == overview == rule == EXPECTED
    assert bot == set(EXPECTED)
