"""DingTalk custom robot and sessionWebhook replies, against the simulator."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
import requests

from bots.message import SessionWebhookContext
from bots.platforms.dingtalk import robot_sign
from bots.senders.dingtalk_robot import (
    DingTalkRobotSender,
    DingTalkSessionReplier,
    RobotTarget,
    build_payload,
)
from models import clock
from models.messages import Button, OutboundMessage
from tests.bots.conftest import admin

TOKEN, SECRET = "dingtalk-robot-token-1", "SECdingtalk-robot-secret-1"
GROUP = "dingtalk:cid-project-a001"


@pytest.fixture
def sender(sim):
    return DingTalkRobotSender(api_base=sim.url, timeout=3, now=sim.state.clock.now)


def test_signed_markdown_with_mentions_reaches_the_group(sim, sender):
    message = OutboundMessage.markdown(
        "逾期提醒",
        "A-001 焊接工序逾期",
        mention_mobiles=("13800000001",),
        mention_user_ids=("lisi",),
    )
    assert sender.send(RobotTarget(TOKEN, SECRET), message).ok
    (row,) = admin(sim, "GET", "messages", params={"conversation": GROUP})
    assert row["payload"]["at"] == {
        "atMobiles": ["13800000001"],
        "atUserIds": ["lisi"],
        "isAtAll": False,
    }
    assert row["payload"]["markdown"]["text"].endswith("@13800000001 @lisi")


def test_forged_sign_is_310000_and_permanent(sim, sender):
    result = sender.send(RobotTarget(TOKEN, "SECwrong"), OutboundMessage.plain("x"))
    assert (result.status, result.errcode) == ("permanent", 310000)


def test_double_encoded_sign_is_310000(sim):
    now_ms = sim.state.clock.now_ms()
    encoded = quote(robot_sign(SECRET, now_ms), safe="")
    answer = requests.post(
        f"{sim.url}/robot/send",
        params={"access_token": TOKEN, "timestamp": now_ms, "sign": encoded},
        json={"msgtype": "text", "text": {"content": "x"}},
        timeout=5,
    ).json()
    assert answer == {"errcode": 310000, "errmsg": "sign not match"}


def test_correct_sign_appended_by_hand_once_encoded_is_accepted(sim):
    now_ms = sim.state.clock.now_ms()
    url = (
        f"{sim.url}/robot/send?access_token={TOKEN}&timestamp={now_ms}"
        f"&sign={quote(robot_sign(SECRET, now_ms), safe='')}"
    )
    answer = requests.post(url, json={"msgtype": "text", "text": {"content": "x"}}, timeout=5)
    assert answer.json()["errcode"] == 0


def test_timestamp_more_than_an_hour_off_is_310000(sim):
    sender = DingTalkRobotSender(api_base=sim.url, now=lambda: sim.state.clock.now() - 3601)
    result = sender.send(RobotTarget(TOKEN, SECRET), OutboundMessage.plain("x"))
    assert (result.status, result.errcode) == ("permanent", 310000)


def test_unknown_and_missing_token_are_permanent(sim, sender):
    assert sender.send(RobotTarget("nope"), OutboundMessage.plain("x")).errcode == 300001
    assert sender.send(RobotTarget(""), OutboundMessage.plain("x")).errcode == 40035


def test_keyword_robot_refuses_messages_without_a_keyword(sim, sender):
    admin(sim, "POST", "config/dingtalk_robots", json={"access_token": "kw", "keywords": ["跟单"]})
    assert sender.send(RobotTarget("kw"), OutboundMessage.plain("无关")).errcode == 310000
    assert sender.send(RobotTarget("kw"), OutboundMessage.plain("跟单提醒")).ok


def test_21st_message_is_130101_and_the_robot_stays_throttled_for_10_minutes(sim, sender):
    target = RobotTarget(TOKEN, SECRET)
    results = [sender.send(target, OutboundMessage.plain(f"{i}")) for i in range(21)]
    assert all(r.ok for r in results[:20])
    assert (results[20].status, results[20].errcode) == ("retryable", 130101)
    assert results[20].retry_after == 600
    sim.state.clock.advance(120)
    assert sender.send(target, OutboundMessage.plain("两分钟后")).errcode == 130101
    sim.state.clock.advance(481)
    assert sender.send(target, OutboundMessage.plain("十分钟后")).ok


def test_image_bytes_are_refused_locally(sim, sender):
    result = sender.send(RobotTarget(TOKEN, SECRET), OutboundMessage(kind="image", image=b"x"))
    assert result.status == "permanent"


def test_action_card_payloads():
    one = build_payload(
        OutboundMessage(
            kind="action_card", title="T", text="正文", buttons=(Button("查看", "http://x/1"),)
        )
    )
    assert one["actionCard"]["singleURL"] == "http://x/1"
    two = build_payload(
        OutboundMessage(
            kind="action_card",
            title="T",
            text="正文",
            buttons=(Button("同意", "http://x/a"), Button("驳回", "http://x/b")),
        )
    )
    assert [b["actionURL"] for b in two["actionCard"]["btns"]] == ["http://x/a", "http://x/b"]


def session_context(sim, expires_in: float) -> SessionWebhookContext:
    now = sim.state.clock.now()
    sim.state.sessions["s1"] = (GROUP, now + expires_in)
    return SessionWebhookContext(
        url=f"{sim.url}/robot/sendBySession?session=s1",
        expires_at=datetime.fromtimestamp(now + expires_in, tz=UTC),
    )


def test_session_reply_reaches_the_conversation(sim):
    replier = DingTalkSessionReplier(api_base=sim.url)
    assert replier.send(session_context(sim, 600), OutboundMessage.plain("收到")).ok
    (row,) = admin(sim, "GET", "messages", params={"api": "sessionWebhook"})
    assert row["conversation"] == GROUP


def test_expired_session_webhook_is_refused_by_the_simulator_and_locally(sim):
    context = session_context(sim, 60)
    sim.state.clock.advance(61)
    late = DingTalkSessionReplier(api_base=sim.url, now=lambda: clock.now())
    assert late.send(context, OutboundMessage.plain("x")).errcode == 300001
    later = DingTalkSessionReplier(api_base=sim.url, now=lambda: clock.now() + timedelta(minutes=2))
    assert later.send(context, OutboundMessage.plain("x")).reason == "sessionWebhook expired"


def test_session_webhook_on_another_host_is_never_called(sim):
    replier = DingTalkSessionReplier(api_base=sim.url)
    context = SessionWebhookContext(
        url="http://127.0.0.2:9/robot/sendBySession?session=s1",
        expires_at=clock.now() + timedelta(hours=1),
    )
    assert "not allowed" in replier.send(context, OutboundMessage.plain("x")).reason


@pytest.fixture
def proxy():
    """A forward proxy on 127.0.0.1 that answers every robot call itself (errcode 0) and keeps
    the absolute URLs it was asked for."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    asked = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            asked.append(self.path)
            body = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", asked
    server.shutdown()
    server.server_close()


def test_a_proxy_named_in_the_environment_carries_the_sends(monkeypatch, proxy):
    """Sessions read the environment only when it names a proxy or a CA bundle
    (bots/senders/base.py): a deployment behind a proxy still sends through it."""
    address, asked = proxy
    monkeypatch.setenv("HTTP_PROXY", address)
    sender = DingTalkRobotSender(api_base="http://127.0.0.2:9", timeout=3)
    assert sender.session.trust_env
    assert sender.send(RobotTarget(TOKEN, SECRET), OutboundMessage.plain("经代理")).ok
    assert len(asked) == 1 and asked[0].startswith("http://127.0.0.2:9/robot/send?")


def test_without_a_proxy_the_environment_is_not_read_but_its_ca_bundle_is_used(monkeypatch):
    from bots.senders.base import ENVIRONMENT_SETTINGS, JsonPoster

    for name in ENVIRONMENT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    poster = JsonPoster()
    assert poster.trust_env is False and poster.ca_bundle is None
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    poster = JsonPoster()  # requests' order: REQUESTS_CA_BUNDLE first
    assert poster.trust_env is False and poster.ca_bundle == "/etc/ssl/certs/ca-certificates.crt"
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert JsonPoster().trust_env is True
