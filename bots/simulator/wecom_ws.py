"""Simulated WeCom intelligent robot (智能机器人) long connection: the WebSocket gateway.

The protocol (as the official `wecom-aibot-python-sdk` speaks it; see bots/stream/wecom.py):
- The client connects to the gateway's address (wss://openws.work.weixin.qq.com for real)
  and sends {"cmd": "aibot_subscribe", "headers": {"req_id"}, "body": {"bot_id", "secret"}}
  first; the answer is {"headers": {"req_id"}, "errcode": 0, "errmsg": "ok"}, or an error
  code after which the gateway closes the connection. A new subscription for the same robot
  replaces the older connection, which gets a `disconnected_event` and is closed.
- {"cmd": "ping", "headers": {"req_id"}} is answered like the subscription.
- Messages go out as {"cmd": "aibot_msg_callback", "headers": {"req_id"}, "body": {...}}.
- The client answers one with {"cmd": "aibot_respond_msg", "headers": {"req_id": the
  callback's}, "body": {"msgtype": "stream", ...}}; the gateway shows it in the chat and
  answers {"headers": {"req_id"}, "errcode": 0}. That reply is the only frame tied to a
  callback, so it is what acknowledges it: a callback with no reply after
  `redelivery_delay` seconds is sent again (same req_id and msgid), at most MAX_DELIVERIES
  times. (WeCom does not document a redelivery; the simulator assumes the worst case, so
  Gendan must store before it answers and count a repeated msgid once.)
- `aibot_send_msg` {"chatid", "msgtype": "markdown", ...} pushes into a chat unprompted.

The gateway runs its own asyncio event loop in a daemon thread, started on first use, and
listens on 127.0.0.1 only (`port` 0: a free port).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time

from flask import Blueprint, current_app, jsonify
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from bots.simulator.common import json_object
from bots.simulator.gateway_loop import GatewayLoop
from bots.simulator.state import SimState

log = logging.getLogger("gendan.simulator.wecom_ws")
bp = Blueprint("sim_wecom_ws", __name__)
DEFAULT_REDELIVERY = 10.0
SUBSCRIBE_TIMEOUT = 10.0
ERR_SECRET = 40058  # "invalid bot_id or secret"; the real code differs per case


class WeComGateway(GatewayLoop):
    """Live connections per robot and every callback sent with its replies."""

    thread_name = "sim-wecom-ws"
    what = "the WeCom long-connection gateway"

    def __init__(self, state: SimState, redelivery_delay: float = DEFAULT_REDELIVERY, port=0):
        self.state = state
        self.redelivery_delay = redelivery_delay
        self.lock = threading.RLock()
        self.connections: dict[str, list[ServerConnection]] = {}  # bot_id -> live sockets
        self.frames: dict[str, dict] = {}  # req_id -> delivery record
        self.connects = 0
        self.refused = 0
        self.pings = 0
        self._init_loop(port)

    @property
    def url(self) -> str:
        """The address to give Gendan as WECOM_WS_URL (starts the gateway)."""
        self.start()
        return f"ws://127.0.0.1:{self.port}"

    # --- connections ---------------------------------------------------------------------------

    async def _serve(self, ws: ServerConnection) -> None:
        bot_id = await self._subscribe(ws)
        if bot_id is None:
            return
        with self.lock:
            older = self.connections.get(bot_id, [])
            self.connections[bot_id] = [ws]
            self.connects += 1
        for old in older:  # one connection per robot: the newer one wins
            with contextlib.suppress(ConnectionClosed):
                await old.send(json.dumps(_event("disconnected_event")))
                await old.close()
        try:
            async for raw in ws:
                await self._on_frame(ws, bot_id, raw)
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                live = self.connections.get(bot_id, [])
                if ws in live:
                    live.remove(ws)

    async def _subscribe(self, ws: ServerConnection) -> str | None:
        """The first frame must subscribe with a configured robot's id and secret."""
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), SUBSCRIBE_TIMEOUT))
            rid = frame["headers"]["req_id"]
            body = frame.get("body") or {}
            ok = frame.get("cmd") == "aibot_subscribe"
        except (TimeoutError, ConnectionClosed, ValueError, KeyError, TypeError):
            with contextlib.suppress(ConnectionClosed):
                await ws.close(1008, "subscribe first")
            return None
        bot = self.state.find("wecom_bots", str(body.get("bot_id", ""))) if ok else None
        if bot is None or body.get("secret") != bot.get("secret"):
            with self.lock:
                self.refused += 1
            with contextlib.suppress(ConnectionClosed):
                await ws.send(json.dumps(_answer(rid, ERR_SECRET, "invalid bot_id or secret")))
                await ws.close(1008, "invalid credential")
            return None
        await ws.send(json.dumps(_answer(rid)))
        return bot["bot_id"]

    async def _on_frame(self, ws: ServerConnection, bot_id: str, raw) -> None:
        try:
            frame = json.loads(raw)
            cmd, rid = frame.get("cmd"), frame["headers"]["req_id"]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("unreadable frame from the client: %r", raw[:200])
            return
        if cmd == "ping":
            with self.lock:
                self.pings += 1
            await ws.send(json.dumps(_answer(rid)))
        elif cmd == "aibot_respond_msg":
            await ws.send(json.dumps(self._reply(rid, frame.get("body"))))
        elif cmd == "aibot_send_msg":
            await ws.send(json.dumps(self._push(rid, frame.get("body"))))
        else:
            await ws.send(json.dumps(_answer(rid, 40008, f"unknown cmd {cmd!r}")))

    def _reply(self, rid: str, body) -> dict:
        with self.lock:
            record = self.frames.get(rid)
            if record is None:
                return _answer(rid, 40008, "unknown req_id")
            record["replies"].append(time.time())
            if record["acked_at"] is None:
                record["acked_at"] = time.time()
        if not isinstance(body, dict) or not body.get("msgtype"):
            return _answer(rid, 40008, "body needs a msgtype")
        self.state.pushed("wecom", record["conversation"], "aibot_respond_msg", body)
        return _answer(rid)

    def _push(self, rid: str, body) -> dict:
        if not isinstance(body, dict) or not body.get("chatid") or not body.get("msgtype"):
            return _answer(rid, 40008, "body needs chatid and msgtype")
        conversation = f"wecom:user:{body['chatid']}"
        payload = {k: v for k, v in body.items() if k != "chatid"}
        self.state.pushed("wecom", conversation, "aibot_send_msg", payload)
        return _answer(rid)

    # --- sending -------------------------------------------------------------------------------

    def deliver(self, bot_id: str, conversation: str, body: dict) -> str:
        """Queue a callback for the robot; sent now if connected, else by the redelivery loop."""
        self.start()
        rid = secrets.token_hex(16)
        frame = {"cmd": "aibot_msg_callback", "headers": {"req_id": rid}, "body": body}
        with self.lock:
            self.frames[rid] = {
                "bot_id": bot_id,
                "conversation": conversation,
                "frame": frame,
                "sent": [],
                "replies": [],
                "acked_at": None,
                "queued_at": time.time(),
            }
        asyncio.run_coroutine_threadsafe(self.send(rid), self._loop)
        return rid

    async def send(self, rid: str) -> bool:
        with self.lock:
            record = self.frames[rid]
            live = list(self.connections.get(record["bot_id"], []))
        return await self._send_on_first_open(live, record)

    def disconnect(self, bot_id: str | None = None, *, graceful: bool = False) -> int:
        """Cut the robot's connections (all robots' when None): without a goodbye, as a
        network failure does, or (graceful) with the disconnected_event first."""
        return self.call(self._disconnect(bot_id, graceful))

    async def _disconnect(self, bot_id: str | None, graceful: bool) -> int:
        with self.lock:
            live = [
                ws
                for key, sockets in self.connections.items()
                if bot_id in (None, key)
                for ws in sockets
            ]
        for ws in live:
            if graceful:
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(json.dumps(_event("disconnected_event")))
            else:
                ws.transport.abort()
        return len(live)

    def call(self, coroutine):
        if self._loop is None:
            coroutine.close()
            return 0
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    # --- inspection --------------------------------------------------------------------------

    def live(self, bot_id: str) -> int:
        with self.lock:
            return len(self.connections.get(bot_id, []))

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [
                {
                    "req_id": rid,
                    "bot_id": record["bot_id"],
                    "msgid": record["frame"]["body"].get("msgid"),
                    "deliveries": len(record["sent"]),
                    "replies": len(record["replies"]),
                    "acked_at": record["acked_at"],
                }
                for rid, record in self.frames.items()
            ]


