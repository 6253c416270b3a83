"""A warning's message is rendered when it is sent: the sweep stores a stub naming the alert,
and the deliverer writes the card as things are at the send (names, chat bindings, the
acknowledgement link's validity), stores it on the row, and sends it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.alerts import alert_for_token
from app.services.chat import outbox_public
from app.services.core import settings
from models.enums import OutboxStatus
from models.errors import DomainError
from models.people import User
from tests.alerting import alerts, local, run
from tests.bots.live import bind_all, content, pushed
from tests.bots.test_alert_recheck import _late_stage_in_group, _sent_refs, _warnings
from tests.bots.test_outbox_delivery import WECOM_GROUP, queue, rows, wecom_group

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def test_the_sweep_stores_a_stub_and_the_send_renders_the_card_as_things_are_then(
    session, deliverer, sim, now
):
    order = _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})
    [alert] = alerts(session)
    [row] = _warnings(session)
    assert row.message["render"] == "alert" and "text" not in row.message
    [listed] = outbox_public(session, [row])
    assert listed.preview == f"预警 #A{alert.id}（发送时生成消息）"
    # After the sweep and before the send: the liaison is renamed and binds a chat identity.
    liaison = session.get(User, order.liaison_id)
    liaison.display_name = "李联络（新）"
    session.add(liaison)
    bind_all(session, liaison, "lisi")
    session.commit()
    now.set(local(7, days=1))
    deliverer.drain_once()
    [message] = [m for m in pushed(sim, WECOM_GROUP) if f"#A{alert.id}" in content(m)]
    text = content(message)
    assert f"#A{alert.id}" in text and "李联络（新）" in text and "<@lisi>" in text
    [row] = _warnings(session)
    assert row.status == OutboxStatus.sent
    assert row.message["kind"] == "action_card" and row.message["mention_user_ids"] == ["lisi"]
    assert f"#A{alert.id}" in row.message["title"]
    [listed] = outbox_public(session, [row])
    assert f"#A{alert.id}" in listed.preview and "发送时生成" not in listed.preview


def test_the_acknowledgement_link_runs_from_the_send_not_the_sweep(session, deliverer, sim, now):
    _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})
    sent_at = local(7, days=3)  # held three days (a paused robot, an outage)
    now.set(sent_at)
    deliverer.drain_once()
    [alert] = alerts(session)
    [row] = _warnings(session)
    assert row.status == OutboxStatus.sent
    ack = row.message["buttons"][0]["url"]
    token = ack.rsplit("/ack/", 1)[1]
    hours = timedelta(hours=settings().alert_link_hours)
    secret = settings().secret_key
    last = sent_at + hours - timedelta(minutes=1)
    found = alert_for_token(session=session, token=token, secret=secret, now=last)
    assert found.id == alert.id
    after = last + timedelta(minutes=2)
    with pytest.raises(DomainError):
        alert_for_token(session=session, token=token, secret=secret, now=after)


def test_a_warning_whose_alert_was_deleted_is_cancelled_not_sent(session, deliverer, sim, now):
    _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})
    [alert] = alerts(session)
    session.delete(alert)
    session.commit()
    now.set(local(7, days=1))
    deliverer.drain_once()
    assert f"#A{alert.id}" not in _sent_refs(sim)
    [row] = _warnings(session)
    assert row.status == OutboxStatus.cancelled and row.cancel_reason == "预警已删除"
    assert row.message["render"] == "alert"  # never rendered


def test_a_stub_naming_no_alert_fails_for_good_instead_of_sending_an_empty_message(
    session, deliverer, sim, now
):
    group = wecom_group(session)
    [row] = queue(session, group, "占位", now=now())
    row.message = {"render": "alert"}  # a stub, but no alert to render it from
    session.add(row)
    session.commit()
    deliverer.drain_once()
    assert pushed(sim, WECOM_GROUP) == []
    [row] = rows(session)
    assert row.status == OutboxStatus.failed and "消息内容未生成" in row.last_error


def test_a_warning_of_a_rule_no_longer_registered_is_sent_under_the_rules_name(
    session, deliverer, sim, now
):
    _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})
    [alert] = alerts(session)
    alert.rule = "retired_rule"  # a rule removed between the sweep and the send
    session.add(alert)
    session.commit()
    now.set(local(7, days=1))
    deliverer.drain_once()
    [row] = _warnings(session)
    assert row.status == OutboxStatus.sent
    assert row.message["title"].endswith(f"#A{alert.id} · retired_rule")
