"""Reliability: injected 5xx, hangs and garbage turn into retryable results, never exceptions."""

import pytest

from bots.senders.clients import WeChatApiClient
from bots.senders.dingtalk_robot import DingTalkRobotSender, RobotTarget
from bots.senders.wechat_subscribe import SubscribeTarget, WeChatSubscribeSender
from bots.senders.wecom_robot import WeComRobotSender
from models.messages import OutboundMessage
from tests.bots.conftest import admin

KEY = "wecom-robot-key-1"
TEXT = OutboundMessage.plain("测试")


def fault(sim, **spec):
    admin(sim, "POST", "faults", json=spec)


@pytest.mark.parametrize(
    "status, expected", [(503, "retryable"), (500, "retryable"), (404, "permanent")]
)
def test_http_errors_are_classified(sim, status, expected):
    fault(sim, path="/cgi-bin/webhook", kind="status", status=status)
    result = WeComRobotSender(api_base=sim.url).send(KEY, TEXT)
    assert (result.status, result.errcode) == (expected, None)


def test_fault_lasts_for_count_calls_only(sim):
    fault(sim, path="/cgi-bin/webhook", kind="status", count=2)
    sender = WeComRobotSender(api_base=sim.url)
    assert [sender.send(KEY, TEXT).status for _ in range(3)] == ["retryable", "retryable", "ok"]


def test_fault_for_a_duration_ends_when_the_clock_passes_it(sim):
    fault(sim, path="/robot", kind="status", status=502, seconds=30)
    sender = DingTalkRobotSender(api_base=sim.url, now=sim.state.clock.now)
    target = RobotTarget("dingtalk-robot-token-1", "SECdingtalk-robot-secret-1")
    assert sender.send(target, TEXT).status == "retryable"
    assert sender.send(target, TEXT).status == "retryable"
    sim.state.clock.advance(31)
    assert sender.send(target, TEXT).ok


def test_a_hanging_platform_times_out_as_retryable(sim):
    fault(sim, path="/cgi-bin/webhook", kind="hang", hang_seconds=30)
    result = WeComRobotSender(api_base=sim.url, timeout=0.3).send(KEY, TEXT)
    assert result.status == "retryable" and result.reason.startswith("timeout")
    admin(sim, "DELETE", "faults")  # releases the held request


def test_a_hanging_token_fetch_times_out_instead_of_blocking(sim, storage):
    fault(sim, path="/cgi-bin/stable_token", kind="hang", hang_seconds=30)
    client = WeChatApiClient(
        "wxsimulator000001", "wechat-secret", session=storage, api_base=sim.url, timeout=0.3
    )
    target = SubscribeTarget("o-zhangsan", "tmpl-overdue")
    result = WeChatSubscribeSender(client).send(target, OutboundMessage(fields={"thing1": "x"}))
    assert result.status == "retryable"
    admin(sim, "DELETE", "faults")


def test_nobody_listening_is_retryable(sim):
    result = WeComRobotSender(api_base="http://127.0.0.1:9", timeout=1).send(KEY, TEXT)
    assert result.status == "retryable" and result.reason.startswith("network")


def test_an_sdk_5xx_is_retryable(sim, storage):
    fault(sim, path="/cgi-bin/message/subscribe", kind="status", status=503)
    client = WeChatApiClient(
        "wxsimulator000001", "wechat-secret", session=storage, api_base=sim.url
    )
    target = SubscribeTarget("o-zhangsan", "tmpl-overdue")
    result = WeChatSubscribeSender(client).send(target, OutboundMessage(fields={"thing1": "x"}))
    assert (result.status, result.reason) == ("retryable", "HTTP 503")


def test_unknown_fault_kind_is_refused(sim):
    assert "error" in admin(sim, "POST", "faults", json={"kind": "explode"})


def test_a_non_json_answer_is_retryable(sim):
    fault(sim, path="/cgi-bin/webhook", kind="status", status=200)
    result = WeComRobotSender(api_base=sim.url).send(KEY, TEXT)
    assert (result.status, result.reason) == ("retryable", "response is not a JSON object")
