"""The dashboard pages in Chromium: overview on a phone, the order page's charts, the KPI page,
acknowledging a site issue and retrying a failed message."""

import pytest
from sqlmodel import select

from models.enums import OutboxStatus
from models.outbox import Outbox
from tests.browser.conftest import (
    LIVE,
    chart_option,
    fits_smallest_phone,
    login,
    no_sideways_scroll,
    shot,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _order_id(page, base: str, code: str) -> int:
    page.goto(f"{base}/overview")
    href = page.locator(f"li[data-code='{code}'] a").get_attribute("href")
    return int(href.rsplit("/", 1)[1])


def test_the_overview_is_the_landing_page_and_fits_a_phone(phone, live_server):
    login(phone, live_server, "li.gendan")
    phone.wait_for_url(f"{live_server}/overview")
    cards = phone.locator("#overview li.card[data-code^='GD-DEMO']")
    assert cards.count() == 4
    # Most at risk first: the orders with warnings lead.
    assert cards.nth(0).locator(".warn").count() > 0
    assert phone.get_by_text("缺料 4 项").first.is_visible()
    assert no_sideways_scroll(phone), "the overview must not scroll sideways on a phone"
    shot(phone, "overview-phone")
    phone.select_option("select[name=at_risk]", "true")
    phone.click("form.filters button")
    phone.wait_for_url("**at_risk=true**")
    assert phone.locator("#overview li.card").count() == 2


def test_the_order_page_draws_the_gantt_and_the_output_chart(phone, live_server):
    login(phone, live_server, "li.gendan")
    order_id = _order_id(phone, live_server, "GD-DEMO-03")
    phone.goto(f"{live_server}/orders/{order_id}")
    gantt = chart_option(phone, "gantt-chart")
    assert [s["name"] for s in gantt["series"]] == ["计划", "实际"]
    rows = gantt["yAxis"][0]
    assert rows[:5] == ["订单评审", "物料采购", "生产制造", "检验发货", "安装验收"]
    assert len(gantt["series"][0]["data"]) == len(rows)  # every stage and operation is planned
    output = chart_option(phone, "output-chart")
    assert [s["name"] for s in output["series"]] == ["累计计划", "累计实际"]
    marked = [d for d in output["series"][1]["data"] if isinstance(d, dict)]
    assert len(marked) == 1 and marked[0]["label"]["formatter"] == "瓶颈"
    assert phone.locator("#bom .bom-escalated, #bom .bom-short").count() == 4
    assert no_sideways_scroll(phone), "charts scroll inside their box, never the page"
    shot(phone, "order-dashboard-phone")


def test_the_kpi_page_draws_each_trend_with_its_target(desktop, live_server):
    login(desktop, live_server, "wang.zong")
    desktop.goto(f"{live_server}/kpis?months=6")
    response = chart_option(desktop, "chart-response_hours")
    assert response["series"][0]["name"] == "异常响应时间"
    assert len(response["series"][0]["data"]) == 6 == len(response["xAxis"][0])
    # The demo's three acknowledgements, one hour each, happened in the last two days: this month,
    # or (early on the first of a month) partly or wholly the month before.
    recent = [v for v in response["series"][0]["data"][-2:] if v is not None]
    assert recent and all(v == 1.0 for v in recent)
    on_time = chart_option(desktop, "chart-on_time")
    assert on_time["series"][0]["name"] == "准时交付率"
    assert desktop.locator("#kpi-on_time").get_by_text("目标 ≥ 95 %").is_visible()
    with desktop.expect_download() as download:
        desktop.click("text=导出 Excel")
    assert download.value.suggested_filename == "gendan-kpis.xlsx"
    shot(desktop, "kpis-desktop")


def test_the_kpi_page_fits_a_phone(phone, live_server):
    login(phone, live_server, "wang.zong")
    phone.goto(f"{live_server}/kpis")
    chart_option(phone, "chart-satisfaction")
    assert no_sideways_scroll(phone)
    shot(phone, "kpis-phone")
    assert fits_smallest_phone(phone), "a wide trend chart must not widen its card"


def test_the_owner_acknowledges_a_site_issue_from_the_order_page(phone, live_server):
    login(phone, live_server, "wu.shengchan")
    order_id = _order_id(phone, live_server, "GD-DEMO-04")
    phone.goto(f"{live_server}/orders/{order_id}")
    issue = phone.locator(".issue", has_text="地脚螺栓孔位偏差")
    assert issue.get_by_text("待处理").is_visible() or issue.get_by_text("已超期").is_visible()
    issue.get_by_role("button", name="收到").click()
    phone.get_by_text("已确认收到问题点").wait_for()
    issue = phone.locator(".issue", has_text="地脚螺栓孔位偏差")
    assert issue.get_by_text("处理中").is_visible()
    assert issue.get_by_role("button", name="收到").count() == 0
    shot(phone, "order-issue-acknowledged-phone")


def _fail_one_message() -> int:
    from app.cli import cli_session

    with LIVE["app"].app_context(), cli_session() as session:
        row = session.exec(select(Outbox).order_by(Outbox.id)).first()
        row.status, row.attempts = OutboxStatus.failed, 3
        row.last_error, row.errcode = "机器人 key 无效", 93000
        session.add(row)
        return row.id


def test_an_admin_retries_a_failed_message_and_others_are_refused(phone, desktop, live_server):
    outbox_id = _fail_one_message()
    login(phone, live_server, "admin")
    phone.goto(f"{live_server}/outbox?status=failed")
    card = phone.locator(f"li[data-id='{outbox_id}']")
    assert card.get_by_text("机器人 key 无效").is_visible()
    shot(phone, "outbox-phone")
    card.get_by_role("button", name="重发").click()
    phone.get_by_text(f"消息 {outbox_id} 已重新排队发送").wait_for()
    assert phone.locator(f"li[data-id='{outbox_id}']").count() == 0
    # A tracker on a browser of their own: clearing the admin's cookies in the same context
    # raced responses still in flight that set the session cookie again (a CSRF mismatch).
    login(desktop, live_server, "li.gendan")
    response = desktop.goto(f"{live_server}/outbox")
    assert response.status == 403
    assert desktop.get_by_role("heading", name="没有权限").is_visible()


def test_a_broken_customer_link_shows_a_chinese_page(phone, live_server):
    response = phone.goto(f"{live_server}/accept/not-a-real-token")
    assert response.status == 404
    assert phone.get_by_text("验收链接无效").is_visible()
    assert no_sideways_scroll(phone)
    shot(phone, "accept-invalid-link-phone")


def test_the_overview_and_an_order_on_a_desktop(desktop, live_server):
    login(desktop, live_server, "wang.zong")
    desktop.wait_for_url(f"{live_server}/overview")
    assert desktop.locator("#overview li.card[data-code^='GD-DEMO']").count() == 4
    shot(desktop, "overview-desktop")
    order_id = _order_id(desktop, live_server, "GD-DEMO-04")
    desktop.goto(f"{live_server}/orders/{order_id}")
    gantt = chart_option(desktop, "gantt-chart")
    assert len(gantt["series"][1]["data"]) > 0  # actual bars of the running stages
    assert no_sideways_scroll(desktop)
    shot(desktop, "order-desktop")


def _order_ready_for_acceptance() -> tuple[int, str]:
    from app.cli import cli_session
    from tests.web.test_dashboard_pages import _ready_for_acceptance

    with LIVE["app"].app_context(), cli_session() as session:
        order, tracker = _ready_for_acceptance(session)
        return order.id, tracker.username


def test_the_customer_accepts_and_rates_through_the_link_on_a_phone(phone, desktop, live_server):
    from tests.factories import PASSWORD

    # The tracker makes the link at a desk; the customer opens it on a phone of their own.
    # (One browser for both, its cookies cleared in between, failed once under load with "the
    # CSRF tokens do not match", most likely because a response to the tracker's page still in
    # flight put the tracker's session cookie back after the customer's page had set its own.)
    order_id, tracker = _order_ready_for_acceptance()
    login(desktop, live_server, tracker, password=PASSWORD)
    desktop.goto(f"{live_server}/orders/{order_id}")
    desktop.get_by_role("button", name="生成客户验收链接").click()
    url = desktop.locator("#acceptance-url").get_attribute("href")
    path = url[url.index("/accept/") :]
    phone.goto(f"{live_server}{path}")
    assert no_sideways_scroll(phone)
    shot(phone, "accept-phone")
    phone.fill("input[name=signer_name]", "刘经理")
    phone.get_by_label("5 分 · 非常满意").check()
    phone.fill("textarea[name=comment]", "安装规范，响应及时")
    phone.get_by_role("button", name="确认验收").click()
    phone.get_by_role("heading", name="验收已确认").wait_for()
    shot(phone, "accept-done-phone")
    phone.goto(f"{live_server}{path}")
    assert phone.get_by_text("该链接已使用过").is_visible()
    shot(phone, "accept-used-phone")
