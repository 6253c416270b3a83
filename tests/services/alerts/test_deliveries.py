"""An alert's messages kept in step with it: cancelled when the alert is acknowledged, closed
or superseded first; a warning whose cause went away closed with a reason; the clocks counting
from the first delivery; routing that never drops a warning; GET /api/alerts/<id>."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.services.alerts import acknowledge_alert
from app.services.orders import update_stage
from models.alerts import Alert
from models.enums import OutboxStatus, RiskLevel, Role, StageKind
from models.people import User
from models.stages import StageUpdate
from tests.alerting import alerts, bind, deliver, local, noon, outbox, run
from tests.factories import (
    PASSWORD,
    act,
    bearer,
    make_chat_group,
    make_procuring_order,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock
STAGE = {"stage_overdue"}  # at night the daily-report rule speaks too


def _plan(session, order, end):
    update_stage(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=end),
    )
    session.commit()


def _late_stage(session, days_late=1, group=True):
    order = make_procuring_order(session)
    _plan(session, order, noon().date() - timedelta(days=days_late))
    if group:
        make_chat_group(session, order_ids=[order.id])
        session.commit()
    return order


def test_acknowledging_during_quiet_hours_cancels_the_held_message(session):
    order = _late_stage(session)  # medium: held by quiet hours until 07:00
    run(session, local(23, 30), delivered=False, only=STAGE)
    [alert] = alerts(session, "stage_overdue")
    liaison = act(session, session.get(User, order.liaison_id))
    acknowledge_alert(session=session, actor=liaison, alert_id=alert.id, now=local(1, 52, days=1))
    session.commit()
    [row] = outbox(session, "alert")
    assert row.status == OutboxStatus.cancelled and row.cancel_reason == "预警已确认"
    assert row.alert_id == alert.id and row.sent_at is None


def test_a_warning_whose_cause_went_away_is_closed_with_a_reason(session):
    order = _late_stage(session)
    run(session, local(23, 30), delivered=False, only=STAGE)
    _plan(session, order, noon().date() + timedelta(days=5))  # re-planned: no longer late
    result = run(session, local(23, 45), delivered=False, only=STAGE)
    [alert] = alerts(session, "stage_overdue")
    assert result.resolved == [alert.id]
    assert alert.resolved_at == local(23, 45)
    assert alert.resolved_reason == "阶段已完成或计划已调整，不再逾期"
    [row] = outbox(session, "alert")
    assert row.status == OutboxStatus.cancelled
    assert row.cancel_reason == "预警已关闭：阶段已完成或计划已调整，不再逾期"
    assert run(session, local(23, 50), only=STAGE).resolved == []  # closed once


def test_a_warning_still_found_stays_open(session):
    _late_stage(session)
    run(session, local(11))
    run(session, local(12))
    assert [a.resolved_at for a in alerts(session)] == [None]


def test_escalation_counts_from_the_first_delivery_not_from_creation(session):
    _late_stage(session)  # medium: 24 h limit
    run(session, local(23, 30), only={"stage_overdue"})  # held until 07:00: not delivered
    [alert] = alerts(session)
    assert alert.delivered_at is None
    deliver(session, local(7, days=1))
    assert alerts(session)[0].delivered_at == local(7, days=1)
    run(session, local(23, 45, days=1))  # 24 h after creation, 16 h after delivery
    assert alerts(session, "escalate_owner") == []
    run(session, local(7, 5, days=2))
    [escalation] = alerts(session, "escalate_owner")
    escalated = session.get(Alert, escalation.parent_id)
    assert (escalated.rule, escalated.entity_id) == ("stage_overdue", alert.entity_id)


def test_an_undelivered_warning_is_never_escalated(session):
    _late_stage(session, days_late=9)  # high: 2 h limit
    run(session, local(8), delivered=False)
    run(session, local(14), delivered=False)
    assert alerts(session, "escalate_owner") == alerts(session, "escalate_manager") == []


def test_high_risk_warning_without_owner_binding_or_group_reaches_a_bound_manager(session):
    order = _late_stage(session, days_late=9, group=False)  # the liaison owns it, unbound
    manager = make_user(session, Role.manager)
    bind(session, manager, "boss")
    session.commit()
    run(session)
    [alert] = alerts(session)
    assert alert.level == RiskLevel.high and alert.owner_id == order.liaison_id
    [row] = outbox(session, "alert")
    assert row.user_id == manager.id and row.target == {"user_ids": ["boss"]}
    assert alerts(session, "unrouted") == []


def test_the_liaison_comes_before_the_managers(session):
    order = _late_stage(session, days_late=9, group=False)
    bind(session, session.get(User, order.liaison_id), "li.gd")
    bind(session, make_user(session, Role.manager), "boss")
    session.commit()
    run(session)
    [row] = outbox(session, "alert")
    assert row.user_id == order.liaison_id


def test_a_warning_nobody_can_receive_is_raised_to_the_admins(session):
    admin = make_user(session, Role.admin)
    _late_stage(session, days_late=9, group=False)
    run(session)
    [alert] = alerts(session, "stage_overdue")
    assert outbox(session, "alert") == []
    [raised] = alerts(session, "unrouted")
    assert raised.owner_id == admin.id and raised.level == RiskLevel.high
    assert raised.entity_type == "alert" and raised.entity_id == alert.id
    assert f"#A{alert.id} 没有送达任何人" in raised.message
    run(session, noon() + timedelta(minutes=5))
    assert len(alerts(session, "unrouted")) == 1  # once a day


def test_a_bound_admin_receives_what_nobody_else_can(session):
    admin = make_user(session, Role.admin)
    bind(session, admin, "root")
    _late_stage(session, days_late=9, group=False)
    run(session)
    [row] = outbox(session, "alert")
    assert row.user_id == admin.id
    assert alerts(session, "unrouted") == []


def test_a_group_message_mentions_the_next_who_answers_when_the_owner_cannot_be(session):
    _late_stage(session, days_late=9)
    bind(session, make_user(session, Role.manager), "boss")
    session.commit()
    run(session)
    [row] = outbox(session, "alert")
    assert row.group_id is not None and row.message["mention_user_ids"] == ["boss"]


def test_api_shows_an_alert_with_its_deliveries(client, session):
    order = _late_stage(session)
    run(session, local(23, 30), delivered=False, only=STAGE)
    [alert] = alerts(session, "stage_overdue")
    liaison = bearer(session.get(User, order.liaison_id))
    session.commit()  # no read transaction left open: SQLite would refuse the ack's write
    shown = client.get(f"/api/alerts/{alert.id}", headers=liaison)
    assert shown.status_code == 200
    body = shown.get_json()
    assert body["id"] == alert.id and body["ref"] == f"A{alert.id}"
    [held] = body["deliveries"]
    assert held["channel"] == "wecom_robot" and held["recipient"].startswith("项目群")
    assert held["status"] == "held" and held["status_name"] == "暂缓（免打扰）"
    client.post(f"/api/alerts/{alert.id}/ack", headers=liaison)
    shown = client.get(f"/api/alerts/{alert.id}", headers=liaison).get_json()
    [cancelled] = shown["deliveries"]
    assert cancelled["status"] == "cancelled" and cancelled["status_name"] == "已取消"
    assert cancelled["cancel_reason"] == "预警已确认"


def test_api_refuses_an_unknown_alert_and_one_on_an_order_you_cannot_see(client, session):
    _late_stage(session)
    run(session)
    [alert] = alerts(session)
    stranger = bearer(make_user(session, Role.buyer))
    session.commit()
    missing = client.get(f"/api/alerts/{alert.id + 999}", headers=stranger)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "alert_not_found"
    assert "预警" in missing.get_json()["error"]["message"]
    hidden = client.get(f"/api/alerts/{alert.id}", headers=stranger)
    assert hidden.status_code == 403 and hidden.get_json()["error"]["code"] == "not_order_member"
    assert client.get(f"/api/alerts/{alert.id}").status_code == 401


def test_api_documents_the_alert_with_its_deliveries(client):
    spec = client.get("/api/openapi.json").get_json()
    operation = spec["paths"]["/api/alerts/{alert_id}"]["get"]
    assert "200" in operation["responses"]
    assert "deliveries" in spec["components"]["schemas"]["AlertDetail"]["properties"]


def test_the_outbox_api_and_page_show_a_cancelled_message_with_its_reason(client, session):
    order = _late_stage(session)
    admin = make_user(session, Role.admin, username="root")
    run(session, local(23, 30), delivered=False, only=STAGE)
    [alert] = alerts(session, "stage_overdue")
    acknowledge_alert(
        session=session, actor=act(session, admin), alert_id=alert.id, now=local(1, days=1)
    )
    session.commit()
    listed = client.get(
        f"/api/orders/{order.id}/outbox?status=cancelled", headers=bearer(admin)
    ).get_json()
    [row] = listed["items"]
    assert row["alert_id"] == alert.id and row["cancel_reason"] == "预警已确认"
    assert client.get("/api/outbox?status=gone", headers=bearer(admin)).status_code == 422
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    client.post("/login", data={"username": "root", "password": PASSWORD, "csrf_token": token})
    page = client.get("/outbox?status=cancelled").get_data(as_text=True)
    assert "已取消" in page and "取消原因：预警已确认" in page
