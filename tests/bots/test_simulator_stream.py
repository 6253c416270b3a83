"""The simulator's DingTalk Stream gateway: connection-open, CALLBACK frames, acks,
redelivery of unacknowledged frames, dropped connections, and the official SDK against it."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import threading
import time
from urllib.parse import quote_plus

import dingtalk_stream
import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bots.simulator import Clock, SimulatorServer
from bots.simulator.seed import DEMO_CONFIG

REDELIVERY = 0.5
APPKEY = DEMO_CONFIG["dingtalk_apps"][0]["appkey"]
SECRET = DEMO_CONFIG["dingtalk_apps"][0]["appsecret"]
GROUP = "dingtalk:" + DEMO_CONFIG["dingtalk_robots"][0]["conversation_id"]
USER = DEMO_CONFIG["users"][0]["userid"]


@pytest.fixture(scope="module")
def stream_sim():
    config = copy.deepcopy(DEMO_CONFIG)
    config["dingtalk_apps"][0]["transport"] = "stream"
    with SimulatorServer(
        clock=Clock(frozen=True), config=config, stream_redelivery=REDELIVERY
    ) as server:
        yield server


def _open(sim, client_id=APPKEY, secret=SECRET, subscriptions=()) -> requests.Response:
    body = {"clientId": client_id, "clientSecret": secret, "ua": "t"}
    return requests.post(
        f"{sim.url}/v1.0/gateway/connections/open",
        json={**body, "subscriptions": list(subscriptions)},
        timeout=10,
    )


def _connect(sim, subscriptions=()):
    answer = _open(sim, subscriptions=subscriptions).json()
    assert answer["endpoint"].startswith("ws://127.0.0.1:")
    return connect(f"{answer['endpoint']}?ticket={quote_plus(answer['ticket'])}")


def _wait_live(sim, count=1):
    deadline = time.monotonic() + 10
    while sim.app.extensions["chat_simulator_stream"].live(APPKEY) != count:
        assert time.monotonic() < deadline, "connection count never reached"
        time.sleep(0.02)


def _say(sim, text: str) -> dict:
    body = {"conversation": GROUP, "user": USER, "text": text}
    return requests.post(f"{sim.url}/admin/say", json=body, timeout=10).json()


def _ack(ws, frame: dict, code: int = 200) -> None:
    ws.send(
        json.dumps(
            {
                "code": code,
                "headers": {
                    "messageId": frame["headers"]["messageId"],
                    "contentType": "application/json",
                },
                "message": "OK",
                "data": frame["data"],
            }
        )
    )


def _frame_state(sim, message_id: str) -> dict:
    frames = requests.get(f"{sim.url}/admin/stream", timeout=10).json()["frames"]
    return next(f for f in frames if f["message_id"] == message_id)


def _ack_codes(sim, message_id: str, count: int) -> list[int]:
    """The codes of a frame's acks, once the gateway has recorded `count` of them (or 10 s)."""
    deadline = time.monotonic() + 10
    while len(codes := [a["code"] for a in _frame_state(sim, message_id)["acks"]]) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return codes


def test_bad_credentials_get_no_ticket(stream_sim):
    for client_id, secret in ((APPKEY, "wrong"), ("nobody", SECRET), ("", "")):
        response = _open(stream_sim, client_id, secret)
        assert response.status_code == 401
        assert "ticket" not in response.json()


def test_a_used_or_unknown_ticket_is_refused(stream_sim):
    answer = _open(stream_sim).json()
    with connect(f"{answer['endpoint']}?ticket={quote_plus(answer['ticket'])}"):
        pass
    for ticket in (answer["ticket"], "made-up"):
        with connect(f"{answer['endpoint']}?ticket={ticket}") as ws:
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=5)
            assert ws.close_code == 4001


def test_a_group_message_arrives_as_a_callback_frame_and_an_ack_stops_redelivery(stream_sim):
    with _connect(stream_sim) as ws:
        _wait_live(stream_sim)
        said = _say(stream_sim, "进度 SO-1")
        assert said["transport"] == "stream"
        frame = json.loads(ws.recv(timeout=5))
        assert frame["type"] == "CALLBACK"
        assert frame["headers"]["topic"] == "/v1.0/im/bot/messages/get"
        assert frame["headers"]["messageId"] == said["message_id"]
        data = json.loads(frame["data"])  # the robot message JSON the webhook carries
        assert data["text"]["content"].strip() == "进度 SO-1"
        assert data["conversationType"] == "2" and data["msgId"]
        assert "/robot/sendBySession?session=" in data["sessionWebhook"]
        # The SDK's own parser reads the frame.
        message = dingtalk_stream.CallbackMessage.from_dict(frame)
        incoming = dingtalk_stream.ChatbotMessage.from_dict(message.data)
        assert incoming.text.content.strip() == "进度 SO-1"
        _ack(ws, frame)
        with pytest.raises(TimeoutError):
            ws.recv(timeout=REDELIVERY * 3)
    state = _frame_state(stream_sim, said["message_id"])
    assert state["deliveries"] == 1 and state["acked_at"] is not None


