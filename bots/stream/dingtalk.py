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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from urllib.parse import quote_plus

import dingtalk_stream
import requests
import websockets
from dingtalk_stream import AckMessage, CallbackHandler, ChatbotMessage, Credential

from app.security import chat_throttle
from bots.errors import Refused
from bots.inbound import handle_message
from bots.platforms import dingtalk

log = logging.getLogger("gendan.bots.stream")
OPEN_PATH = "/v1.0/gateway/connections/open"
BACKOFF_START, BACKOFF_MAX = 1.0, 30.0


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
            "subscriptions": [
                {"type": "CALLBACK", "topic": topic} for topic in self.callback_handler_map
            ],
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
        self.still_leading = still_leading
        self.check_every = check_every
        self.connects = 0
        self.stop = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()

    async def run(self) -> None:
        self.client.pre_start()
        delay = BACKOFF_START
        while not self.stop.is_set() and self.still_leading():
            connected = await self._connect_once()
            if self.stop.is_set():
                return
            delay = BACKOFF_START if connected else min(delay * 2, BACKOFF_MAX)
            log.info("stream connection ended; reconnecting in %.1f s", delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay)

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
                        task = asyncio.create_task(self.client.background_task(json.loads(raw)))
                        self._tasks.add(task)  # a reference, so it is not collected mid-run
                        task.add_done_callback(self._tasks.discard)
                finally:
                    watcher.cancel()
        except (OSError, websockets.exceptions.WebSocketException, ValueError) as exc:
            log.warning("stream connection lost: %s", exc)
        return connected

    async def _watch(self, ws) -> None:
        """Close the connection when told to stop or when another process took the lead."""
        while True:
            try:
                await asyncio.wait_for(self.stop.wait(), self.check_every)
            except TimeoutError:
                if await asyncio.to_thread(self.still_leading):
                    continue
                log.warning("no longer the chat-stream leader; closing the connection")
            await ws.close()
            return
