"""已发提醒 on the order page shows the chat markdown rendered, safely escaped."""

from __future__ import annotations

import pytest

from app.services.chat import enqueue_for_order
from app.web.markdown import render_markdown
from models.enums import Role
from models.messages import OutboundMessage
from models.people import User
from tests.factories import make_chat_group, make_confirmed_order, make_user
from tests.web.test_dashboard_pages import _login

# The order page shows today's dates: `make test-clock` runs these around midnight too.
pytestmark = pytest.mark.clock


def test_markdown_renders_headings_bold_links_and_lists():
    html = render_markdown("### 🔴 预警 #A4\n**风险**：高\n- 第一\n- 第二\n[打开订单](/orders/4)")
    assert '<p class="md-h"><strong>🔴 预警 #A4</strong></p>' in html
    assert "<p><strong>风险</strong>：高</p>" in html
    assert "<ul><li>第一</li><li>第二</li></ul>" in html
    assert '<a href="/orders/4">打开订单</a>' in html


def test_markdown_escapes_html_and_drops_unsafe_links():
    html = render_markdown(
        "<script>alert(1)</script> **<b>x</b>**\n[点我](javascript:alert(1)) [外站](//evil.example)"
        '\n[引号](https://a.example/?q="><img)'
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<strong>&lt;b&gt;x&lt;/b&gt;</strong>" in html
    assert "javascript:" not in html and 'href="//evil' not in html and "点我" in html
    assert "<img" not in html


def test_the_order_page_shows_sent_reminders_as_rendered_markdown(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_confirmed_order(session, liaison=tracker)
    make_chat_group(session, order_ids=[order.id])
    message = OutboundMessage.markdown(
        "🔴 预警 #A7 · 阶段逾期", "**风险**：高 · **责任人**：李\n<i>不信任</i>"
    )
    enqueue_for_order(session=session, order_id=order.id, message=message, kind="alert")
    session.commit()
    _login(client, "li")
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "<strong>🔴 预警 #A7 · 阶段逾期</strong>" in html
    assert "<strong>风险</strong>：高" in html and "**风险**" not in html
    assert "&lt;i&gt;不信任&lt;/i&gt;" in html and "<i>不信任</i>" not in html


def test_a_warning_waiting_to_be_sent_shows_what_it_is_until_it_is_rendered(client, session):
    from tests.alerting import alerts, local, run
    from tests.bots.test_alert_recheck import _late_stage_in_group

    order = _late_stage_in_group(session)
    run(session, local(23, 30), delivered=False, only={"stage_overdue"})  # held: quiet hours
    [alert] = alerts(session)
    username = session.get(User, order.liaison_id).username
    session.commit()  # SQLite: let the login write
    _login(client, username)
    html = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"预警 #A{alert.id}（发送时生成消息）" in html
