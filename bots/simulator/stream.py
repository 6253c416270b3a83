"""Simulated DingTalk Stream mode: the connection-open API and the WebSocket gateway.

The real protocol (as the official `dingtalk-stream` SDK speaks it):
- POST /v1.0/gateway/connections/open {clientId, clientSecret, subscriptions, ua, localIp}
  answers {"endpoint": "wss://...", "ticket": "..."}; the client connects to
  `endpoint?ticket=<ticket>`.
- The gateway sends JSON frames {"specVersion", "type": SYSTEM | EVENT | CALLBACK,
  "headers": {"messageId", "topic", "contentType", "time", ...}, "data": "<JSON string>"}.
  Robot messages are CALLBACK frames on topic /v1.0/im/bot/messages/get whose data is the
  robot message JSON the webhook carries.
- Event subscriptions are EVENT frames (headers also carry eventType, eventId, eventBornTime,
  eventCorpId, eventUnifiedAppId; data is the event's JSON), sent only to connections that
  subscribed {"type": "EVENT", "topic": "*"} at connection-open.
- The client answers each frame with an ack {"code": 200, "headers": {"messageId", ...},
  "message", "data"}; a frame without an ack (or with another code) is delivered again
  later (16-60 s on the real platform; `redelivery_delay` here), at most MAX_DELIVERIES
  times in all (the platform gives up on a frame too; how soon is not documented).
- SYSTEM frames: topic "ping" (answered with an ack carrying the same data) and
  "disconnect" (the client closes and reconnects).

The gateway runs its own asyncio event loop in a daemon thread, started on the first
connection-open call, and listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time
from urllib.parse import parse_qs, urlsplit

from flask import Blueprint, current_app, jsonify
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from bots.simulator.common import json_object, sim
from bots.simulator.gateway_loop import GatewayLoop
from bots.simulator.state import SimState

log = logging.getLogger("gendan.simulator.stream")
bp = Blueprint("sim_dingtalk_stream", __name__)
BOT_TOPIC = "/v1.0/im/bot/messages/get"
TICKET_TTL = 90.0
DEFAULT_REDELIVERY = 16.0


class StreamGateway(GatewayLoop):
    """Tickets, live connections per app, and every frame sent with its acknowledgements."""

    thread_name = "sim-stream"
    what = "the stream gateway"

    def __init__(self, state: SimState, redelivery_delay: float = DEFAULT_REDELIVERY):
        self.state = state
        self.redelivery_delay = redelivery_delay
        self.lock = threading.RLock()
        # ticket -> (appkey, expires_at, frame types subscribed at connection-open)
        self.tickets: dict[str, tuple[str, float, frozenset[str]]] = {}
        self.connections: dict[str, list[ServerConnection]] = {}  # appkey -> live sockets
        self.subscribed: dict[ServerConnection, frozenset[str]] = {}
        self.frames: dict[str, dict] = {}  # messageId -> delivery record
        self.connects = 0
        self._init_loop()

    @property
    def endpoint(self) -> str:
        return f"ws://127.0.0.1:{self.port}/connect"

    # --- connection-open ---------------------------------------------------------------------

    def open_ticket(self, appkey: str, types: frozenset[str] = frozenset()) -> str:
        ticket = secrets.token_urlsafe(24)
        with self.lock:
            self.tickets[ticket] = (appkey, time.monotonic() + TICKET_TTL, types)
        return ticket

    def _use_ticket(self, ticket: str) -> tuple[str | None, frozenset[str]]:
        with self.lock:
            appkey, expires_at, types = self.tickets.pop(ticket, (None, 0.0, frozenset()))
        return (appkey, types) if expires_at > time.monotonic() else (None, frozenset())

    async def _serve(self, ws: ServerConnection) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        appkey, types = self._use_ticket((query.get("ticket") or [""])[0])
        if appkey is None:
            await ws.close(4001, "invalid ticket")
            return
        with self.lock:
            self.connections.setdefault(appkey, []).append(ws)
            self.subscribed[ws] = types
            self.connects += 1
        try:
            async for raw in ws:
                self._on_ack(raw)
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                live = self.connections.get(appkey, [])
                if ws in live:
                    live.remove(ws)
                self.subscribed.pop(ws, None)

    def _on_ack(self, raw: str | bytes) -> None:
        try:
            ack = json.loads(raw)
            message_id = ack["headers"]["messageId"]
            code = int(ack.get("code", 0))
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable frame from the client: %r", raw[:200])
            return
        with self.lock:
            record = self.frames.get(message_id)
            if record is None:
                return
            record["acks"].append({"code": code, "at": time.time(), "message": ack.get("message")})
            if code == 200 and record["acked_at"] is None:
                record["acked_at"] = time.time()

    # --- sending -------------------------------------------------------------------------------

    def deliver(self, appkey: str, data: dict, topic: str = BOT_TOPIC) -> str:
        """Queue a CALLBACK frame for the app; sent now if connected, else at redelivery."""
        return self._queue(
            appkey, "CALLBACK", {"topic": topic}, json.dumps(data, ensure_ascii=False)
        )

    def deliver_event(self, appkey: str, event_type: str, data: dict | str) -> tuple[str, str]:
        """Queue an EVENT frame (messageId, eventId); `data` as text goes out verbatim (a bad
        frame). An empty `event_type` leaves the eventType header out."""
        event_id = secrets.token_hex(16)
        now_ms = str(int(time.time() * 1000))
        headers = {
            "topic": event_type or "*",
            "eventId": event_id,
            "eventBornTime": now_ms,
            "eventCorpId": (self.state.find("dingtalk_apps", appkey) or {}).get("corp_id", ""),
            "eventUnifiedAppId": appkey,
        }
        if event_type:
            headers["eventType"] = event_type
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
        return self._queue(appkey, "EVENT", headers, text), event_id

    def _queue(self, appkey: str, kind: str, headers: dict, data: str) -> str:
        self.start()
        message_id = secrets.token_hex(16)
        frame = {
            "specVersion": "1.0",
            "type": kind,
            "headers": {
                "appId": appkey,
                "contentType": "application/json",
                "messageId": message_id,
                "time": str(int(time.time() * 1000)),
                **headers,
            },
            "data": data,
        }
        with self.lock:
            self.frames[message_id] = {
                "appkey": appkey,
                "frame": frame,
                "sent": [],
                "acks": [],
                "acked_at": None,
                "queued_at": time.time(),
            }
        asyncio.run_coroutine_threadsafe(self.send(message_id), self._loop)
        return message_id

    async def send(self, message_id: str) -> bool:
        with self.lock:
            record = self.frames[message_id]
            kind = record["frame"]["type"]
            live = [
                ws
                for ws in self.connections.get(record["appkey"], [])
                if kind != "EVENT" or kind in self.subscribed.get(ws, ())
            ]
        newest_first = list(reversed(live))
        return await self._send_on_first_open(newest_first, record)

    def system(self, appkey: str, topic: str, data: dict | None = None) -> int:
        """Send a SYSTEM frame (ping / disconnect) to the app's live connections."""
        frame = {
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": {
                "contentType": "application/json",
                "messageId": secrets.token_hex(16),
                "time": str(int(time.time() * 1000)),
                "topic": topic,
            },
            "data": json.dumps(data or {}),
        }
        return self.call(self._broadcast(appkey, frame))

    async def _broadcast(self, appkey: str, frame: dict) -> int:
        with self.lock:
            live = list(self.connections.get(appkey, []))
        for ws in live:
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps(frame))
        return len(live)

    def drop(self, appkey: str | None = None) -> int:
        """Cut the app's connections (all apps' when None) without a goodbye, as a network
        failure does."""
        return self.call(self._drop(appkey))

    async def _drop(self, appkey: str | None) -> int:
        with self.lock:
            live = [
                ws
                for key, sockets in self.connections.items()
                if appkey in (None, key)
                for ws in sockets
            ]
        for ws in live:
            ws.transport.abort()
        return len(live)

    def call(self, coroutine):
        if self._loop is None:
            coroutine.close()
            return 0
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # --- inspection --------------------------------------------------------------------------

    def live(self, appkey: str) -> int:
        with self.lock:
            return len(self.connections.get(appkey, []))

    def forget(self, message_id: str) -> bool:
        """Stop delivering a frame (the platform gives up on one after a while)."""
        with self.lock:
            return self.frames.pop(message_id, None) is not None

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [
                {
                    "message_id": message_id,
                    "appkey": record["appkey"],
                    "type": record["frame"]["type"],
                    "eventId": record["frame"]["headers"].get("eventId"),
                    "msgId": _msg_id(record["frame"]["data"]),
                    "deliveries": len(record["sent"]),
                    "sent": list(record["sent"]),
                    "acks": list(record["acks"]),
                    "acked_at": record["acked_at"],
                }
                for message_id, record in self.frames.items()
            ]


