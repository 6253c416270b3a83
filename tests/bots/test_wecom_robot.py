"""WeCom group robot: the sender against the simulator, and the simulator's limits."""

import base64
import hashlib

import pytest
import requests

from bots.senders.wecom_robot import MARKDOWN_LIMIT, WeComRobotSender, build_payload
from models.messages import Button, OutboundMessage
from tests.bots.conftest import admin, calls

KEY = "wecom-robot-key-1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def sender(sim):
    return WeComRobotSender(api_base=sim.url, timeout=3)


def webhook(sim, payload, key=KEY):
    url = f"{sim.url}/cgi-bin/webhook/send"
    return requests.post(url, params={"key": key}, json=payload, timeout=5).json()


def test_text_with_mentions_reaches_the_group(sim, sender):
    message = OutboundMessage.plain(
        "A-001 缺料预警", mention_user_ids=("zhangsan",), mention_mobiles=("13800000002",)
    )
    assert sender.send(KEY, message).ok
    (row,) = admin(sim, "GET", "messages", params={"conversation": f"wecom-robot:{KEY}"})
    assert row["payload"]["text"]["mentioned_list"] == ["zhangsan"]
    assert row["payload"]["text"]["mentioned_mobile_list"] == ["13800000002"]


def test_long_markdown_is_cut_to_4096_bytes_with_a_note_and_keeps_mentions(sim, sender):
    message = OutboundMessage.markdown("站会", "进度正常。" * 1000, mention_user_ids=("lisi",))
    result = sender.send(KEY, message)
    assert result.ok
    (row,) = admin(sim, "GET", "messages")
    content = row["payload"]["markdown"]["content"]
    assert len(content.encode()) <= MARKDOWN_LIMIT
    assert "已截断" in content and content.endswith("<@lisi>")


def test_image_is_sent_as_base64_with_md5_of_the_raw_bytes(sim, sender):
    assert sender.send(KEY, OutboundMessage(kind="image", image=PNG)).ok
    (row,) = admin(sim, "GET", "messages")
    assert row["payload"]["image"]["md5"] == hashlib.md5(PNG).hexdigest()


@pytest.mark.parametrize(
    "image", [b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024), b"GIF89a....", b""]
)
def test_unsendable_images_are_refused_without_calling_the_platform(sim, sender, image):
    result = sender.send(KEY, OutboundMessage(kind="image", image=image))
    assert result.status == "permanent"
    assert calls(sim, "/cgi-bin/webhook") == []


def test_action_card_becomes_markdown_links():
    payload = build_payload(
        OutboundMessage(
            kind="action_card", title="审批", text="请会签", buttons=(Button("查看", "http://x/1"),)
        )
    )
    assert payload["markdown"]["content"].endswith("[查看](http://x/1)")


def test_unknown_key_is_93000_and_permanent(sim, sender):
    result = sender.send("no-such-key", OutboundMessage.plain("hi"))
    assert (result.status, result.errcode) == ("permanent", 93000)


def test_full_webhook_url_instead_of_key_is_refused_locally(sim, sender):
    result = sender.send(f"{sim.url}/cgi-bin/webhook/send?key={KEY}", OutboundMessage.plain("x"))
    assert result.status == "permanent" and calls(sim, "/cgi-bin/webhook") == []


def test_21st_message_in_a_minute_is_45009_and_retryable_then_allowed_later(sim, sender):
    results = [sender.send(KEY, OutboundMessage.plain(f"第{i}条")) for i in range(21)]
    assert all(r.ok for r in results[:20])
    assert (results[20].status, results[20].errcode) == ("retryable", 45009)
    assert results[20].retry_after == 60
    sim.state.clock.advance(61)
    assert sender.send(KEY, OutboundMessage.plain("一分钟后")).ok


def test_simulator_refuses_markdown_over_4096_bytes_with_40058(sim):
    answer = webhook(sim, {"msgtype": "markdown", "markdown": {"content": "字" * 1366}})
    assert answer["errcode"] == 40058


def test_simulator_refuses_text_over_2048_bytes_with_40058(sim):
    assert webhook(sim, {"msgtype": "text", "text": {"content": "a" * 2049}})["errcode"] == 40058


def test_simulator_refuses_an_image_whose_md5_does_not_match(sim):
    body = {"base64": base64.b64encode(PNG).decode(), "md5": hashlib.md5(b"other").hexdigest()}
    answer = webhook(sim, {"msgtype": "image", "image": body})
    assert answer["errcode"] == 40058 and "md5" in answer["errmsg"]


def test_simulator_refuses_unknown_message_types(sim):
    assert webhook(sim, {"msgtype": "video", "video": {}})["errcode"] == 40008
    assert webhook(sim, {"msgtype": "text"})["errcode"] == 40008
