"""Field work from chat, through the simulator and a running Gendan: daily reports, and a site
issue's whole loop (report with a photo, acknowledge, resolve, verify)."""

import base64
from datetime import timedelta

import pytest
from sqlmodel import select

from app.cli.chat import run_delivery
from app.services.chat import create_group
from app.services.core import Actor
from models.chat import ChatGroupCreate
from models.enums import Channel, ChatPlatform, IssueState, Role
from models.issues import SiteIssue
from models.outbox import BotTask
from models.photos import PhotoAttachment
from models.reports import DailyReport
from tests.bots.live import DING_GROUP, bind_all, content, passive_text, pushed, say, wait_pushed
from tests.chat import admin
from tests.factories import add_to_order, count, make_order, make_user
from tests.images import jpeg

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _crew(session):
    tracker = make_user(session, Role.tracker, display_name="李跟单")
    engineer = make_user(session, Role.site_engineer, display_name="陈现场", username="chen.xc")
    order = make_order(session, tracker, code="GD-FIELD-1")
    add_to_order(session, order, engineer, Role.site_engineer)
    create_group(
        session=session,
        actor=Actor.system(Channel.cli),
        data=ChatGroupCreate(
            platform=ChatPlatform.dingtalk,
            name="项目群",
            webhook="dingtalk-robot-token-1",
            secret="SECdingtalk-robot-secret-1",
            conversation_id="cid-project-a001",
            order_ids=[order.id],
        ),
    )
    bind_all(session, tracker, "lisi")
    bind_all(session, engineer, "wangwu")
    session.commit()
    return tracker, engineer, order


def say_image(sim, conversation, user, data):
    body = {"conversation": conversation, "user": user, "image": base64.b64encode(data).decode()}
    return admin(sim, "POST", "say", json=body)


def test_a_daily_report_from_wechat_is_filed_and_a_second_one_updates_it(
    sim, gendan, session, one_instant
):
    _tracker, engineer, _order = _crew(session)
    text = "日报 GD-FIELD-1\n今日：安装 2 号机组底座\n明日：吊装\n问题：吊车未到\n工时：9.5"
    reply = passive_text(say(sim, "wechat:user:o-wangwu", "wangwu", text))
    assert reply.startswith("已收到 GD-FIELD-1") and "已更新" not in reply
    # A moment later, never past midnight (a minute did cross it under the clock check).
    one_instant(timedelta(milliseconds=1))
    again = passive_text(say(sim, "wechat:user:o-wangwu", "wangwu", "日报 GD-FIELD-1 今日：补充"))
    assert "已更新当天的日报" in again
    session.commit()
    (report,) = session.exec(select(DailyReport)).all()
    # The parts not re-sent keep their values.
    assert (report.user_id, report.done_today, report.hours) == (engineer.id, "补充", 9.5)
    assert (report.plan_tomorrow, report.problems) == ("吊装", "吊车未到")


def test_a_report_keeps_full_width_punctuation_and_answers_the_hours_cap(sim, gendan, session):
    tracker, engineer, _order = _crew(session)
    text = "日报 ＧＤ－ＦＩＥＬＤ－１\n今日：法兰漏水（2号口），需更换垫片\n工时：１６"
    reply = passive_text(say(sim, "wechat:user:o-wangwu", "wangwu", text))
    assert reply.startswith("已收到 GD-FIELD-1")
    session.commit()
    (report,) = session.exec(select(DailyReport)).all()
    assert (report.done_today, report.hours) == ("法兰漏水（2号口），需更换垫片", 16)
    session.commit()
    text = "日报 GD-FIELD-1\n问题：缺垫片\n工时：25"
    assert "0 到 24" in passive_text(say(sim, "wechat:user:o-wangwu", "wangwu", text))
    second = make_order(session, tracker, code="GD-FIELD-2")
    add_to_order(session, second, engineer, Role.site_engineer)
    session.commit()
    text = "日报 GD-FIELD-2\n今日：接线\n工时：10"
    reply = passive_text(say(sim, "wechat:user:o-wangwu", "wangwu", text))
    assert "本人工时合计 26 小时，超过每天 24 小时" in reply
    assert count(session, DailyReport) == 1


