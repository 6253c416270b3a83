"""The warning pages: /alerts (filters, age, acknowledge with its permission check), the
overview's exception response time, the meeting-room standup page and the contingency plan
library."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.field import submit_daily_report
from app.services.orders import update_stage
from app.services.risk import ensure_default_plans, list_plans
from models import clock
from models.alerts import Alert
from models.chat import ChatGroup
from models.contingency import ContingencyPlan, ContingencyStep
from models.enums import Role, StageKind
from models.outbox import Outbox
from models.people import User
from models.stages import StageUpdate
from tests.alerting import alerts, run
from tests.factories import (
    PASSWORD,
    act,
    add_to_order,
    count,
    make_chat_group,
    make_procuring_order,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, username):
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page)}
    )


def _warned(session, code="GD-AL-1", days_late=2):
    """An order whose procurement is late, swept three hours ago."""
    order = make_procuring_order(session, code=code)
    liaison = session.get(User, order.liaison_id)
    update_stage(
        session=session,
        actor=act(session, liaison),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=clock.today() - timedelta(days=days_late)),
    )
    make_chat_group(session, order_ids=[order.id])
    session.commit()
    run(session, clock.now() - timedelta(hours=3), only={"stage_overdue"})
    [alert] = [a for a in alerts(session, "stage_overdue") if a.order_id == order.id]
    for row in (order, liaison):
        session.refresh(row)
    session.commit()  # SQLite: hold no read transaction while the app writes
    return order, liaison, alert


def test_the_alert_list_shows_open_warnings_with_age_owner_and_an_ack_button(client, session):
    order, liaison, alert = _warned(session)
    _login(client, liaison.username)
    html = client.get("/alerts").get_data(as_text=True)
    assert f"#A{alert.id} 阶段逾期" in html and order.code in html
    assert "已等待 3 小时" in html and "（超过 2 小时）" in html
    assert f"责任人 {liaison.display_name}" in html
    assert f"/alerts/{alert.id}/acknowledge" in html
    assert f"/orders/{order.id}#reminders" in html


def test_the_alert_list_filters_by_order_risk_rule_and_owner(client, session):
    _, liaison, _ = _warned(session, "GD-AL-1", days_late=2)
    _warned(session, "GD-AL-2", days_late=9)
    make_user(session, Role.manager, username="boss")
    session.commit()
    _login(client, "boss")

    def shown(query):
        html = client.get(f"/alerts?{query}").get_data(as_text=True)
        return {code for code in ("GD-AL-1", "GD-AL-2") if code in html}

    assert shown("") == {"GD-AL-1", "GD-AL-2"}
    assert shown("order=gd-al-2") == {"GD-AL-2"}
    assert shown("level=high") == {"GD-AL-2"}
    assert shown("level=medium&rule=stage_overdue") == {"GD-AL-1"}
    assert shown(f"owner={liaison.id}") == {"GD-AL-1"}


def test_a_bad_alert_filter_is_ignored_with_a_chinese_note(client, session):
    _warned(session)
    make_user(session, Role.manager, username="boss")
    session.commit()
    _login(client, "boss")
    for query in ("level=huge", "rule=nope", "owner=x", "order=NO-SUCH", "state=all"):
        r = client.get(f"/alerts?{query}")
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and "筛选条件无效" in html and "GD-AL-1" in html, query


def test_acknowledging_from_the_list_stops_the_warning_and_keeps_the_filters(client, session):
    order, liaison, alert = _warned(session)
    _login(client, liaison.username)
    page = client.get(f"/alerts?order={order.code}").get_data(as_text=True)
    r = client.post(
        f"/alerts/{alert.id}/acknowledge", data={"csrf_token": _csrf(page), "order": order.code}
    )
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/alerts?order={order.code}")
    liaison_id = liaison.id
    [done] = [a for a in alerts(session) if a.id == alert.id]
    assert done.acknowledged_by_id == liaison_id and done.ack_via == "web"
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert f"已确认预警 #A{alert.id}" in html and "没有未确认的预警" in html
    again = client.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": _csrf(page)})
    assert "已确认过" in client.get(again.headers["Location"]).get_data(as_text=True)
    answered = client.get("/alerts?state=answered").get_data(as_text=True)
    assert f"#A{alert.id}" in answered and "响应 3 小时" in answered and "网页" in answered


def test_a_member_who_does_not_answer_for_the_warning_cannot_acknowledge_it(client, session):
    order, _, alert = _warned(session)
    sales = make_user(session, Role.sales, username="sales1")
    add_to_order(session, order, sales, Role.sales)
    session.commit()
    _login(client, "sales1")
    page = client.get("/alerts").get_data(as_text=True)
    assert f"#A{alert.id}" in page and f"/alerts/{alert.id}/acknowledge" not in page
    r = client.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": _csrf(page)})
    assert r.status_code == 403 and "只能由" in r.get_data(as_text=True)
    assert count(session, Alert, Alert.acknowledged_at.is_not(None)) == 0
    missing = client.post("/alerts/999999/acknowledge", data={"csrf_token": _csrf(page)})
    assert missing.status_code == 404


def test_the_overview_shows_the_response_time_against_its_target_and_links_the_list(
    client, session
):
    _, liaison, alert = _warned(session)
    _login(client, liaison.username)
    html = client.get("/overview").get_data(as_text=True)
    assert "异常响应时间" in html and "目标 2 小时" in html and "未确认 1 条" in html
    assert 'href="/alerts"' in html
    page = client.get("/alerts").get_data(as_text=True)
    client.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": _csrf(page)})
    html = client.get("/overview").get_data(as_text=True)
    assert "平均" in html and "3 小时" in html and "0% 在 2 小时内确认" in html


def test_the_standup_page_shows_the_meeting_for_the_room_screen(client, session):
    order, liaison, alert = _warned(session)
    wu = make_user(session, Role.production, display_name="吴生产")
    add_to_order(session, order, wu, Role.production)
    submit_daily_report(
        session=session,
        actor=act(session, wu),
        order_id=order.id,
        done_today="完成下料排版",
        plan_tomorrow="板材到厂后开始下料",
        problems="板材未到",
        now=clock.now() - timedelta(days=1),
    )
    session.commit()
    _login(client, liaison.username)
    r = client.get(f"/standup/{order.code.lower()}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f"站会 {order.code}" in html
    assert "吴生产" in html and "问题：板材未到" in html and "今日计划：板材到厂后开始下料" in html
    assert "未交日报" in html and liaison.display_name in html
    assert f"#A{alert.id} 阶段逾期" in html
    assert 'http-equiv="refresh"' in html
    assert client.get("/standup/NO-SUCH").status_code == 404


def test_the_standup_page_of_an_order_one_may_not_see_is_refused(client, session):
    order, _, _ = _warned(session)
    make_user(session, Role.production, username="outsider")
    session.commit()
    _login(client, "outsider")
    r = client.get(f"/standup/{order.code}")
    assert r.status_code in (403, 404) and order.customer not in r.get_data(as_text=True)


def _plans(session):
    ensure_default_plans(session=session)
    session.commit()
    return list_plans(session=session)


def test_everyone_reads_the_contingency_plan_library_and_only_admins_see_the_edit_form(
    client, session
):
    plan = _plans(session)[0]
    make_user(session, Role.tracker, username="li")
    session.commit()
    _login(client, "li")
    html = client.get("/contingency").get_data(as_text=True)
    assert plan.title in html and f"/contingency/{plan.id}" in html
    page = client.get(f"/contingency/{plan.id}").get_data(as_text=True)
    assert plan.title in page and 'id="steps"' in page and 'id="edit-plan"' not in page
    r = client.post(
        f"/contingency/{plan.id}",
        data={"csrf_token": _csrf(page), "title": "改了", "steps": "做点什么"},
    )
    assert r.status_code == 403
    assert count(session, ContingencyPlan, ContingencyPlan.title == "改了") == 0
    assert client.get("/contingency/999999").status_code == 404


def test_an_admin_edits_a_plan_with_roles_named_in_chinese(client, session):
    plan = _plans(session)[0]
    make_user(session, Role.admin, username="root")
    session.commit()
    _login(client, "root")
    page = client.get(f"/contingency/{plan.id}").get_data(as_text=True)
    assert 'id="edit-plan"' in page
    r = client.post(
        f"/contingency/{plan.id}",
        data={
            "csrf_token": _csrf(page),
            "title": "缺料应急",
            "summary": "先找备用供应商",
            "steps": "采购：联系备用供应商\n\n跟单员：通知客户调整交期\n评估影响",
        },
    )
    assert r.status_code == 302
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "应急预案已保存" in html and "缺料应急" in html
    session.expire_all()
    steps = session.exec(
        ContingencyStep.__table__.select()
        .where(ContingencyStep.plan_id == plan.id)
        .order_by(ContingencyStep.position)
    ).all()
    assert [(s.role, s.action) for s in steps] == [
        ("buyer", "联系备用供应商"),
        ("tracker", "通知客户调整交期"),
        (None, "评估影响"),
    ]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "缺料应急", "steps": "  \n"}, "至少要有一个步骤"),
        ({"title": "", "steps": "做点什么"}, "标题不能为空"),
        ({"title": "缺料应急", "summary": "长" * 501, "steps": "做"}, "说明最多 500 字"),
        ({"title": "缺料应急", "steps": "做\n采购：" + "长" * 201}, "第 2 步要写明要做的事"),
        ({"title": "缺料应急", "steps": "采购："}, "第 1 步要写明要做的事"),
    ],
)
def test_a_bad_plan_edit_is_refused_in_chinese_and_nothing_is_stored(
    client, session, form, message
):
    plan = _plans(session)[0]
    before = (plan.title, count(session, ContingencyStep, ContingencyStep.plan_id == plan.id))
    make_user(session, Role.admin, username="root")
    session.commit()
    _login(client, "root")
    page = client.get(f"/contingency/{plan.id}").get_data(as_text=True)
    r = client.post(f"/contingency/{plan.id}", data={"csrf_token": _csrf(page), **form})
    assert r.status_code == 422 and message in r.get_data(as_text=True)
    session.expire_all()
    after = session.get(ContingencyPlan, plan.id)
    assert (after.title, count(session, ContingencyStep, ContingencyStep.plan_id == plan.id)) == (
        before
    )


def test_each_warning_shows_where_its_messages_went(client, session):
    _, liaison, alert = _warned(session, code="GD-AL-DLV")
    [row] = session.exec(select(Outbox).where(Outbox.alert_id == alert.id)).all()
    group = session.get(ChatGroup, row.group_id)
    session.commit()
    _login(client, liaison.username)
    html = client.get("/alerts").get_data(as_text=True)
    assert re.search(
        rf"{group.name} · 企业微信群 · <span class=\"delivery-\w+\">"
        r"(待发送|暂缓（免打扰）|已发送|发送失败|已取消)</span>",
        html,
    ), html
    assert "尚无发送记录" not in html
