"""/api/daily-reports/desk (the phone's 日报 screen) and reminding a member who has not reported."""

import pytest
from sqlmodel import select

from app.services.core import local_date
from app.services.field import submit_daily_report
from models.base import utcnow
from models.chat import ChatIdentity
from models.enums import OrderStatus, Role
from models.outbox import Outbox
from tests.clocks import days, today
from tests.factories import (
    act,
    add_to_order,
    bearer,
    count,
    make_chat_group,
    make_order,
    make_user,
)

pytestmark = pytest.mark.clock

DESK = "/api/daily-reports/desk"


def _remind(order_id: int) -> str:
    return f"/api/orders/{order_id}/daily-reports/remind"


def _setup(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    engineer = make_user(session, Role.site_engineer, mobile="13900000001")
    add_to_order(session, order, engineer, Role.site_engineer)
    session.commit()
    return order, engineer, tracker


def test_the_desk_lists_my_open_orders_with_yesterdays_report(client, session):
    order, engineer, _liaison = _setup(session)
    other = make_order(session)  # not mine
    submit_daily_report(
        session=session,
        actor=act(session, engineer),
        order_id=order.id,
        day=days(-1),
        done_today="基础验收",
        plan_tomorrow="设备就位",
        labour=[{"worker": "张三", "hours": 8}],
    )
    session.commit()
    body = client.get(DESK, headers=bearer(engineer)).get_json()
    assert body["day"] == today().isoformat()
    assert [i["order_id"] for i in body["items"]] == [order.id]
    item = body["items"][0]
    assert item["report"] is None
    assert item["yesterday"]["plan_tomorrow"] == "设备就位"
    assert item["yesterday"]["labour"][0]["worker"] == "张三"
    # A site engineer does not manage the order: no one to remind shown.
    assert item["can_remind"] is False and item["missing"] == []
    assert other.id not in {i["order_id"] for i in body["items"]}


def test_the_desk_shows_todays_report_and_leaves_out_closed_orders(client, session):
    order, engineer, liaison = _setup(session)
    closed = make_order(session, liaison=liaison)
    add_to_order(session, closed, engineer, Role.site_engineer)
    closed.status = OrderStatus.cancelled
    session.add(closed)
    session.commit()
    client.post(
        f"/api/orders/{order.id}/daily-reports",
        json={"done_today": "设备就位", "labour": [{"worker": "李四", "hours": 4}]},
        headers=bearer(engineer),
    )
    items = client.get(DESK, headers=bearer(engineer)).get_json()["items"]
    assert [i["order_id"] for i in items] == [order.id]
    assert items[0]["report"]["done_today"] == "设备就位"
    assert items[0]["report"]["labour"] == [{"worker": "李四", "hours": 4, "work": ""}]
    assert items[0]["yesterday"] is None


def test_a_tracker_sees_who_has_not_reported_today(client, session):
    order, engineer, liaison = _setup(session)
    tracker = liaison
    body = client.get(DESK, headers=bearer(tracker)).get_json()
    item = next(i for i in body["items"] if i["order_id"] == order.id)
    assert item["can_remind"] is True
    assert {m["user"]["id"] for m in item["missing"]} == {engineer.id, tracker.id}
    client.post(
        f"/api/orders/{order.id}/daily-reports",
        json={"done_today": "设备就位"},
        headers=bearer(engineer),
    )
    item = client.get(DESK, headers=bearer(tracker)).get_json()["items"][0]
    assert {m["user"]["id"] for m in item["missing"]} == {tracker.id}


def test_the_desk_refuses_a_bad_day(client, session):
    _, engineer, _ = _setup(session)
    r = client.get(f"{DESK}?day=tomorrow-ish", headers=bearer(engineer))
    assert r.status_code == 422 and r.get_json()["error"]["message"]


def test_a_reminder_goes_to_the_orders_groups_with_a_mention_once_a_day(client, session):
    order, engineer, liaison = _setup(session)
    group = make_chat_group(session, order_ids=[order.id])
    session.add(ChatIdentity(user_id=engineer.id, platform="wecom", external_id="wx-eng"))
    session.commit()
    tracker = bearer(liaison)
    before = count(session, Outbox)
    r = client.post(_remind(order.id), json={"user_id": engineer.id}, headers=tracker)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["sent_to"] == [group.name]
    assert r.get_json()["day"] == local_date(utcnow()).isoformat()
    row = session.exec(select(Outbox).where(Outbox.kind == "report_reminder")).one()
    assert row.group_id == group.id and row.order_id == order.id
    assert engineer.display_name in row.message["text"] and order.code in row.message["text"]
    assert row.message["mention_user_ids"] == ["wx-eng"]
    assert count(session, Outbox) == before + 1
    again = client.post(_remind(order.id), json={"user_id": engineer.id}, headers=tracker)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "already_reminded"
    assert "已经提醒过" in again.get_json()["error"]["message"]
    assert count(session, Outbox) == before + 1


def test_without_a_group_the_reminder_goes_to_the_persons_own_chat(client, session):
    order, engineer, liaison = _setup(session)
    session.add(ChatIdentity(user_id=engineer.id, platform="dingtalk", external_id="ding-eng"))
    session.commit()
    tracker = bearer(liaison)
    r = client.post(_remind(order.id), json={"user_id": engineer.id}, headers=tracker)
    assert r.status_code == 200 and r.get_json()["sent_to"] == ["钉钉个人消息"]
    row = session.exec(select(Outbox).where(Outbox.kind == "report_reminder")).one()
    assert row.group_id is None and row.target == {"user_ids": ["ding-eng"]}


def test_with_no_chat_at_all_the_reminder_is_refused_in_words(client, session):
    order, engineer, liaison = _setup(session)
    tracker = bearer(liaison)
    r = client.post(_remind(order.id), json={"user_id": engineer.id}, headers=tracker)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_chat_target"
    assert "无法发送提醒" in r.get_json()["error"]["message"]


def test_reminding_someone_who_reported_or_is_not_expected_is_refused(client, session):
    order, engineer, liaison = _setup(session)
    make_chat_group(session, order_ids=[order.id])
    outsider = make_user(session, Role.site_engineer)
    session.commit()
    tracker = bearer(liaison)
    client.post(
        f"/api/orders/{order.id}/daily-reports",
        json={"done_today": "设备就位"},
        headers=bearer(engineer),
    )
    r = client.post(_remind(order.id), json={"user_id": engineer.id}, headers=tracker)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_reported"
    r = client.post(_remind(order.id), json={"user_id": outsider.id}, headers=tracker)
    assert (
        r.status_code == 404  # not among the order's reporters, like a missing row
        and r.get_json()["error"]["message"] == "此人不是本订单需要提交日报的成员"
    )
    r = client.post(_remind(order.id), json={"user_id": "somebody"}, headers=tracker)
    assert r.status_code == 422
    r = client.post(_remind(order.id), json={}, headers=tracker)
    assert r.status_code == 422
    assert count(session, Outbox, Outbox.kind == "report_reminder") == 0


def test_only_those_who_manage_the_order_may_remind(client, session):
    order, engineer, _liaison = _setup(session)
    make_chat_group(session, order_ids=[order.id])
    production = make_user(session, Role.production)
    add_to_order(session, order, production, Role.production)
    session.commit()
    r = client.post(_remind(order.id), json={"user_id": production.id}, headers=bearer(engineer))
    assert r.status_code == 403 and r.get_json()["error"]["message"]
    assert count(session, Outbox, Outbox.kind == "report_reminder") == 0