def test_a_report_refused_by_the_service_answers_its_reason(sim, gendan, session):
    _crew(session)
    outsider = make_user(session, Role.site_engineer)
    bind_all(session, outsider, "zhangsan")
    session.commit()
    reply = passive_text(say(sim, "wecom:user:zhangsan", "zhangsan", "日报 GD-FIELD-1 今日：干活"))
    assert "无权查看" in reply or "只有本订单的成员" in reply
    assert count(session, DailyReport) == 0


def test_an_issue_reported_in_the_group_gets_the_next_photo_and_goes_round_its_loop(
    sim, gendan, session
):
    _tracker, engineer, order = _crew(session)
    say(sim, DING_GROUP, "lisi", "问题 法兰漏水 高 @陈现场")
    (reply,) = wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")
    session.commit()
    issue = session.exec(select(SiteIssue)).one()
    session.commit()  # end the read: SQLite would hold Gendan's writes behind it
    assert f"已登记问题 #{issue.id}" in content(reply) and "责任人：陈现场" in content(reply)
    assert (issue.order_id, issue.owner_id, issue.risk) == (order.id, engineer.id, "high")

    assert say_image(sim, DING_GROUP, "lisi", jpeg())["ok"]
    wait_pushed(sim, DING_GROUP, 2, api="sessionWebhook")
    assert count(session, BotTask) == 1
    run_delivery(gendan, loop=False, interval=0)
    replies = pushed(sim, DING_GROUP, api="sessionWebhook")
    assert content(replies[-1]) == f"图片已附加到问题 #{issue.id}。"
    attached = session.exec(
        select(PhotoAttachment).where(PhotoAttachment.entity == "site_issue")
    ).all()
    assert [a.entity_id for a in attached] == [issue.id]
    session.commit()

    say_image(sim, DING_GROUP, "lisi", jpeg(seed=2))  # only the next image is attached
    (hint,) = wait_pushed(sim, DING_GROUP, len(replies) + 1, api="sessionWebhook")[-1:]
    assert "请先发送「问题" in content(hint)

    chat = "wecom:user:wangwu"
    assert f"已确认收到问题 #{issue.id}" in passive_text(
        say(sim, chat, "wangwu", f"收到 #{issue.id}")
    )
    assert "请写上处理结果" in passive_text(say(sim, chat, "wangwu", f"完成 #{issue.id}"))
    done = passive_text(say(sim, chat, "wangwu", f"完成 #{issue.id} 已更换垫片"))
    assert "等待其他人验证" in done
    own = passive_text(say(sim, chat, "wangwu", f"确认 #{issue.id}"))
    assert "不能验证自己处理的问题点" in own
    assert "已验证关闭" in passive_text(say(sim, "wecom:user:lisi", "lisi", f"确认 #{issue.id}"))
    session.refresh(issue)
    assert issue.state == IssueState.verified and issue.response_seconds is not None


def test_an_owner_who_is_not_a_member_is_refused(sim, gendan, session):
    _crew(session)
    reply = passive_text(say(sim, "wecom:user:lisi", "lisi", "问题 GD-FIELD-1 漏水 @王五"))
    assert "本订单成员里没有「王五」" in reply
    assert count(session, SiteIssue) == 0


def test_an_image_that_cannot_be_downloaded_is_reported_back(sim, gendan, session):
    _crew(session)
    passive_text(say(sim, "wechat:user:o-lisi", "lisi", "问题 GD-FIELD-1 螺栓松动 低"))
    say_image(sim, "wechat:user:o-lisi", "lisi", jpeg())
    sim.state.media.clear()  # the platform forgot the media before Gendan fetched it
    run_delivery(gendan, loop=False, interval=0)
    (message,) = pushed(sim, "wechat:user:o-lisi", api="custom/send")
    assert "附加图片没有完成" in content(message) and "重新发送" in content(message)
    assert count(session, PhotoAttachment) == 0
