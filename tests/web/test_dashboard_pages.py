import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.services.chat import enqueue, user_target
from app.services.field import create_issue
from app.services.orders import upload_photo
from models import clock
from models.enums import ChatPlatform, IssueState, OutboxStatus, Role
from models.issues import SiteIssue
from models.messages import OutboundMessage
from models.outbox import Outbox
from tests.factories import (
    PASSWORD,
    act,
    add_to_order,
    bearer,
    count,
    make_confirmed_order,
    make_order,
    make_user,
)
from tests.images import jpeg

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, username):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page)}
    )


def test_the_overview_is_where_a_login_lands_and_lists_the_visible_orders(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    mine = make_order(session, liaison=tracker, customer="华东化工")
    other = make_order(session, customer="北方重工")
    session.commit()
    r = _login(client, "li")
    assert r.headers["Location"].endswith("/overview")
    html = client.get("/overview").get_data(as_text=True)
    assert mine.code in html and other.code not in html
    assert client.get("/").headers["Location"].endswith("/overview")


def test_a_bad_overview_filter_shows_everything_with_a_chinese_note(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    _login(client, "li")
    r = client.get("/overview?stage=nonsense&liaison_id=x")
    assert r.status_code == 200 and "筛选条件无效" in r.get_data(as_text=True)


def test_a_site_engineer_of_order_a_cannot_open_order_b(client, session):
    engineer = make_user(session, Role.site_engineer, username="chen")
    a, b = make_order(session), make_order(session)
    add_to_order(session, a, engineer, Role.site_engineer)
    session.commit()
    _login(client, "chen")
    assert client.get(f"/orders/{a.id}").status_code == 200
    r = client.get(f"/orders/{b.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 403 and r.mimetype == "text/html"
    assert "没有权限" in html and "您不是该订单的成员" in html
    r = client.get("/orders/999999")
    assert r.status_code == 404 and "订单不存在" in r.get_data(as_text=True)


def test_the_order_page_shows_the_dashboard_sections_and_links(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_confirmed_order(session, liaison=tracker)
    session.commit()
    _login(client, "li")
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    for text in ("进度甘特图", "生产看板", "物料清单", "问题点", "日报", "已发提醒", "变更日志"):
        assert text in html
    assert f"/orders/{order.id}/costs" in html
    # not accepted yet: the retrospective is named, not linked
    assert f"/orders/{order.id}/retro" not in html and "项目复盘（验收后可用）" in html
    assert 'id="gantt-data"' in html and "echarts.min.js" in html


def test_the_reminders_section_is_hidden_from_those_who_may_not_read_the_outbox(client, session):
    worker = make_user(session, Role.warehouse, username="zhou")
    order = make_order(session)
    add_to_order(session, order, worker, Role.warehouse)
    session.commit()
    _login(client, "zhou")
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "进度甘特图" in html and "已发提醒" not in html


def _issue(session, order, owner):
    liaison = act(session, session.get(type(owner), order.liaison_id))
    return create_issue(
        session=session,
        actor=liaison,
        order_id=order.id,
        description="法兰漏水",
        risk="high",
        owner_id=owner.id,
    )


def test_the_owner_acknowledges_an_issue_from_the_order_page(client, session):
    engineer = make_user(session, Role.site_engineer, username="chen")
    order = make_confirmed_order(session)
    add_to_order(session, order, engineer, Role.site_engineer)
    issue = _issue(session, order, engineer)
    session.commit()
    _login(client, "chen")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    url = f"/orders/{order.id}/issues/{issue.id}/acknowledge"
    assert url in page
    r = client.post(url, data={"csrf_token": _csrf(page)}, follow_redirects=True)
    assert f"已确认收到问题点 #{issue.id}" in r.get_data(as_text=True)
    assert (
        count(
            session, SiteIssue, SiteIssue.id == issue.id, SiteIssue.state == IssueState.in_progress
        )
        == 1
    )


def test_issue_photos_show_as_thumbnails_on_the_order_page(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_confirmed_order(session, liaison=tracker)
    photo = upload_photo(
        session=session, actor=act(session, tracker), order_id=order.id, data=jpeg()
    )
    create_issue(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        description="护栏缺失",
        risk="low",
        photo_ids=[photo.id],
    )
    session.commit()
    _login(client, "li")
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    thumb = f"/api/photos/{photo.id}?variant=thumb"
    assert f'src="{thumb}"' in html
    r = client.get(thumb)
    assert r.status_code == 200 and r.mimetype.startswith("image/")


def test_someone_else_cannot_acknowledge_and_nothing_changes(client, session):
    engineer = make_user(session, Role.site_engineer)
    other = make_user(session, Role.site_engineer, username="wang")
    order = make_confirmed_order(session)
    add_to_order(session, order, engineer, Role.site_engineer)
    add_to_order(session, order, other, Role.site_engineer)
    issue = _issue(session, order, engineer)
    session.commit()
    _login(client, "wang")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    url = f"/orders/{order.id}/issues/{issue.id}/acknowledge"
    assert url not in page
    r = client.post(url, data={"csrf_token": _csrf(page)}, follow_redirects=True)
    assert "只有问题点" in r.get_data(as_text=True)
    assert client.post(url).status_code == 400  # no CSRF token
    assert (
        count(session, SiteIssue, SiteIssue.id == issue.id, SiteIssue.state == IssueState.open) == 1
    )


def _failed_message(session) -> Outbox:
    row = enqueue(
        session=session,
        target=user_target(ChatPlatform.wechat, "o-1"),
        message=OutboundMessage.plain("明早 8:45 站会"),
        kind="standup",
    )
    row.status, row.errcode, row.last_error = OutboxStatus.failed, 93000, "invalid webhook key"
    session.add(row)
    return row


def test_an_admin_sees_why_a_message_failed_and_retries_it(client, session):
    make_user(session, Role.admin, username="boss")
    row = _failed_message(session)
    session.commit()
    _login(client, "boss")
    page = client.get("/outbox?status=failed").get_data(as_text=True)
    assert "invalid webhook key" in page and "明早 8:45 站会" in page
    assert client.post(f"/outbox/{row.id}/retry").status_code == 400  # no CSRF token
    r = client.post(
        f"/outbox/{row.id}/retry", data={"csrf_token": _csrf(page)}, follow_redirects=True
    )
    assert f"消息 {row.id} 已重新排队发送" in r.get_data(as_text=True)
    assert count(session, Outbox, Outbox.id == row.id, Outbox.status == OutboxStatus.pending) == 1
    r = client.post(
        f"/outbox/{row.id}/retry", data={"csrf_token": _csrf(page)}, follow_redirects=True
    )
    assert "只有发送失败的消息可以重发" in r.get_data(as_text=True)


def test_the_outbox_and_kpi_pages_refuse_others_with_a_chinese_page(client, session):
    make_user(session, Role.site_engineer, username="chen")
    row = _failed_message(session)
    session.commit()
    _login(client, "chen")
    for r in (
        client.get("/outbox"),
        client.get("/kpis"),
        client.post(
            f"/outbox/{row.id}/retry",
            data={"csrf_token": _csrf(client.get("/overview").get_data(as_text=True))},
        ),
    ):
        assert r.status_code == 403 and "没有权限" in r.get_data(as_text=True)
    assert count(session, Outbox, Outbox.id == row.id, Outbox.status == OutboxStatus.failed) == 1


def test_the_kpi_page_shows_each_kpi_with_its_target_and_the_export_link(client, session):
    make_user(session, Role.manager, username="wang")
    session.commit()
    _login(client, "wang")
    html = client.get("/kpis?months=6").get_data(as_text=True)
    for text in ("准时交付率", "异常响应时间", "问题解决时间", "客户满意度", "缺料次数"):
        assert text in html
    assert "目标 ≥ 95 %" in html and "目标 ≤ 2 小时" in html and "目标 ≥ 4.5 分" in html
    assert "/api/kpis.xlsx?months=6" in html


def test_the_api_answers_the_overview_and_refuses_bad_filters(client, session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    session.commit()
    r = client.get("/api/overview", headers=bearer(tracker))
    assert r.status_code == 200 and [i["id"] for i in r.json["items"]] == [order.id]
    for query in ("stage=nope", "liaison_id=x", "at_risk=maybe"):
        r = client.get(f"/api/overview?{query}", headers=bearer(tracker))
        assert r.status_code == 422 and r.json["error"]["code"] == "validation_error"
    assert client.get("/api/overview").status_code == 401


def test_the_kpi_api_and_its_excel_export(client, session):
    manager = make_user(session, Role.manager)
    engineer = make_user(session, Role.site_engineer)
    session.commit()
    r = client.get("/api/kpis?months=3", headers=bearer(manager))
    assert r.status_code == 200 and len(r.json["months"]) == 3
    assert [k["key"] for k in r.json["items"]] == [
        "on_time",
        "response_hours",
        "resolution_hours",
        "satisfaction",
        "shortages",
    ]
    for months in ("0", "37", "x"):
        r = client.get(f"/api/kpis?months={months}", headers=bearer(manager))
        assert r.status_code == 422
    r = client.get("/api/kpis", headers=bearer(engineer))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden_role"
    r = client.get("/api/kpis.xlsx?months=2", headers=bearer(manager))
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    book = load_workbook(BytesIO(r.data))
    assert book.sheetnames == ["指标汇总", "月度趋势", "跟单员", "供应商"]
    summary = [row for row in book["指标汇总"].iter_rows(values_only=True)]
    assert summary[1][0] == "准时交付率" and summary[1][4] == 95
    assert book["月度趋势"].max_row == 3
    assert client.get("/api/kpis.xlsx", headers=bearer(engineer)).status_code == 403


def test_an_accepted_order_shows_the_customers_rating(client, session):

    from models.acceptance import Acceptance
    from models.enums import AcceptanceMethod

    tracker = make_user(session, Role.tracker, username="li")
    order = make_order(session, liaison=tracker)
    session.add(
        Acceptance(
            order_id=order.id,
            method=AcceptanceMethod.link,
            signer_name="刘经理",
            satisfaction=4,
            comment="安装很规范",
            accepted_on=clock.today(),
            on_time=False,
            days_late=2,
        )
    )
    session.commit()
    _login(client, "li")
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "客户验收" in html and "★★★★☆ 4 分" in html
    assert "安装很规范" in html and "延期 2 天" in html


def test_the_outbox_page_pages_through_older_messages(client, session):
    make_user(session, Role.admin, username="boss")
    for _ in range(51):
        _failed_message(session)
    session.commit()
    _login(client, "boss")
    first = client.get("/outbox?status=failed").get_data(as_text=True)
    assert first.count('<li class="card"') == 50 and "更早的消息" in first
    second = client.get("/outbox?status=failed&page=2").get_data(as_text=True)
    assert second.count('<li class="card"') == 1 and "更早的消息" not in second


def _ready_for_acceptance(session):
    from app.services.field import upload_document
    from app.services.orders import checklist, list_stages, set_checklist_item
    from models.enums import DocumentKind, StageKind
    from models.people import User
    from tests.factories import make_delivered_order
    from tests.pdfs import pdf

    order = make_delivered_order(session)
    tracker = act(session, session.get(User, order.liaison_id))
    stage = next(
        s for s in list_stages(session=session, order_id=order.id) if s.kind == StageKind.acceptance
    )
    for item in checklist(session=session, stage_id=stage.id):
        if "安装" in item.title:
            set_checklist_item(
                session=session, actor=tracker, order_id=order.id, item_id=item.id, done=True
            )
    for kind in (DocumentKind.completion_report, DocumentKind.user_manual):
        upload_document(
            session=session, actor=tracker, order_id=order.id, kind=kind, data=pdf(kind.value)
        )
    return order, session.get(User, order.liaison_id)


def test_a_tracker_sends_the_link_and_the_customer_accepts_and_rates(client, session):
    order, tracker = _ready_for_acceptance(session)
    session.commit()
    _login(client, tracker.username)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "生成客户验收链接" in page
    r = client.post(f"/orders/{order.id}/acceptance-link", data={"csrf_token": _csrf(page)})
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    url = re.search(r'id="acceptance-url" href="[^"]*(/accept/[^"]+)"', r.get_data(as_text=True))
    customer = client.application.test_client()
    form = customer.get(url.group(1)).get_data(as_text=True)
    assert "满意度" in form
    done = customer.post(
        url.group(1),
        data={
            "csrf_token": _csrf(form),
            "signer_name": "刘经理",
            "satisfaction": "5",
            "comment": "很满意",
        },
    )
    assert "验收已确认" in done.get_data(as_text=True)
    used = customer.get(url.group(1))
    assert used.status_code == 409 and "已使用过" in used.get_data(as_text=True)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "★★★★★ 5 分" in html and "很满意" in html and "生成客户验收链接" not in html


def test_a_link_for_an_order_not_ready_is_refused_with_the_reason(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_confirmed_order(session, liaison=tracker)
    engineer = make_user(session, Role.site_engineer, username="chen")
    add_to_order(session, order, engineer, Role.site_engineer)
    session.commit()
    _login(client, "li")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    r = client.post(
        f"/orders/{order.id}/acceptance-link",
        data={"csrf_token": _csrf(page)},
        follow_redirects=True,
    )
    assert "以下阶段尚未完成，不能验收" in r.get_data(as_text=True)
    other = client.application.test_client()
    _login(other, "chen")
    page = other.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "生成客户验收链接" not in page
    r = other.post(f"/orders/{order.id}/acceptance-link", data={"csrf_token": _csrf(page)})
    assert r.status_code == 403 and "没有权限" in r.get_data(as_text=True)