def _answer(rid: str, errcode: int = 0, errmsg: str = "ok") -> dict:
    return {"headers": {"req_id": rid}, "errcode": errcode, "errmsg": errmsg}


def _event(eventtype: str) -> dict:
    return {
        "cmd": "aibot_event_callback",
        "headers": {"req_id": secrets.token_hex(16)},
        "body": {
            "msgid": secrets.token_hex(16),
            "create_time": int(time.time()),
            "msgtype": "event",
            "event": {"eventtype": eventtype},
        },
    }


def gateway() -> WeComGateway:
    return current_app.extensions["chat_simulator_wecom_ws"]


@bp.get("/admin/wecom-ws")
def wecom_ws_state():
    ws = gateway()
    with ws.lock:
        connections = {key: len(v) for key, v in ws.connections.items()}
    return jsonify(
        {
            "url": ws.url,
            "connections": connections,
            "connects": ws.connects,
            "refused": ws.refused,
            "pings": ws.pings,
            "frames": ws.snapshot(),
        }
    )


@bp.post("/admin/wecom-ws/drop")
def wecom_ws_drop():
    """Drop the connection: {"bot_id"} for one robot, {} for all; {"graceful": true} sends the
    disconnected_event instead (as WeCom does when a newer connection takes over)."""
    body = json_object()
    if body is None:
        return jsonify({"ok": False, "error": "body must be a JSON object"}), 400
    bot_id = body.get("bot_id")
    if bot_id is not None and not isinstance(bot_id, str):
        return jsonify({"ok": False, "error": "bot_id must be text"}), 400
    count = gateway().disconnect(bot_id, graceful=bool(body.get("graceful")))
    return jsonify({"ok": True, "dropped": count})


@bp.post("/admin/wecom-ws/redeliver")
def wecom_ws_redeliver():
    """Send a callback again now, answered or not ({"req_id"})."""
    body = json_object() or {}
    ws = gateway()
    rid = body.get("req_id")
    if not isinstance(rid, str) or rid not in ws.frames:
        return jsonify({"ok": False, "error": "unknown req_id"}), 404
    return jsonify({"ok": ws.call(ws.send(rid))})
