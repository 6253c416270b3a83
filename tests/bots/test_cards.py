"""Platform-native warning cards within each platform's size limits, against the simulator:
DingTalk markdown with the headline in the body, an actionCard with 「收到」 when nobody is
@mentioned, the 20,000-byte request limit; WeCom robot and app markdown with the buttons as
links; WeChat subscribe message values."""

from __future__ import annotations

import json

import pytest
import requests

from bots.platforms.dingtalk import robot_sign
from bots.senders.clients import WeChatApiClient, WeComApiClient
from bots.senders.dingtalk_robot import (
    BODY_LIMIT,
    DingTalkRobotSender,
    RobotTarget,
    build_payload,
)
from bots.senders.wechat_subscribe import SubscribeTarget, WeChatSubscribeSender
from bots.senders.wecom_app import LIMIT as APP_LIMIT
from bots.senders.wecom_app import WeComAppSender
from bots.senders.wecom_robot import MARKDOWN_LIMIT, WeComRobotSender
from bots.senders.wecom_robot import build_payload as wecom_payload
from models.messages import Button, OutboundMessage
from tests.bots.conftest import admin

TOKEN, SECRET = "dingtalk-robot-token-1", "SECdingtalk-robot-secret-1"
HEAD = "🔴 预警 #A4 · 预测延期"
ACK = Button("收到", "https://gendan.example/ack/tok-4")
ORDER = Button("打开订单", "https://gendan.example/orders/4")


def alert(
    text: str = "GD-1 钢板（甲供应商）到货晚于需求日的概率约 62%", **extra
) -> OutboundMessage:
    return OutboundMessage(kind="action_card", title=HEAD, text=text, buttons=(ACK, ORDER), **extra)


def sent_size(payload: dict) -> int:
    return len(json.dumps(payload).encode())


def test_dingtalk_markdown_shows_the_headline_in_the_body():
    payload = build_payload(OutboundMessage.markdown("📋 日报未交（2）", "- 张三\n- 李四"))
    assert payload["markdown"]["title"] == "📋 日报未交（2）"
    assert payload["markdown"]["text"].startswith("### 📋 日报未交（2）\n- 张三")


def test_a_dingtalk_warning_without_mentions_is_an_action_card_with_a_button_to_acknowledge():
    card = build_payload(alert())["actionCard"]
    assert card["text"].startswith(f"### {HEAD}\n")
    assert [(b["title"], b["actionURL"]) for b in card["btns"]] == [
        ("收到", ACK.url),
        ("打开订单", ORDER.url),
    ]


def test_a_dingtalk_warning_that_mentions_the_owner_stays_markdown_with_the_links(sim):
    message = alert(mention_user_ids=("lisi",))
    payload = build_payload(message)
    assert payload["msgtype"] == "markdown" and payload["at"]["atUserIds"] == ["lisi"]
    text = payload["markdown"]["text"]
    assert f"[收到]({ACK.url})" in text and text.endswith("@lisi")
    sender = DingTalkRobotSender(api_base=sim.url, timeout=3, now=sim.state.clock.now)
    assert sender.send(RobotTarget(TOKEN, SECRET), message).ok


@pytest.mark.parametrize("mentions", [(), ("lisi",)])
def test_a_dingtalk_warning_over_the_limit_is_cut_at_a_line_and_still_accepted(sim, mentions):
    body = "\n".join(f"第 {i} 行：焊接工序逾期，请尽快处理" for i in range(2000))
    message = alert(body, mention_user_ids=mentions)
    payload = build_payload(message)
    assert BODY_LIMIT - 200 < sent_size(payload) <= BODY_LIMIT
    text = payload.get("markdown", payload.get("actionCard"))["text"]
    assert "…（内容过长，已截断" in text and "行：焊接工序逾期，请尽快处理\n\n…" in text
    assert not mentions or (ACK.url in text and text.endswith("@lisi"))
    sender = DingTalkRobotSender(api_base=sim.url, timeout=3, now=sim.state.clock.now)
    assert sender.send(RobotTarget(TOKEN, SECRET), message).ok


def test_a_dingtalk_message_that_fits_is_not_touched():
    payload = build_payload(alert("短"))
    assert "截断" not in payload["actionCard"]["text"]


def test_the_simulator_refuses_a_dingtalk_body_over_20000_bytes(sim):
    payload = {"msgtype": "text", "text": {"content": "x" * 20000}}
    stamp = int(sim.state.clock.now() * 1000)
    params = {"access_token": TOKEN, "timestamp": stamp, "sign": robot_sign(SECRET, stamp)}
    answer = requests.post(f"{sim.url}/robot/send", params=params, json=payload, timeout=5)
    assert answer.json()["errcode"] == 460101


def test_wecom_robot_markdown_at_the_limit_keeps_the_buttons_and_mentions(sim):
    message = alert("很长的正文" * 2000, mention_user_ids=("lisi",))
    content = wecom_payload(message)["markdown"]["content"]
    assert len(content.encode()) <= MARKDOWN_LIMIT
    assert content.startswith(f"### {HEAD}") and f"[收到]({ACK.url})" in content
    assert content.endswith("<@lisi>")
    assert WeComRobotSender(api_base=sim.url, timeout=3).send("wecom-robot-key-1", message).ok


def test_wecom_app_markdown_at_the_limit_keeps_the_buttons(sim, storage):
    client = WeComApiClient(
        "wwsimulator000001", "wecom-secret", session=storage, api_base=sim.url, timeout=3
    )
    message = alert("很长的正文" * 1000)
    assert WeComAppSender(client, "1000002").send("zhangsan", message).ok
    (row,) = admin(sim, "GET", "messages", params={"api": "message/send"})
    content = row["payload"]["markdown"]["content"]
    assert len(content.encode()) <= APP_LIMIT and content.endswith(f"[打开订单]({ORDER.url})")


def test_the_simulator_refuses_a_wecom_app_markdown_over_2048_bytes(sim, storage):
    client = WeComApiClient(
        "wwsimulator000001", "wecom-secret", session=storage, api_base=sim.url, timeout=3
    )
    body = {"touser": "zhangsan", "agentid": "1000002", "msgtype": "markdown"}
    body["markdown"] = {"content": "字" * 683}  # 2049 bytes
    with pytest.raises(Exception) as refused:
        client.post("message/send", data=body)
    assert getattr(refused.value, "errcode", None) == 45002


def test_wechat_subscribe_values_at_their_limits(sim, storage):
    client = WeChatApiClient(
        "wxsimulator000001", "wechat-secret", session=storage, api_base=sim.url, timeout=3
    )
    sender = WeChatSubscribeSender(client, miniprogram_state="developer")
    target = SubscribeTarget("o-zhangsan", "tmpl-overdue")
    exact = {"character_string1": "A" * 32, "thing2": "预" * 20, "phrase4": "高风险预警"}
    assert sender.send(target, OutboundMessage(fields=exact)).ok
    (row,) = admin(sim, "GET", "messages", params={"api": "subscribe/send"})
    assert row["payload"]["data"]["thing2"]["value"] == "预" * 20  # at the limit: untouched
    cut = sender.send(target, OutboundMessage(fields={"thing2": "预" * 21}))
    assert cut.ok  # clipped to 20 with "…"
    too_long = sender.send(target, OutboundMessage(fields={"phrase4": "高风险的预警"}))
    assert (too_long.status, too_long.errcode) == ("permanent", 47003)
