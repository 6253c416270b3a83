"""WeCom intelligent robot (智能机器人) long connection.

The protocol is the one the official `wecom-aibot-python-sdk` (1.0.2) speaks, implemented here
with `websockets` because that SDK cannot be pointed at a local endpoint: it always passes its
own TLS context to `websockets.connect`, which refuses a ws:// address, so neither the
simulator nor a test could stand in for WeCom. The frames (all JSON text):

- client -> WeCom, first: {"cmd": "aibot_subscribe", "headers": {"req_id"},
  "body": {"bot_id", "secret"}}; answered {"headers": {"req_id"}, "errcode": 0, "errmsg"}.
- client -> WeCom, every 30 s: {"cmd": "ping", "headers": {"req_id"}}; answered the same way.
- WeCom -> client: {"cmd": "aibot_msg_callback", "headers": {"req_id"}, "body": {message}}
  and {"cmd": "aibot_event_callback", ...} (enter_chat, disconnected_event, ...).
- client -> WeCom, the reply: {"cmd": "aibot_respond_msg", "headers": {"req_id": the
  callback's}, "body": {"msgtype": "stream", "stream": {"id", "finish": true, "content"}}};
  answered {"headers": {"req_id"}, "errcode": 0}.

The protocol has no acknowledgement frame apart from that reply, so the reply is the
acknowledgement: it is sent only after handle_message returned, that is after the message's
chat_inbound row committed. A message that failed to store gets no reply (and a redelivery,
when the platform sends one, is handled again); a redelivered message that was stored finds its
chat_inbound row and the stored reply is sent again (dedupe by msgid, one rule path with the
webhook). A callback delivered again on the same connection while it is still being answered
there (the platform's redelivery outran a slow answer) is skipped: the reply on its way
answers both, and answering the copy too would show the user the reply twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable

import websockets

from app.security import chat_throttle
from bots.errors import Refused
from bots.inbound import handle_message
from bots.platforms import wecom_aibot
from bots.senders.base import truncate_utf8
from bots.stream.reconnect import close_when_not_leading, keep_connected

log = logging.getLogger("gendan.bots.stream.wecom")
SUBSCRIBE, PING, RESPOND = "aibot_subscribe", "ping", "aibot_respond_msg"
CALLBACK, EVENT = "aibot_msg_callback", "aibot_event_callback"
MISSED_PONGS = 2  # unanswered heartbeats after which the connection counts as dead
HEARTBEAT = 30.0
REPLY_LIMIT = 20480  # bytes of a stream reply's content
CUT_NOTE = "\n…（内容过长，已截断）"


def req_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _frame_req_id(value: object) -> str:
    """A frame's req_id as text; "" when it is missing or not text (null, a list, a number):
    the reply must echo it exactly, so a callback without one cannot be answered."""
    return value if isinstance(value, str) else ""


def reply_body(text: str) -> dict:
    """A finished stream message: the reply form every intelligent robot chat shows."""
    return {
        "msgtype": "stream",
        "stream": {
            "id": req_id("stream"),
            "finish": True,
            "content": truncate_utf8(text, REPLY_LIMIT, CUT_NOTE),
        },
    }


class WeComLongConnection:
    """Hold the robot's connection until `stop` is set or `still_leading()` turns False."""

    def __init__(
        self,
        app,
        *,
        bot_id: str,
        secret: str,
        url: str,
        still_leading: Callable[[], bool] = lambda: True,
        check_every: float = 5.0,
        heartbeat: float = HEARTBEAT,
    ):
        self.app, self.bot_id, self.secret, self.url = app, bot_id, secret, url
        self.still_leading = still_leading
        self.check_every = check_every
        self.heartbeat = heartbeat
        self.connects = 0
        self._missed = 0
        self.stop = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> None:
        await keep_connected(
            self._connect_once, self.stop, self.still_leading, "wecom long connection"
        )

    async def _connect_once(self) -> bool:
        """One connection, until it drops; True if it was established and subscribed."""
        subscribed = False
        try:
            async with websockets.connect(self.url, ping_interval=None, close_timeout=5) as ws:
                if not await self._subscribe(ws):
                    return False
                subscribed = True
                self.connects += 1
                log.info("wecom long connection subscribed (%d)", self.connects)
                helpers = [
                    asyncio.create_task(self._watch(ws)),
                    asyncio.create_task(self._heartbeat(ws)),
                ]
                in_hand: set[str] = set()  # callbacks being answered on this connection
                try:
                    async for raw in ws:
                        self._on_frame(ws, raw, in_hand)
                finally:
                    for task in helpers:
                        task.cancel()
        except (OSError, websockets.exceptions.WebSocketException, ValueError) as exc:
            log.warning("wecom long connection lost: %s", exc)
        return subscribed

    async def _subscribe(self, ws) -> bool:
        rid = req_id(SUBSCRIBE)
        body = {"bot_id": self.bot_id, "secret": self.secret}
        await ws.send(json.dumps({"cmd": SUBSCRIBE, "headers": {"req_id": rid}, "body": body}))
        answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if not isinstance(answer, dict) or not isinstance(answer.get("headers"), dict):
            log.warning("wecom answered the subscription with %r", str(answer)[:200])
            return False
        if answer["headers"].get("req_id") != rid or answer.get("errcode") != 0:
            log.warning(
                "wecom subscribe refused: %s %s", answer.get("errcode"), answer.get("errmsg")
            )
            return False
        return True

    def _on_frame(self, ws, raw, in_hand: set[str]) -> None:
        try:
            frame = json.loads(raw)
            cmd, rid = frame.get("cmd"), _frame_req_id(frame.get("headers", {}).get("req_id"))
        except (ValueError, AttributeError):
            log.warning("unreadable wecom frame: %r", raw[:200])
            return
        if cmd == CALLBACK:
            if not rid:  # no reply could name it: never stored, never answered
                log.warning("wecom callback without a req_id; dropped: %r", raw[:200])
                return
            if rid in in_hand:
                log.info("wecom delivered %s again while it is being answered; skipped", rid)
                return
            in_hand.add(rid)
            task = asyncio.create_task(self._answer(ws, rid, frame.get("body")))
            self._tasks.add(task)  # a reference, so it is not collected mid-run
            task.add_done_callback(self._tasks.discard)
            # Answered (or failed, so that a later delivery is handled again): no longer in hand.
            task.add_done_callback(lambda _task: in_hand.discard(rid))
        elif cmd == EVENT:
            event = (frame.get("body") or {}).get("event") or {}
            if isinstance(event, dict) and event.get("eventtype") == "disconnected_event":
                log.warning("wecom closed this connection for a newer one")
                task = asyncio.create_task(ws.close())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        elif rid.startswith(PING):
            self._missed = 0
        elif frame.get("errcode") not in (0, None):
            log.warning("wecom answered %s: %s %s", rid, frame.get("errcode"), frame.get("errmsg"))

    async def _answer(self, ws, rid: str, body) -> None:
        """Store and answer one message; the reply frame (the acknowledgement) only after
        the commit."""
        try:
            text = await asyncio.to_thread(self.handle, rid, body)
        except Exception:
            log.exception("wecom message not stored; no reply, so it can be delivered again")
            return
        if text is None:
            return
        frame = {"cmd": RESPOND, "headers": {"req_id": rid}, "body": reply_body(text)}
        try:
            await ws.send(json.dumps(frame, ensure_ascii=False))
        except websockets.exceptions.ConnectionClosed:
            log.warning(
                "wecom reply %s not sent: the connection closed (stored; a redelivery "
                "gets the stored reply)",
                rid,
            )

    def handle(self, rid: str, body) -> str | None:
        """Store and run one message as the webhook does; returns the reply text, after commit."""
        try:
            message = wecom_aibot.parse_callback(rid, body)
        except Refused as exc:  # will never parse: dropped, with a trace in the log
            log.warning("refused wecom message: %s %s", exc.reason, exc.detail)
            return None
        with self.app.app_context():
            db = self.app.extensions["gendan.db"]
            handled = handle_message(
                db, message, throttle=lambda m: chat_throttle(m.platform, m.sender_id)
            )
        reply = handled.reply
        if reply is None or not (reply.text or reply.title):
            return None
        return f"{reply.title}\n{reply.text}" if reply.title else reply.text

    async def _heartbeat(self, ws) -> None:
        """A ping every `heartbeat` seconds; unanswered twice, the connection is closed (a
        half-open TCP connection would otherwise look alive until the OS gives up)."""
        self._missed = 0
        while True:
            await asyncio.sleep(self.heartbeat)
            if self._missed >= MISSED_PONGS:
                log.warning("wecom heartbeat unanswered %d times; reconnecting", self._missed)
                ws.transport.abort()
                return
            self._missed += 1
            await ws.send(json.dumps({"cmd": PING, "headers": {"req_id": req_id(PING)}}))

    async def _watch(self, ws) -> None:
        await close_when_not_leading(
            ws, self.stop, self.still_leading, self.check_every, "wecom connection"
        )
