"""DingTalk Stream mode with the official `dingtalk-stream` SDK.

The SDK's frame routing, handlers and acks are used as they are; two parts are replaced:
- the connection-open call, so its address comes from DINGTALK_OPENAPI_BASE (the SDK reads a
  module constant) and it never probes a public address for the local IP;
- the run loop, so a dropped connection is retried with an exponential back-off, and the loop
  ends when the process is told to stop or loses its leadership.

A robot message is acknowledged (code 200) only after handle_message returned, that is after
its chat_inbound row committed. On an error the ack carries a failure code, which the platform
treats as no ack and delivers the frame again later; handle_message's chat_inbound dedupe by
msgId makes that redelivery (and any other) count once.

Event subscriptions come as EVENT frames (subscribed with topic "*", as the SDK's
EventHandler does) and go to bots.events.handle_event, the webhook's path; it dedupes by the
frame's eventId (else messageId). A frame the SDK cannot read (not JSON, headers or data of
the wrong shape) is acknowledged with the SDK's 400 and logged; the connection goes on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from urllib.parse import quote_plus

import dingtalk_stream
import requests
import websockets
from dingtalk_stream import (
    AckMessage,
    CallbackHandler,
    ChatbotMessage,
    Credential,
    EventHandler,
    EventMessage,
)
from dingtalk_stream.frames import Headers

from app.security import chat_throttle
from bots.errors import Refused
from bots.events import InFlight, handle_event
from bots.inbound import handle_message
from bots.platforms import dingtalk
from bots.stream.reconnect import close_when_not_leading, keep_connected

log = logging.getLogger("gendan.bots.stream")
OPEN_PATH = "/v1.0/gateway/connections/open"


class StreamHandler(CallbackHandler):
    """Robot messages (topic /v1.0/im/bot/messages/get) into the webhook's inbound path."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    async def process(self, callback):
        try:
            await asyncio.to_thread(self.handle, callback.data)
        except Exception:
            log.exception("stream message not stored; the platform will deliver it again")
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "error"
        return AckMessage.STATUS_OK, "OK"

    def handle(self, data: dict) -> None:
        """Store and answer one robot message, as the webhook does. Returns after commit."""
        try:
            message = dingtalk.parse_robot_message(data)
        except Refused as exc:  # will never parse: acknowledged so it is not sent again
            log.warning("refused stream message: %s %s", exc.reason, exc.detail)
            return
        with self.app.app_context():
            db = self.app.extensions["gendan.db"]
            handled = handle_message(
                db, message, throttle=lambda m: chat_throttle(m.platform, m.sender_id)
            )
            if handled.outbox_ids:  # the reply goes out through the outbox, as for webhooks
                self.app.extensions["gendan.soon"].submit(handled.outbox_ids)


class StreamEventHandler(EventHandler):
    """Event subscriptions (EVENT frames, topic "*") into the webhook's event path."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    async def process(self, event: EventMessage):
        try:
            await asyncio.to_thread(self.handle, event)
        except Refused as exc:  # will never parse: the SDK's status for a bad request
            log.warning("refused stream event: %s %s", exc.reason, exc.detail)
            return AckMessage.STATUS_BAD_REQUEST, exc.detail
        except InFlight:  # a redelivery while the first delivery is still being handled
            log.info("stream event %s in hand elsewhere; not acknowledged", event.headers.event_id)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "in flight"
        except Exception:
            log.exception("stream event not handled; the platform will deliver it again")
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "error"
        return AckMessage.STATUS_OK, "OK"

    def handle(self, event: EventMessage) -> None:
        parsed = dingtalk.parse_stream_event(event.headers.event_type, event.data)
        delivery_id = event.headers.event_id or event.headers.message_id or ""
        with self.app.app_context():
            handle_event(self.app.extensions["gendan.chat"].store, parsed, delivery_id=delivery_id)


def frame_problem(frame: object) -> str | None:
    """Why the SDK could not route this decoded frame, or None when it can."""
    if not isinstance(frame, dict):
        return "frame is not a JSON object"
    if not isinstance(frame.get("headers"), dict):
        return "frame headers are not an object"
    try:
        Headers.from_dict(frame["headers"])  # as the SDK reads them: times must be integers
    except (ValueError, TypeError):
        return "frame headers cannot be read"
    data = frame.get("data")
    if data is None or data == "":
        return None
    if not isinstance(data, str):
        return "frame data is not a JSON string"
    try:
        json.loads(data)
    except ValueError:
        return "frame data is not JSON"
    return None


def decode_frame(raw: str | bytes) -> object:
    """The frame as JSON, or the raw text when it is none (refused by `route_message`)."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