def _msg_id(data: str) -> str | None:
    try:
        decoded = json.loads(data)
    except ValueError:
        return None
    return decoded.get("msgId") if isinstance(decoded, dict) else None


def _subscribed_types(subscriptions: object) -> frozenset[str]:
    """The frame types a connection-open body asks for beyond robot callbacks: EVENT when it
    subscribes {"type": "EVENT", "topic": "*"}."""
    if not isinstance(subscriptions, list):
        return frozenset()
    return frozenset(
        item["type"]
        for item in subscriptions
        if isinstance(item, dict) and item.get("type") == "EVENT" and item.get("topic") == "*"
    )


def gateway() -> StreamGateway:
    return current_app.extensions["chat_simulator_stream"]


@bp.post("/v1.0/gateway/connections/open")
def open_connection():
    body = json_object() or {}
    app = sim().find("dingtalk_apps", str(body.get("clientId", "")))
    if app is None or body.get("clientSecret") != app.get("appsecret"):
        # api.dingtalk.com answers a bad credential with 401 and a code/message body.
        return jsonify(
            {"code": "InvalidAuthentication", "message": "不合法的clientId或clientSecret"}
        ), 401
    stream = gateway()
    stream.start()
    ticket = stream.open_ticket(app["appkey"], _subscribed_types(body.get("subscriptions")))
    return jsonify({"endpoint": stream.endpoint, "ticket": ticket})


