"""The simulator's WeCom intelligent robot long connection: subscribe check, callback frames,
replies as acknowledgements, redelivery of unanswered callbacks, heartbeats, a newer
connection replacing an older one, dropped connections, and the admin endpoints' refusals."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bots.simulator import Clock, SimulatorServer
from bots.simulator.seed import DEMO_CONFIG
from bots.stream.wecom import WeComLongConnection

REDELIVERY = 0.5
BOT = DEMO_CONFIG["wecom_bots"][0]
USER = DEMO_CONFIG["users"][0]["userid"]
CHAT = f"wecom:user:{USER}"


@pytest.fixture(scope="module")
def ws_sim():
    config = copy.deepcopy(DEMO_CONFIG)
    config["wecom_bots"][0]["transport"] = "long_connection"
    with SimulatorServer(
        clock=Clock(frozen=True), config=config, wecom_redelivery=REDELIVERY
    ) as server:
        yield server


def _gateway(sim):
    return sim.app.extensions["chat_simulator_wecom_ws"]


@contextmanager
def _subscribed(sim, bot_id=BOT["bot_id"], secret=BOT["secret"]):
    """A connection that sent its subscription; yields (socket, the subscription's answer)."""
    with connect(sim.wecom_ws_url) as ws:
        yield ws, _subscribe(ws, bot_id, secret)


def _subscribe(ws, bot_id=BOT["bot_id"], secret=BOT["secret"]) -> dict:
    ws.send(
        json.dumps(
            {
                "cmd": "aibot_subscribe",
                "headers": {"req_id": "aibot_subscribe_1"},
                "body": {"bot_id": bot_id, "secret": secret},
            }
        )
    )
    return json.loads(ws.recv(5))


def _wait(check, what: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return result


def _say(sim, text: str) -> dict:
    body = {"conversation": CHAT, "user": USER, "text": text}
    return requests.post(f"{sim.url}/admin/say", json=body, timeout=10).json()


def _respond(ws, req_id: str, content: str = "好的") -> dict:
    ws.send(
        json.dumps(
            {
                "cmd": "aibot_respond_msg",
                "headers": {"req_id": req_id},
                "body": {
                    "msgtype": "stream",
                    "stream": {"id": "s1", "finish": True, "content": content},
                },
            }
        )
    )
    return json.loads(ws.recv(5))


def _frame(sim, req_id: str) -> dict:
    state = requests.get(f"{sim.url}/admin/wecom-ws", timeout=10).json()
    return next(f for f in state["frames"] if f["req_id"] == req_id)


def test_a_wrong_secret_is_refused_and_the_connection_closed(ws_sim):
    with _subscribed(ws_sim, secret="wrong") as (ws, answer):
        assert answer["headers"]["req_id"] == "aibot_subscribe_1" and answer["errcode"] != 0
        with pytest.raises(ConnectionClosed):
            ws.recv(5)


def test_a_first_frame_other_than_subscribe_is_refused_and_the_connection_closed(ws_sim):
    with connect(ws_sim.wecom_ws_url) as ws:
        ws.send(json.dumps({"cmd": "ping", "headers": {"req_id": "ping_1"}}))
        assert json.loads(ws.recv(5))["errcode"] != 0
        with pytest.raises(ConnectionClosed):
            ws.recv(5)


def test_a_message_goes_out_as_a_callback_and_the_reply_acknowledges_it(ws_sim):
    with _subscribed(ws_sim) as (ws, answer):
        assert answer["errcode"] == 0
        said = _say(ws_sim, "帮助")
        assert said["ok"] and said["transport"] == "long_connection"
        frame = json.loads(ws.recv(5))
        assert frame["cmd"] == "aibot_msg_callback"
        assert frame["headers"]["req_id"] == said["req_id"]
        body = frame["body"]
        assert body["msgid"] == said["msgid"] and body["aibotid"] == BOT["bot_id"]
        assert body["chattype"] == "single" and body["from"]["userid"] == USER
        assert body["text"]["content"] == "帮助"
        assert _respond(ws, said["req_id"], "可用命令")["errcode"] == 0
        assert _frame(ws_sim, said["req_id"])["acked_at"]
        shown = requests.get(
            f"{ws_sim.url}/admin/messages",
            params={"conversation": CHAT, "api": "aibot_respond_msg"},
            timeout=10,
        ).json()
        assert shown[-1]["payload"]["stream"]["content"] == "可用命令"


def test_an_unanswered_callback_is_delivered_again_with_the_same_ids(ws_sim):
    with _subscribed(ws_sim) as (ws, _):
        said = _say(ws_sim, "进度")
        first = json.loads(ws.recv(5))
        again = json.loads(ws.recv(5))  # no reply within REDELIVERY seconds
        assert again == first
        _respond(ws, said["req_id"])
        time.sleep(REDELIVERY * 2)
        assert _frame(ws_sim, said["req_id"])["deliveries"] == 2


def test_a_callback_queued_while_disconnected_arrives_on_the_next_connection(ws_sim):
    gateway = _gateway(ws_sim)
    _wait(lambda: gateway.live(BOT["bot_id"]) == 0, "no connection")
    said = _say(ws_sim, "帮助")
    with _subscribed(ws_sim) as (ws, _):
        frame = json.loads(ws.recv(5))
        assert frame["headers"]["req_id"] == said["req_id"]
        _respond(ws, said["req_id"])


def test_ping_is_answered(ws_sim):
    with _subscribed(ws_sim) as (ws, _):
        ws.send(json.dumps({"cmd": "ping", "headers": {"req_id": "ping_abc"}}))
        answer = json.loads(ws.recv(5))
        assert answer == {"headers": {"req_id": "ping_abc"}, "errcode": 0, "errmsg": "ok"}


def test_a_newer_connection_replaces_the_older_one(ws_sim):
    with _subscribed(ws_sim) as (old, _), _subscribed(ws_sim):
        event = json.loads(old.recv(5))
        assert event["cmd"] == "aibot_event_callback"
        assert event["body"]["event"]["eventtype"] == "disconnected_event"
        with pytest.raises(ConnectionClosed):
            old.recv(5)
        assert _gateway(ws_sim).live(BOT["bot_id"]) == 1


def test_drop_cuts_the_connection(ws_sim):
    with _subscribed(ws_sim) as (ws, _):
        answer = requests.post(f"{ws_sim.url}/admin/wecom-ws/drop", json={}, timeout=10).json()
        assert answer == {"ok": True, "dropped": 1}
        with pytest.raises(ConnectionClosed):
            ws.recv(5)


def test_graceful_drop_sends_the_disconnected_event(ws_sim):
    with _subscribed(ws_sim) as (ws, _):
        body = {"bot_id": BOT["bot_id"], "graceful": True}
        requests.post(f"{ws_sim.url}/admin/wecom-ws/drop", json=body, timeout=10)
        event = json.loads(ws.recv(5))
        assert event["body"]["event"]["eventtype"] == "disconnected_event"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("drop", "not json", 400),  # not a JSON object
        ("drop", {"bot_id": 7}, 400),  # bot_id not text
        ("redeliver", {"req_id": "nope"}, 404),  # unknown req_id
        ("redeliver", {"req_id": ["x"]}, 404),  # req_id not text
    ],
)
def test_admin_endpoints_refuse_bad_input(ws_sim, path, body, status):
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = requests.post(f"{ws_sim.url}/admin/wecom-ws/{path}", timeout=10, **kwargs)
    assert response.status_code == status
    assert response.json()["ok"] is False


def test_gendans_client_subscribes_and_keeps_the_connection_alive_with_pings(ws_sim):
    """bots/stream/wecom.py against the gateway: it subscribes, pings every `heartbeat`
    seconds (each answered), and closes when told to stop."""
    gateway = _gateway(ws_sim)
    pings = gateway.pings
    client = WeComLongConnection(
        None,
        bot_id=BOT["bot_id"],
        secret=BOT["secret"],
        url=ws_sim.wecom_ws_url,
        check_every=0.1,
        heartbeat=0.1,
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(client.run(),), daemon=True)
    thread.start()
    try:
        _wait(lambda: gateway.pings >= pings + 3, "three pings")
        assert client.connects == 1 and client._missed <= 1  # every ping was answered
    finally:
        loop.call_soon_threadsafe(client.stop.set)
        thread.join(10)
    assert not thread.is_alive()
    _wait(lambda: gateway.live(BOT["bot_id"]) == 0, "the connection to close")
