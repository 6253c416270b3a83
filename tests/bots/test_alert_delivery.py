"""Warnings through the outbox to the simulator: merged into a digest under the robots'
20-a-minute limit, and delivered once after an outage (nothing lost, nothing doubled)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.chat import create_group
from app.services.core import Actor
from models import clock
from models.chat import ChatGroupCreate
from models.enums import Channel, ChatPlatform, OutboxStatus, Role
from tests.alerting import alerts, run
from tests.bots.conftest import admin
from tests.bots.live import bind_all, content, pushed
from tests.bots.test_outbox_delivery import WECOM_GROUP, rows
from tests.factories import (
    add_to_order,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_purchase,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _late_key_purchases(session, n: int):
    """An order with n key-material purchase lines two days late (high risk: never deferred
    by quiet hours), followed by the simulator's WeCom group, its buyer bound."""
    buyer = make_user(session, Role.buyer, display_name="王采购")
    order = make_procuring_order(session)
    add_to_order(session, order, buyer, Role.buyer)
    bind_all(session, buyer, "wangwu")
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
    for _ in range(n):
        line = make_bom_line(session, order, make_material(session, is_key=True), days=20)
        make_purchase(
            session,
            order,
            line,
            status="confirmed",
            promised_date=line.need_date - timedelta(days=22),
        )
    session.commit()
    return order


@pytest.mark.moving_clock  # the drain runs on the wall clock: its digests are written after it
def test_more_warnings_than_the_robot_allows_go_out_as_one_digest(session, deliverer, sim, now):
    _late_key_purchases(session, 25)
    run(session, now(), only={"purchase_overdue"})
    run(session, now(), only={"purchase_overdue"})  # again: nothing new
    assert len(alerts(session)) == 25
    stats = deliverer.drain_once()
    assert stats.merged == 25 and stats.sent < 20  # digests, inside one minute's window
    digests = pushed(sim, WECOM_GROUP)
    assert len(digests) == stats.sent
    text = "\n".join(content(d) for d in digests)
    assert "消息汇总" in text
    counts = {a.id: text.count(f"#A{a.id} ") for a in alerts(session)}
    assert set(counts.values()) == {1}, (counts, text[:1500])
    for digest in digests:  # each digest @mentions the buyer once, within the robot's size
        body = digest["payload"]["markdown"]["content"]
        assert body.count("<@wangwu>") == 1 and len(body.encode()) <= 4096
    assert deliverer.drain_once().sent == 0


def test_warnings_queued_during_an_outage_arrive_once_when_it_ends(session, deliverer, sim, now):
    _late_key_purchases(session, 2)
    run(session, now(), only={"purchase_overdue"})
    fault = {"path": "/cgi-bin/webhook/send", "kind": "status", "status": 503, "count": 4}
    admin(sim, "POST", "faults", json=fault)
    retried = 0
    # The sweep goes on (adding nothing) within the day it raised the warnings: the back-off can
    # carry the clock past Shanghai's midnight, where the warnings are due again, once a day.
    _, day_end = clock.day_bounds(clock.local_date(now()))
    for _ in range(12):
        retried += deliverer.drain_once().retried
        run(session, min(now(), day_end - timedelta(seconds=1)), only={"purchase_overdue"})
        waiting = [r for r in rows(session) if r.status != OutboxStatus.sent]
        if not waiting:
            break
        now.set(max(r.not_before for r in waiting))
    assert retried >= 4  # every failed try came back
    sent = [r for r in rows(session) if r.kind == "alert"]
    assert len(sent) == 2
    assert {r.status for r in sent} == {OutboxStatus.sent}
    texts = [content(p) for p in pushed(sim, WECOM_GROUP)]
    for alert in alerts(session):
        assert sum(f"#A{alert.id} " in t for t in texts) == 1
