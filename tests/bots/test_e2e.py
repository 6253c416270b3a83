"""End to end, per platform: a person types in the simulator, Gendan (a real server on a free
port) runs the command, the reply shows up in the simulator, and a group push travels through
the outbox and the delivery loop to the simulated group."""

import time
from datetime import timedelta

from app.cli.chat import run_delivery
from app.services.chat import bind_group_order, create_group, group_for_conversation
from app.services.core import Actor
from bots.delivery.deliverer import OutboxDeliverer
from models.base import utcnow
from models.chat import ChatGroupCreate
from models.enums import Channel, ChatPlatform, Role
from models.outbox import Outbox
from tests.bots.live import DING_GROUP, bind_all, content, passive_text, pushed, say, wait_pushed
from tests.chat import admin
from tests.factories import add_to_order, bearer, count, make_order, make_user

WECOM_GROUP = "wecom-robot:wecom-robot-key-1"


def _order_with_groups(session, *, dingtalk_conversation: str | None = "cid-project-a001"):
    tracker = make_user(session, Role.tracker, display_name="李跟单")
    order = make_order(session, tracker, code="GD-E2E-01", customer="南方电力工程公司")
    system = Actor.system(Channel.cli)
    create_group(
        session=session,
        actor=system,
        data=ChatGroupCreate(
            platform=ChatPlatform.wecom,
            name="项目群（企业微信）",
            webhook="wecom-robot-key-1",
            order_ids=[order.id],
        ),
    )
    create_group(
        session=session,
        actor=system,
        data=ChatGroupCreate(
            platform=ChatPlatform.dingtalk,
            name="项目群（钉钉）",
            webhook="https://oapi.dingtalk.com/robot/send?access_token=dingtalk-robot-token-1",
            secret="SECdingtalk-robot-secret-1",
            conversation_id=dingtalk_conversation,
            order_ids=[order.id],
        ),
    )
    return tracker, order


def test_wechat_user_binds_asks_progress_and_gets_a_standup(sim, gendan, client, session):
    tracker, order = _order_with_groups(session)
    session.commit()
    chat = "wechat:user:o-lisi"

    first = passive_text(say(sim, chat, "lisi", "进度 GD-E2E-01"))
    assert "还没有绑定" in first and "绑定 123456" in first

    code = client.post("/api/chat/binding-codes", headers=bearer(tracker)).get_json()["code"]
    assert "绑定成功" in passive_text(say(sim, chat, "lisi", f"绑定 {code}"))

    reply = passive_text(say(sim, chat, "lisi", "进度 gd-e2e-01"))
    assert "GD-E2E-01 · 南方电力工程公司" in reply and "总进度 0%" in reply
    assert "**" not in reply and f"/orders/{order.id}" in reply  # plain text on WeChat

    assert "站会摘要" in passive_text(say(sim, chat, "lisi", "站会 GD-E2E-01"))
    totals = run_delivery(gendan, loop=False, interval=0)
    assert totals["tasks"] == 1 and totals["sent"] == 3  # standup + two group welcomes
    (summary,) = pushed(sim, chat, api="custom/send")
    assert content(summary).startswith("站会 GD-E2E-01") and "阶段进度" in content(summary)
    (welcome,) = pushed(sim, WECOM_GROUP)
    assert "本群已关联订单 GD-E2E-01" in content(welcome)
    assert count(session, Outbox, Outbox.status == "sent") == 3


def test_wecom_app_message_round_trip_and_late_answer(sim, gendan, session):
    tracker, _order = _order_with_groups(session)
    bind_all(session, tracker, "lisi")
    session.commit()
    chat = "wecom:user:lisi"

    reply = passive_text(say(sim, chat, "lisi", "progress GD-E2E-01"))
    assert "GD-E2E-01 · 南方电力工程公司" in reply
    help_text = passive_text(say(sim, chat, "lisi", "帮助"))
    assert "进度 <订单号>" in help_text and "绑定 <6 位绑定码>" in help_text
    assert "用法：进度 <订单号>" in passive_text(say(sim, chat, "lisi", "进度 一二三"))

    say(sim, chat, "lisi", "standup GD-E2E-01")
    run_delivery(gendan, loop=False, interval=0)
    (summary,) = pushed(sim, chat, api="message/send")
    assert summary["payload"]["msgtype"] == "markdown"
    assert "### 站会 GD-E2E-01" in summary["payload"]["markdown"]["content"]
    assert len(pushed(sim, WECOM_GROUP, api="webhook/send")) == 1


