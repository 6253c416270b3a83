"""Alerts once raised: the dedupe key, quiet hours, @mentions, escalation owner -> manager and
its stop on acknowledgement, the response time, and the REST API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.alerts import (
    AckNotAllowed,
    AlertAcknowledged,
    AlertNotFound,
    acknowledge_alert,
    alert_public,
)
from app.services.core import Actor
from app.services.field import create_issue
from app.services.orders import update_stage
from models.alerts import Alert
from models.base import utcnow
from models.enums import Channel, RiskLevel, Role, StageKind
from models.errors import Forbidden
from models.orders import Order
from models.outbox import Outbox
from models.people import User
from models.stages import StageUpdate
from tests.alerting import alerts, bind, local, noon, outbox, run
from tests.factories import (
    act,
    add_to_order,
    bearer,
    count,
    make_chat_group,
    make_procuring_order,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _late_stage(session, days_late=1, **order):
    order = make_procuring_order(session, **order)
    update_stage(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=noon().date() - timedelta(days=days_late)),
    )
    session.commit()
    return order


def test_sweeping_twice_raises_one_alert_and_sends_one_message(session):
    order = _late_stage(session)
    make_chat_group(session, order_ids=[order.id])
    first = run(session)
    second = run(session, noon() + timedelta(minutes=5))
    assert (first.alerts, second.alerts) == (1, 0)
    assert count(session, Alert) == 1
    assert count(session, Outbox, Outbox.kind == "alert") == 1


def test_alert_message_mentions_the_owner_and_links_the_order_and_the_ack_page(session):
    order = _late_stage(session)
    group = make_chat_group(session, order_ids=[order.id])
    bind(session, session.get(User, order.liaison_id), "li.gd")
    run(session)
    [alert] = alerts(session)
    [row] = outbox(session, "alert")
    assert row.group_id == group.id
    assert row.message["kind"] == "action_card"
    assert row.message["mention_user_ids"] == ["li.gd"]
    assert f"#A{alert.id}" in row.message["title"]
    assert f"收到 #A{alert.id}" in row.message["text"]
    ack, opened = row.message["buttons"]
    assert ack["title"] == "收到" and "/ack/" in ack["url"]
    assert opened["title"] == "打开订单" and opened["url"].endswith(f"/orders/{order.id}")
    assert row.message["fields"]["character_string1"] == f"A{alert.id}"


def test_an_order_without_a_group_reminds_the_owner_privately(session):
    order = _late_stage(session)
    bind(session, session.get(User, order.liaison_id), "li.gd")
    run(session)
    [row] = outbox(session, "alert")
    assert row.group_id is None and row.target == {"user_ids": ["li.gd"]}


def test_quiet_hours_defer_a_medium_alert_but_not_a_high_one(session):
    medium = _late_stage(session, days_late=1)
    high = _late_stage(session, days_late=9)
    make_chat_group(session, order_ids=[medium.id, high.id])
    night = local(23, 30)
    run(session, night)
    sent = {row.order_id: row.not_before for row in outbox(session, "alert")}
    assert sent[high.id] == night
    assert sent[medium.id] == local(7, days=1)


def _issue(session, risk="medium"):
    order = make_procuring_order(session)
    make_chat_group(session, order_ids=[order.id])
    manager = make_user(session, Role.manager)
    tracker = act(session, session.get(User, order.liaison_id))
    issue = create_issue(
        session=session,
        actor=tracker,
        order_id=order.id,
        description="吊车未到",
        risk=risk,
        due_at=local(10, 30),
        now=local(8),
    )
    session.commit()
    return order, issue, manager


def test_unacknowledged_alert_reminds_the_owner_then_tells_the_manager(session):
    # medium: 24 h handling limit, counted from the first delivery (11:00)
    _, issue, manager = _issue(session, "medium")
    bind(session, manager, "boss")
    run(session, local(11))  # past due: the owner's reminder
    assert [a.rule for a in alerts(session)] == ["issue_overdue"]
    run(session, local(11, days=1))  # the limit passed: the owner again, with the limit
    assert "escalate_owner" in [a.rule for a in alerts(session)]
    run(session, local(11, days=2))  # twice the limit: the manager
    [told] = alerts(session, "escalate_manager")
    assert told.owner_id == issue.owner_id and told.parent_id is not None
    [row] = [o for o in outbox(session, "alert") if o.alert_id == told.id]
    assert "boss" in row.message["mention_user_ids"] and "管理层" in row.message["text"]


def test_acknowledging_stops_reminders_and_escalation_and_stores_the_response_time(session):
    _order, issue, _ = _issue(session, "high")  # 2 h limit
    run(session, local(11))
    [alert] = alerts(session, "issue_overdue")
    owner = act(session, session.get(User, issue.owner_id))
    done = acknowledge_alert(
        session=session, actor=owner, alert_id=alert.id, via="chat", now=local(11, 30)
    )
    session.commit()
    assert done.response_seconds == 0.5 * 3600  # since the warning was delivered at 11:00
    assert done.acknowledged_by_id == issue.owner_id
    run(session, local(14))
    run(session, local(9, days=1))
    assert [a.rule for a in alerts(session)] == ["issue_overdue"]  # nothing more
    assert count(session, Outbox, Outbox.kind == "alert") == 1


def test_acknowledging_an_escalation_acknowledges_the_warning_it_escalates(session):
    _, issue, _ = _issue(session, "high")
    run(session, local(11))
    run(session, local(15))  # 4 h after its delivery: twice the 2 h limit
    [told] = alerts(session, "escalate_manager")
    owner = act(session, session.get(User, issue.owner_id))
    acknowledge_alert(session=session, actor=owner, alert_id=told.id, now=local(15, 5))
    session.commit()
    assert all(a.acknowledged_at is not None for a in alerts(session))


def test_acknowledging_twice_or_an_unknown_alert_is_refused(session):
    order = _late_stage(session)
    run(session, only={"stage_overdue"})  # no group, nobody bound: unrouted too
    [alert] = alerts(session)
    tracker = act(session, session.get(User, order.liaison_id))
    acknowledge_alert(session=session, actor=tracker, alert_id=alert.id, now=noon())
    session.commit()
    with pytest.raises(AlertAcknowledged):
        acknowledge_alert(session=session, actor=tracker, alert_id=alert.id, now=noon())
    with pytest.raises(AlertNotFound):
        acknowledge_alert(session=session, actor=tracker, alert_id=alert.id + 99, now=noon())


def test_only_those_who_see_the_order_may_acknowledge(session):
    _late_stage(session)
    run(session, only={"stage_overdue"})  # no group, nobody bound: unrouted too
    [alert] = alerts(session)
    stranger = act(session, make_user(session, Role.buyer))
    with pytest.raises(Forbidden):
        acknowledge_alert(session=session, actor=stranger, alert_id=alert.id, now=noon())
    session.rollback()
    assert alerts(session)[0].acknowledged_at is None


def test_api_lists_visible_alerts_with_filters_and_acknowledges(client, session):
    mine = _late_stage(session)
    _late_stage(session, days_late=9)
    run(session, only={"stage_overdue"})  # no group, nobody bound: unrouted too
    buyer = make_user(session, Role.buyer)
    add_to_order(session, mine, buyer, Role.buyer)
    session.commit()
    headers = bearer(buyer)
    listed = client.get("/api/alerts", headers=headers).get_json()
    assert [a["order_id"] for a in listed["items"]] == [mine.id]  # the other is not visible
    alert_id = listed["items"][0]["id"]
    assert listed["items"][0]["ref"] == f"A{alert_id}"
    high = client.get("/api/alerts?level=high", headers=headers).get_json()
    assert high["total"] == 0
    refused = client.post(f"/api/alerts/{alert_id}/ack", headers=headers)  # not the owner
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "alert_ack_forbidden"
    assert "只能由责任人" in refused.get_json()["error"]["message"]
    liaison = bearer(session.get(User, mine.liaison_id))
    r = client.post(f"/api/alerts/{alert_id}/ack", headers=liaison)
    assert r.status_code == 200 and r.get_json()["ack_via"] == "api"
    assert r.get_json()["acknowledged_by_name"] == session.get(User, mine.liaison_id).display_name
    again = client.post(f"/api/alerts/{alert_id}/ack", headers=liaison)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "alert_acknowledged"
    acked = client.get("/api/alerts?status=acknowledged", headers=headers).get_json()
    assert acked["total"] == 1
    opened = client.get("/api/alerts?status=open", headers=headers).get_json()
    assert opened["total"] == 0


def test_api_refuses_bad_filters_and_unknown_alerts(client, session):
    user = make_user(session, Role.manager)
    session.commit()
    headers = bearer(user)
    assert client.get("/api/alerts?level=severe", headers=headers).status_code == 422
    assert client.get("/api/alerts?status=closed", headers=headers).status_code == 422
    missing = client.post("/api/alerts/999999/ack", headers=headers)
    assert missing.status_code == 404 and "预警" in missing.get_json()["error"]["message"]


def test_system_acknowledgement_without_a_user_is_recorded_as_the_owner(session):
    order = _late_stage(session)
    run(session, only={"stage_overdue"})  # no group, nobody bound: unrouted too
    [alert] = alerts(session)
    done = acknowledge_alert(
        session=session,
        actor=Actor.system(Channel.web),
        alert_id=alert.id,
        via="link",
        by_user_id=alert.owner_id,
        now=noon(),
    )
    assert done.acknowledged_by_id == order.liaison_id and done.level == RiskLevel.medium


def test_escalation_boundaries_follow_the_risk_matrix(session):
    order = make_procuring_order(session)
    make_chat_group(session, order_ids=[order.id])
    create_issue(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        description="漏水",
        risk="high",  # 2 h limit from its first delivery (08:31)
        due_at=local(8, 30),
        now=local(8),
    )
    session.commit()
    run(session, local(8, 31))
    run(session, local(10, 30))
    assert alerts(session, "escalate_owner") == []
    run(session, local(10, 31))
    assert len(alerts(session, "escalate_owner")) == 1
    run(session, local(12, 30))
    assert alerts(session, "escalate_manager") == []
    run(session, local(12, 31))
    assert len(alerts(session, "escalate_manager")) == 1
    run(session, local(13))  # once a day each
    assert len(alerts(session)) == 3


def test_a_rule_name_cannot_be_registered_twice():
    from app.services.alerts import load_rules, rule

    load_rules()
    with pytest.raises(ValueError):
        rule("stage_overdue", "重复")(lambda ctx: [])


def test_response_stats_count_each_exception_once(session):
    from app.services.alerts import response_stats

    _, issue, manager = _issue(session, "medium")
    _late_stage(session)
    run(session, local(11), only={"issue_overdue", "stage_overdue"})
    run(
        session, local(9, days=1), only={"issue_overdue", "stage_overdue"}
    )  # the issue and the stage reminded again the next day
    owner = act(session, session.get(User, issue.owner_id))
    [first, *_] = alerts(session, "issue_overdue")
    acknowledge_alert(session=session, actor=owner, alert_id=first.id, now=local(10, days=1))
    session.commit()
    stats = response_stats(
        session=session,
        actor=act(session, manager),
        start=local(0, days=-1),
        end=local(0, days=2),
    )
    assert (stats.raised, stats.acknowledged, stats.open) == (2, 1, 1)
    assert stats.average_seconds == 23 * 3600  # from 11:00, when it was first delivered
    assert stats.within_target == 0.0


def test_api_reports_the_exception_response_time(client, session, one_instant):
    order = _late_stage(session)
    # Only the stage rule: after the evening report cut-off 日报未交 would fire too.
    run(session, utcnow(), only={"stage_overdue"})
    [alert] = alerts(session)
    one_instant(timedelta(milliseconds=1))  # acknowledged a moment later, the same day
    headers = bearer(session.get(User, order.liaison_id))
    session.commit()  # release SQLite's lock before the app writes
    assert client.post(f"/api/alerts/{alert.id}/ack", headers=headers).status_code == 200
    stats = client.get("/api/alerts/response-time", headers=headers).get_json()
    assert (stats["raised"], stats["acknowledged"], stats["target_seconds"]) == (1, 1, 7200)
    assert client.get("/api/alerts/response-time?days=0", headers=headers).status_code == 422


@pytest.mark.parametrize("who", ["owner", "liaison", "manager", "admin"])
def test_those_who_answer_for_a_warning_may_acknowledge_it(session, who):
    _, issue, _ = _issue(session, "high")
    run(session, local(11))
    [alert] = alerts(session, "issue_overdue")
    order = session.get(Order, alert.order_id)
    if who == "owner":
        user = session.get(User, issue.owner_id)
    elif who == "liaison":
        user = session.get(User, order.liaison_id)
    else:
        user = make_user(session, Role(who))
    done = acknowledge_alert(
        session=session, actor=act(session, user), alert_id=alert.id, via="chat", now=local(11, 5)
    )
    session.commit()
    assert (done.acknowledged_by_id, done.ack_via) == (user.id, "chat")
    public = alert_public(session, done)
    assert (public.acknowledged_by_name, public.ack_via_name) == (user.display_name, "群聊回复")


def test_a_member_who_does_not_answer_for_a_warning_is_refused_and_nothing_changes(session):
    _, issue, _ = _issue(session, "high")
    run(session, local(11))
    [alert] = alerts(session, "issue_overdue")
    sales = make_user(session, Role.sales, display_name="王销售")
    add_to_order(session, session.get(Order, alert.order_id), sales, Role.sales)
    session.commit()
    with pytest.raises(AckNotAllowed) as refused:
        acknowledge_alert(session=session, actor=act(session, sales), alert_id=alert.id)
    owner = session.get(User, issue.owner_id).display_name
    assert refused.value.status == 403 and f"责任人{owner}" in refused.value.message
    session.rollback()
    assert alerts(session)[0].acknowledged_at is None


def test_the_owner_of_an_escalated_warning_may_acknowledge_the_escalation(session):
    _, issue, _ = _issue(session, "high")
    run(session, local(11))
    run(session, local(15))
    [told] = alerts(session, "escalate_manager")
    owner = act(session, session.get(User, issue.owner_id))
    acknowledge_alert(session=session, actor=owner, alert_id=told.id, now=local(15, 5))
    session.commit()
    assert all(a.acknowledged_by_id == issue.owner_id for a in alerts(session))