def test_an_unacknowledged_frame_is_delivered_again(stream_sim):
    with _connect(stream_sim) as ws:
        _wait_live(stream_sim)
        said = _say(stream_sim, "帮助")
        first = json.loads(ws.recv(timeout=5))
        started = time.monotonic()
        again = json.loads(ws.recv(timeout=REDELIVERY * 6))
        assert time.monotonic() - started >= REDELIVERY * 0.8
        assert again == first  # same messageId, same data: the client dedupes by msgId
        _ack(ws, again, code=500)  # a failure status is no ack: delivered again
        third = json.loads(ws.recv(timeout=REDELIVERY * 6))
        assert third["headers"]["messageId"] == said["message_id"]
        _ack(ws, third)
        with pytest.raises(TimeoutError):
            ws.recv(timeout=REDELIVERY * 3)
    state = _frame_state(stream_sim, said["message_id"])
    assert state["deliveries"] == 3
    assert [a["code"] for a in state["acks"]] == [500, 200]


def test_a_frame_queued_while_disconnected_arrives_after_reconnecting(stream_sim):
    requests.post(f"{stream_sim.url}/admin/stream/drop", json={}, timeout=10)
    _wait_live(stream_sim, 0)
    said = _say(stream_sim, "离线时发的")
    with _connect(stream_sim) as ws:
        frame = json.loads(ws.recv(timeout=REDELIVERY * 6))
        assert frame["headers"]["messageId"] == said["message_id"]
        _ack(ws, frame)


def test_drop_cuts_the_connection_and_graceful_sends_disconnect(stream_sim):
    with _connect(stream_sim) as ws:
        _wait_live(stream_sim)
        answer = requests.post(
            f"{stream_sim.url}/admin/stream/drop", json={"graceful": True}, timeout=10
        ).json()
        assert answer["dropped"] == 1
        frame = json.loads(ws.recv(timeout=5))
        assert frame["type"] == "SYSTEM" and frame["headers"]["topic"] == "disconnect"
    with _connect(stream_sim) as ws:
        _wait_live(stream_sim)
        answer = requests.post(
            f"{stream_sim.url}/admin/stream/drop", json={"appkey": APPKEY}, timeout=10
        ).json()
        assert answer["dropped"] == 1
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    _wait_live(stream_sim, 0)


class _Recorder(dingtalk_stream.ChatbotHandler):
    def __init__(self):
        super().__init__()
        self.texts: list[str] = []

    async def process(self, callback):  # the SDK acks with the code this returns
        self.texts.append(dingtalk_stream.ChatbotMessage.from_dict(callback.data).text.content)
        return dingtalk_stream.AckMessage.STATUS_OK, "OK"


class _LocalClient(dingtalk_stream.DingTalkStreamClient):
    def get_host_ip(self):  # the SDK probes a public address for this; stay on loopback
        return "127.0.0.1"


def _run_until_stopped(loop: asyncio.AbstractEventLoop, task: asyncio.Task) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        loop.run_until_complete(task)
    rest = asyncio.all_tasks(loop)  # the SDK's keepalive and message tasks
    for other in rest:
        other.cancel()
    loop.run_until_complete(asyncio.gather(*rest, return_exceptions=True))
    loop.close()


def test_the_official_sdk_connects_receives_and_acknowledges(stream_sim, monkeypatch):
    # The SDK reads the address from DingTalkStreamClient itself, not from the instance.
    monkeypatch.setattr(
        dingtalk_stream.DingTalkStreamClient,
        "OPEN_CONNECTION_API",
        f"{stream_sim.url}/v1.0/gateway/connections/open",
    )
    assert _LocalClient.OPEN_CONNECTION_API.startswith("http://127.0.0.1:")
    client = _LocalClient(dingtalk_stream.Credential(APPKEY, SECRET))
    handler = _Recorder()
    client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, handler)
    loop = asyncio.new_event_loop()
    task = loop.create_task(client.start())
    thread = threading.Thread(target=_run_until_stopped, args=(loop, task), daemon=True)
    thread.start()
    try:
        _wait_live(stream_sim)
        said = _say(stream_sim, "SDK 收到")
        deadline = time.monotonic() + 10
        while _frame_state(stream_sim, said["message_id"])["acked_at"] is None:
            assert time.monotonic() < deadline, "the SDK never acknowledged"
            time.sleep(0.05)
        while not handler.texts:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert handler.texts[-1].strip() == "SDK 收到"
    finally:
        # The SDK's start() swallows a CancelledError and reconnects (after the monkeypatch
        # is undone: to the real platform); a second one, during its back-off, ends it.
        deadline = time.monotonic() + 20
        while thread.is_alive() and time.monotonic() < deadline:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(task.cancel)
            thread.join(0.2)
        assert not thread.is_alive(), "the SDK's loop did not stop"
        requests.post(f"{stream_sim.url}/admin/stream/drop", json={}, timeout=10)