class _Client(dingtalk_stream.DingTalkStreamClient):
    def __init__(self, credential: Credential, open_url: str):
        super().__init__(credential, logger=logging.getLogger("gendan.bots.stream.sdk"))
        self.open_url = open_url

    def get_host_ip(self) -> str:  # the SDK would probe a public address for it
        return ""

    def open_connection(self) -> dict | None:
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": ([{"type": "EVENT", "topic": "*"}] if self._is_event_required else [])
            + [{"type": "CALLBACK", "topic": topic} for topic in self.callback_handler_map],
            "ua": "gendan/dingtalk-stream",
            "localIp": "",
        }
        try:
            response = requests.post(self.open_url, json=body, timeout=10)
            response.raise_for_status()
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("stream connection-open failed: %s", exc)
            return None
        if not isinstance(answer, dict) or not answer.get("endpoint") or not answer.get("ticket"):
            log.warning("stream connection-open answered without endpoint or ticket")
            return None
        return answer

    async def route_message(self, json_message):
        """The SDK's routing, after refusing a frame it would fail on (with no ack, so the
        platform would send it again and again)."""
        problem = frame_problem(json_message)
        if problem is None:
            return await super().route_message(json_message)
        headers = json_message.get("headers") if isinstance(json_message, dict) else None
        message_id = headers.get("messageId") if isinstance(headers, dict) else None
        log.warning("unreadable stream frame %s: %s", message_id, problem)
        if isinstance(message_id, str) and message_id:
            ack = AckMessage()
            ack.code = AckMessage.STATUS_BAD_REQUEST
            ack.headers.message_id = message_id
            ack.headers.content_type = Headers.CONTENT_TYPE_APPLICATION_JSON
            ack.message = problem
            await self.websocket.send(json.dumps(ack.to_dict()))
        return ""


class DingTalkStream:
    """Hold one stream connection until `stop` is set or `still_leading()` turns False."""

    def __init__(
        self,
        app,
        *,
        client_id: str,
        client_secret: str,
        openapi_base: str,
        still_leading: Callable[[], bool] = lambda: True,
        check_every: float = 5.0,
    ):
        self.client = _Client(
            Credential(client_id, client_secret), openapi_base.rstrip("/") + OPEN_PATH
        )
        self.client.register_callback_handler(ChatbotMessage.TOPIC, StreamHandler(app))
        self.client.register_all_event_handler(StreamEventHandler(app))
        self.still_leading = still_leading
        self.check_every = check_every
        self.connects = 0
        self.stop = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> None:
        self.client.pre_start()
        await keep_connected(self._connect_once, self.stop, self.still_leading, "stream connection")

    async def _connect_once(self) -> bool:
        """One connection, until it drops; True if it was established."""
        connection = await asyncio.to_thread(self.client.open_connection)
        if not connection:
            return False
        uri = f"{connection['endpoint']}?ticket={quote_plus(connection['ticket'])}"
        connected = False
        try:
            async with websockets.connect(uri) as ws:
                self.client.websocket = ws
                self.connects += 1
                connected = True
                log.info("stream connected (%d)", self.connects)
                watcher = asyncio.create_task(self._watch(ws))
                try:
                    async for raw in ws:
                        task = asyncio.create_task(self.client.background_task(decode_frame(raw)))
                        self._tasks.add(task)  # a reference, so it is not collected mid-run
                        task.add_done_callback(self._tasks.discard)
                finally:
                    watcher.cancel()
        except (OSError, websockets.exceptions.WebSocketException, ValueError) as exc:
            log.warning("stream connection lost: %s", exc)
        return connected

    async def _watch(self, ws) -> None:
        await close_when_not_leading(
            ws, self.stop, self.still_leading, self.check_every, "connection"
        )