@bp.get("/admin/stream")
def stream_state():
    stream = gateway()
    return jsonify(
        {
            "connections": {key: len(v) for key, v in stream.connections.items()},
            "connects": stream.connects,
            "frames": stream.snapshot(),
        }
    )


@bp.post("/admin/stream/drop")
def stream_drop():
    """Drop the connection: {"appkey"} for one app, {} for all; {"graceful": true} sends the
    SYSTEM disconnect frame instead, as the platform does before a planned restart."""
    body = json_object() or {}
    appkey = body.get("appkey") if isinstance(body.get("appkey"), str) else None
    stream = gateway()
    if body.get("graceful"):
        keys = [appkey] if appkey else list(stream.connections)
        count = sum(stream.system(key, "disconnect", {"reason": "simulated"}) for key in keys)
    else:
        count = stream.drop(appkey)
    return jsonify({"ok": True, "dropped": count})


@bp.post("/admin/stream/redeliver")
def stream_redeliver():
    """Send a frame again now, acknowledged or not ({"message_id"}): the platform does so when
    an ack was lost on the way."""
    body = json_object() or {}
    stream = gateway()
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or message_id not in stream.frames:
        return jsonify({"ok": False, "error": "unknown message_id"}), 404
    sent = stream.call(stream.send(message_id))
    return jsonify({"ok": sent})


@bp.post("/admin/stream/ping")
def stream_ping():
    body = json_object() or {}
    appkey = body.get("appkey")
    if not isinstance(appkey, str) or not appkey:
        return jsonify({"ok": False, "error": "appkey is required"}), 400
    sent = gateway().system(appkey, "ping", {"opaque": secrets.token_hex(8)})
    return jsonify({"ok": True, "sent": sent})


@bp.post("/admin/stream/event")
def stream_event():
    """Push an event subscription as an EVENT frame: {"event_type", "data": {...}, "appkey"?}.
    "data" as a string is sent verbatim and an empty "event_type" leaves the header out: bad
    frames, to see the client refuse them. Redelivered like any frame until acknowledged."""
    body = json_object() or {}
    event_type, data = body.get("event_type"), body.get("data", {})
    if not isinstance(event_type, str):
        return jsonify({"ok": False, "error": "event_type must be a string"}), 400
    if not isinstance(data, dict | str):
        return jsonify({"ok": False, "error": "data must be an object or a string"}), 400
    appkey = body.get("appkey")
    if appkey is None:
        app = (sim().config.get("dingtalk_apps") or [None])[0]
        appkey = app["appkey"] if app else None
    if not isinstance(appkey, str) or not appkey:
        return jsonify({"ok": False, "error": "no dingtalk app"}), 400
    message_id, event_id = gateway().deliver_event(appkey, event_type, data)
    return jsonify({"ok": True, "message_id": message_id, "event_id": event_id})
