"""The deliverer re-checks a warning's alert before sending it: a warning acknowledged,
closed or superseded while quiet hours held it is cancelled, not sent; the first message
delivered starts the alert's response clock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.alerts import acknowledge_alert
from app.services.chat import create_group
from app.services.core import Actor
from app.services.orders import update_stage
from models.chat import ChatGroupCreate
from models.enums import Channel, ChatPlatform, OutboxStatus, StageKind
from models.people import User
from models.stages import StageUpdate
from tests.alerting import alerts, local, noon, run
from tests.bots.live import content, pushed
from tests.bots.test_outbox_delivery import WECOM_GROUP, rows
from tests.factories import act, make_procuring_order

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _late_stage_in_group(session):
    """A procurement stage a day late (medium risk: held by quiet hours), its order followed
    by the simulator's WeCom group."""
    order = make_procuring_order(session)
    update_stage(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=noon().date() - timedelta(days=1)),
    )
    create_group(
        session=session,
        actor=Actor.system(Channel.cli),
        data=ChatGroupCreate(
            platform=ChatPlatform.wecom,
            name="项目群",
            webhook="wecom-robot-key-1",
            order_ids=[order.id],
        ),
    )
    session.commit()
    return order


def _sent_refs(sim) -> str:
    return "\n".join(content(p) for p in pushed(sim, WECOM_GROUP))


def _warnings(session):
    """The outbox rows carrying warnings (the stage change told the group too)."""
    return [r for r in rows(session) if r.alert_id is not None]


def test_warning_acknowledged_at_0152_is_not_sent_at_0700(session, deliverer, sim, now):
    order = _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})
    [alert] = alerts(session)
    liaison = act(session, session.get(User, order.liaison_id))
    acknowledge_alert(session=session, actor=liaison, alert_id=alert.id, now=local(1, 52, days=1))
    session.commit()
    now.set(local(7, days=1))
    deliverer.drain_once()
    assert f"#A{alert.id}" not in _sent_refs(sim)
    [row] = _warnings(session)
    assert row.status == OutboxStatus.cancelled and row.cancel_reason == "预警已确认"


def test_a_superseded_warning_is_cancelled_at_delivery_and_the_newer_one_sent(
    session, deliverer, sim, now
):
    _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})
    run(session, local(0, 10, days=1), delivered=False, only={"stage_overdue"})  # a new day
    old, new = alerts(session)
    assert [r.status for r in _warnings(session)] == [OutboxStatus.pending] * 2
    now.set(local(7, days=1))
    deliverer.drain_once()
    sent = _sent_refs(sim)
    assert f"#A{new.id} " in sent and f"#A{old.id} " not in sent
    first, second = _warnings(session)
    assert first.status == OutboxStatus.cancelled
    assert first.cancel_reason == "已有更新的同一预警"
    assert second.status == OutboxStatus.sent
    assert [a.delivered_at for a in alerts(session)] == [None, local(7, days=1)]


def test_a_delivered_warning_records_when_it_first_reached_the_group(session, deliverer, sim, now):
    _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})
    now.set(local(7, 3, days=1))
    deliverer.drain_once()
    [alert] = alerts(session)
    assert alert.delivered_at == local(7, 3, days=1)
    [row] = _warnings(session)
    assert row.status == OutboxStatus.sent and row.sent_at == local(7, 3, days=1)