def test_admin_stream_endpoints_refuse_bad_input(stream_sim):
    response = requests.post(
        f"{stream_sim.url}/admin/stream/redeliver", json={"message_id": "nope"}, timeout=10
    )
    assert response.status_code == 404 and response.json()["ok"] is False
    response = requests.post(f"{stream_sim.url}/admin/stream/ping", json={}, timeout=10)
    assert response.status_code == 400 and response.json()["ok"] is False


def test_a_ping_frame_is_a_system_frame_the_client_answers(stream_sim):
    with _connect(stream_sim) as ws:
        _wait_live(stream_sim)
        answer = requests.post(
            f"{stream_sim.url}/admin/stream/ping", json={"appkey": APPKEY}, timeout=10
        ).json()
        assert answer == {"ok": True, "sent": 1}
        frame = json.loads(ws.recv(timeout=5))
        assert frame["type"] == "SYSTEM" and frame["headers"]["topic"] == "ping"
        assert "opaque" in json.loads(frame["data"])
    _wait_live(stream_sim, 0)


EVENTS = ({"type": "EVENT", "topic": "*"},)


def test_an_event_frame_goes_only_to_a_connection_subscribed_to_events(stream_sim):
    with _connect(stream_sim) as robot_only, _connect(stream_sim, EVENTS) as events:
        _wait_live(stream_sim, 2)
        sent = requests.post(
            f"{stream_sim.url}/admin/stream/event",
            json={"event_type": "user_add_org", "data": {"userId": ["u1"]}},
            timeout=10,
        ).json()
        assert sent["ok"]
        frame = json.loads(events.recv(timeout=5))
        assert frame["type"] == "EVENT"
        assert frame["headers"]["messageId"] == sent["message_id"]
        # The SDK's own parser reads the frame: eventType and eventId in the headers.
        message = dingtalk_stream.EventMessage.from_dict(frame)
        assert message.headers.event_type == "user_add_org"
        assert message.headers.event_id == sent["event_id"]
        assert message.headers.event_unified_app_id == APPKEY
        assert message.data == {"userId": ["u1"]}
        _ack(events, frame)
        with pytest.raises(TimeoutError):
            robot_only.recv(timeout=REDELIVERY * 3)
    state = _frame_state(stream_sim, sent["message_id"])
    assert state["type"] == "EVENT" and state["eventId"] == sent["event_id"]
    assert state["deliveries"] == 1 and state["acked_at"] is not None
    _wait_live(stream_sim, 0)


def test_an_unacknowledged_event_frame_is_delivered_again(stream_sim):
    with _connect(stream_sim, EVENTS) as ws:
        _wait_live(stream_sim)
        sent = requests.post(
            f"{stream_sim.url}/admin/stream/event",
            json={"event_type": "chat_update_title", "data": "{not json"},
            timeout=10,
        ).json()
        first = json.loads(ws.recv(timeout=5))
        assert first["data"] == "{not json"  # a bad frame goes out verbatim
        assert json.loads(ws.recv(timeout=REDELIVERY * 6)) == first
        _ack(ws, first, code=400)
        assert json.loads(ws.recv(timeout=REDELIVERY * 6)) == first
        _ack(ws, first)
    # the gateway records an ack when its loop reads it, after the client has sent it
    assert _ack_codes(stream_sim, sent["message_id"], count=2) == [400, 200]
    _wait_live(stream_sim, 0)


def test_admin_stream_event_refuses_bad_input(stream_sim):
    url = f"{stream_sim.url}/admin/stream/event"
    for body in (
        {},
        {"event_type": 5},
        {"event_type": "x", "data": [1]},
        {"event_type": "x", "appkey": ""},
    ):
        response = requests.post(url, json=body, timeout=10)
        assert response.status_code == 400 and response.json()["ok"] is False, body


def test_admin_event_goes_over_the_stream_when_the_app_uses_it(stream_sim):
    with _connect(stream_sim, EVENTS) as ws:
        _wait_live(stream_sim)
        sent = requests.post(
            f"{stream_sim.url}/admin/event",
            json={"EventType": "user_modify_org", "UserId": ["u1"]},
            timeout=10,
        ).json()
        assert sent["ok"] and sent["transport"] == "stream"
        frame = dingtalk_stream.EventMessage.from_dict(json.loads(ws.recv(timeout=5)))
        assert frame.headers.event_type == "user_modify_org"
        assert frame.headers.event_id == sent["event_id"]
        assert frame.data == {"UserId": ["u1"]}
        _ack(ws, {"headers": {"messageId": sent["message_id"]}, "data": "{}"})
    _wait_live(stream_sim, 0)
