"""The standup that runs the meeting: per person yesterday's work, today's plan and problems;
non-reporters @mentioned; open warnings by risk with their age; milestones really due today;
one builder for the group card and the 站会 command; within each platform's size."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.alerts import acknowledge_alert
from app.services.core import Actor
from app.services.field import submit_daily_report
from app.services.insight import (
    build_standup,
    group_standup_messages,
    order_standup_messages,
    post_group_standup,
)
from app.services.insight.meeting_text import PART_BYTES
from app.services.orders import (
    list_stages,
    update_stage,
)
from models.enums import ChatPlatform, Role, StageKind, StageStatus
from models.people import User
from models.stages import StageUpdate
from tests.alerting import alerts, bind, local, run
from tests.factories import (
    act,
    add_to_order,
    make_chat_group,
    make_procuring_order,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _plan(session, order, kind, **dates):
    update_stage(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        kind=kind,
        data=StageUpdate(**dates),
    )


def _crew(session, code="GD-MEET-1", platform="wecom"):
    order = make_procuring_order(session, code=code)
    wu = make_user(session, Role.production, display_name="吴生产")
    silent = make_user(session, Role.site_engineer, display_name="赵沉默", mobile="13900000001")
    bound = make_user(session, Role.site_engineer, display_name="钱绑定")
    add_to_order(session, order, wu, Role.production)
    for user in (silent, bound):
        add_to_order(session, order, user, Role.site_engineer)
    bind(session, bound, "qian", platform)
    submit_daily_report(
        session=session,
        actor=act(session, wu),
        order_id=order.id,
        done_today="完成下料排版",
        plan_tomorrow="板材到厂后开始下料",
        problems="板材未到",
        now=local(18, days=-1),
    )
    group = make_chat_group(session, order_ids=[order.id], platform=platform)
    session.commit()
    return order, group, silent, bound


def test_each_reporter_says_what_was_done_what_is_planned_and_what_blocks(session):
    order, group, _, _ = _crew(session)
    [text] = [m.text for m in group_standup_messages(session=session, group=group, now=local(9))]
    assert "- 吴生产：完成 完成下料排版；计划 板材到厂后开始下料；**问题：板材未到**" in text
    [meeting] = build_standup(
        session=session, actor=Actor.system(), order_ids=[order.id], now=local(9)
    )
    assert [p.name for p in meeting.blockers] == ["吴生产"]


def test_who_did_not_report_is_mentioned_by_chat_account_else_mobile(session):
    _, group, silent, _ = _crew(session)
    [message] = group_standup_messages(session=session, group=group, now=local(9))
    assert "未交日报：" in message.text
    assert "@赵沉默" in message.text and "@钱绑定" in message.text
    assert message.mention_user_ids == ("qian",)
    assert message.mention_mobiles == (silent.mobile,)


def test_open_warnings_are_listed_by_risk_with_their_age_and_answered_ones_are_not(session):
    order, group, _, _ = _crew(session)
    _plan(session, order, StageKind.procurement, planned_end=local(9).date() - timedelta(days=2))
    session.commit()
    run(session, local(7), only={"stage_overdue"})
    [alert] = alerts(session, "stage_overdue")
    text = group_standup_messages(session=session, group=group, now=local(9, 30))[0].text
    assert "未确认预警 1 条" in text and f"#A{alert.id} 阶段逾期" in text
    assert "已 2 小时 30 分，已超 2 小时" in text
    acknowledge_alert(session=session, actor=Actor.system(), alert_id=alert.id, now=local(9, 40))
    session.commit()
    text = group_standup_messages(session=session, group=group, now=local(9, 45))[0].text
    assert "未确认预警" not in text


def test_only_milestones_really_due_today_are_listed(session):
    order, _, _, _ = _crew(session)
    today = local(9).date()
    _plan(session, order, StageKind.review, planned_start=today, planned_end=today)
    # The factory's order has finished its review (a stage done today is not a milestone).
    [review] = [s for s in list_stages(session=session, order_id=order.id) if s.kind == "review"]
    assert review.status == StageStatus.done
    _plan(session, order, StageKind.procurement, planned_end=today)
    _plan(
        session, order, StageKind.production, planned_start=today, planned_end=today + timedelta(3)
    )
    session.commit()
    [meeting] = build_standup(
        session=session, actor=Actor.system(), order_ids=[order.id], now=local(9)
    )
    assert meeting.milestones == ["物料采购计划今天完成（进度 0%）", "生产制造计划今天开始"]
    assert not any("订单评审" in m for m in meeting.milestones)


def test_the_chat_command_and_the_group_card_read_the_same_standup(session):
    order, group, _, _ = _crew(session)
    [card] = group_standup_messages(session=session, group=group, now=local(9))
    [answer] = order_standup_messages(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        platform="wecom",
        now=local(9),
    )
    assert card.text.split("\n", 1)[1] == answer.text.split("\n", 1)[1]
    assert answer.text.startswith(f"### 站会 {order.code}")


@pytest.mark.parametrize("platform", ["wecom", "dingtalk"])
def test_a_long_group_standup_is_split_into_messages_within_the_platform_limit(session, platform):
    orders = [make_procuring_order(session, code=f"GD-LONG-{i:02d}") for i in range(12)]
    group = make_chat_group(session, order_ids=[o.id for o in orders], platform=platform)
    session.commit()
    messages = group_standup_messages(session=session, group=group, now=local(9))
    limit = PART_BYTES[ChatPlatform(platform)]
    assert len(messages) > 1
    assert all(len(m.text.encode()) <= limit for m in messages)
    assert messages[0].title.endswith(f"(1/{len(messages)})")
    text = "\n".join(m.text for m in messages)
    assert all(o.code in text for o in orders)
    rows = post_group_standup(session=session, group_id=group.id, now=local(9))
    assert len(rows) == len(messages)


def test_an_order_too_long_for_one_message_links_to_its_standup_page(session):
    order, _, _, _ = _crew(session, platform="wecom")
    writer = make_user(session, Role.production)
    add_to_order(session, order, writer, Role.production)
    submit_daily_report(
        session=session,
        actor=act(session, writer),
        order_id=order.id,
        done_today="焊接",
        problems="问题很多",
        now=local(18, days=-1),
    )
    for i in range(60):
        member = make_user(session, Role.site_engineer, display_name=f"现场工程师第{i:02d}号")
        add_to_order(session, order, member, Role.site_engineer)
        submit_daily_report(
            session=session,
            actor=act(session, member),
            order_id=order.id,
            done_today="安装调试" * 20,
            plan_tomorrow="继续" * 20,
            now=local(18, days=-1),
        )
    session.commit()
    [message] = order_standup_messages(
        session=session, actor=Actor.system(), order_id=order.id, platform="wechat", now=local(9)
    )
    assert len(message.text.encode()) <= PART_BYTES[ChatPlatform.wechat]
    assert f"/standup/{order.code}" in message.text and "内容较多" in message.text
    assert "问题 2 个" in message.text


@pytest.mark.parametrize("platform", ["wecom", "dingtalk"])
def test_the_dingtalk_standup_links_to_the_phone_app_as_its_robots_have_no_menu(session, platform):
    from urllib.parse import parse_qs, urlsplit

    from app.services.core import settings
    from bots.senders.dingtalk_robot import build_payload

    _, group, _, _ = _crew(session, platform=platform)
    messages = group_standup_messages(session=session, group=group, now=local(9))
    buttons = [b for m in messages for b in m.buttons]
    if platform == "wecom":  # WeCom and WeChat have the app menu's 现场应用 button instead
        assert buttons == []
        return
    assert [b.title for b in messages[-1].buttons] == ["📱 现场应用"]
    link = urlsplit(messages[-1].buttons[0].url)
    assert (link.scheme, link.netloc, link.path) == ("dingtalk", "dingtalkclient", "/page/link")
    base = settings().public_base_url.rstrip("/")
    assert parse_qs(link.query)["url"] == [f"{base}/m/?app=dingtalk"]
    payload = build_payload(messages[-1])  # @mentions: markdown, the button as a link
    assert "[📱 现场应用](dingtalk://dingtalkclient/page/link?url=" in payload["markdown"]["text"]