def test_dingtalk_group_command_uses_the_groups_order_and_replies_in_the_group(
    sim, gendan, session
):
    tracker, _order = _order_with_groups(session)
    bind_all(session, tracker, "wangwu")
    session.commit()

    assert say(sim, DING_GROUP, "wangwu", "进度")["ok"]
    (reply,) = wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")
    assert reply["payload"]["msgtype"] == "markdown"
    assert "总进度 **0%**" in reply["payload"]["markdown"]["text"]

    say(sim, DING_GROUP, "wangwu", "站会")
    wait_pushed(sim, DING_GROUP, 2, api="sessionWebhook")
    run_delivery(gendan, loop=False, interval=0)
    replies = pushed(sim, DING_GROUP, api="sessionWebhook")
    assert content(replies[1]).startswith("正在生成 GD-E2E-01 的站会摘要")
    assert content(replies[2]).startswith("### 站会 GD-E2E-01")
    (welcome,) = pushed(sim, DING_GROUP, api="robot/send")
    assert "### 本群已关联订单 GD-E2E-01" in content(welcome)


def test_unbound_dingtalk_sender_is_told_how_to_bind_and_nothing_runs(sim, gendan, session):
    _order_with_groups(session)
    session.commit()
    say(sim, DING_GROUP, "wangwu", "站会")
    (reply,) = wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")
    assert "还没有绑定" in content(reply)
    from models.outbox import BotTask

    assert count(session, BotTask) == 0


def test_simulator_url_checks_pass_against_gendan(sim, gendan):
    from tests.bots.conftest import admin

    for platform in ("wechat", "wecom", "dingtalk"):
        assert admin(sim, "POST", f"verify/{platform}")["ok"], platform


def test_site_member_asks_another_orders_progress_and_is_refused(sim, gendan, session):
    tracker, _order = _order_with_groups(session)
    outsider = make_user(session, Role.site_engineer)
    bind_all(session, outsider, "zhangsan")
    other = make_order(session, tracker, code="GD-E2E-02")
    add_to_order(session, other, outsider, Role.site_engineer)
    session.commit()
    reply = passive_text(say(sim, "wecom:user:zhangsan", "zhangsan", "进度 GD-E2E-01"))
    assert reply == "您不是该订单的成员，无权查看"
    assert "GD-E2E-02" in passive_text(
        say(sim, "wecom:user:zhangsan", "zhangsan", "进度 GD-E2E-02")
    )


def test_a_dingtalk_reply_that_fails_at_once_is_sent_by_the_delivery_loop(sim, gendan, session, db):
    tracker, _order = _order_with_groups(session)
    bind_all(session, tracker, "wangwu")
    session.commit()
    fault = {"path": "/robot/sendBySession", "kind": "status", "status": 502, "count": 1}
    admin(sim, "POST", "faults", json=fault)
    say(sim, DING_GROUP, "wangwu", "帮助")
    later = utcnow() + timedelta(minutes=5)
    deliverer = OutboxDeliverer(db, gendan.extensions["gendan.chat"], now=lambda: later)
    # The immediate attempt runs after the webhook's response: wait until it has failed and put
    # the reply back (pending, one attempt made), else the drain below would race it.
    for _ in range(200):
        failed = count(
            session,
            Outbox,
            Outbox.kind == "bot_reply",
            Outbox.status == "pending",
            Outbox.attempts >= 1,
        )
        if failed:
            break
        time.sleep(0.05)
    assert failed, "the immediate reply attempt never failed"
    assert deliverer.drain_once().sent == 3  # the reply and the two group greetings
    (reply,) = pushed(sim, DING_GROUP, api="sessionWebhook")
    assert "可用命令" in content(reply)


def test_a_group_following_several_orders_asks_which_one(sim, gendan, session):
    tracker, _order = _order_with_groups(session)
    other = make_order(session, tracker, code="GD-E2E-09")
    group, _ = group_for_conversation(
        session=session, platform=ChatPlatform.dingtalk, conversation_id="cid-project-a001"
    )
    bind_group_order(
        session=session, actor=Actor.system(Channel.cli), group_id=group.id, order_id=other.id
    )
    bind_all(session, tracker, "wangwu")
    session.commit()
    say(sim, DING_GROUP, "wangwu", "进度")
    (reply,) = wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")
    assert "本群关联了多个订单" in content(reply) and "GD-E2E-09" in content(reply)
    say(sim, DING_GROUP, "wangwu", "进度 GD-E2E-09")
    assert "GD-E2E-09" in content(wait_pushed(sim, DING_GROUP, 2, api="sessionWebhook")[-1])
