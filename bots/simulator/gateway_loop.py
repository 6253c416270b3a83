"""The running part the simulator's WebSocket gateways share: a server on 127.0.0.1 in its
own asyncio event loop, in a daemon thread started on first use, with a redelivery task."""

from __future__ import annotations

import asyncio
import json
import threading
import time

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

MAX_DELIVERIES = 10  # the platforms give up on a frame too; how soon is not documented


class GatewayLoop:
    """Subclasses give `_serve(ws)` (one connection) and `send(key)` (one frame of
    `self.frames`: a record with "frame", "sent", "queued_at", "acked_at"), set `self.lock`,
    `self.frames` and `self.redelivery_delay`, and call `_init_loop` from their __init__."""

    thread_name = "sim-gateway"
    what = "the gateway"

    def _init_loop(self, port: int = 0) -> None:
        self.port = port  # 0: a free port, known once started
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    async def _serve(self, ws: ServerConnection) -> None:
        raise NotImplementedError

    async def send(self, key: str) -> bool:
        raise NotImplementedError

    async def _send_on_first_open(self, live: list[ServerConnection], record: dict) -> bool:
        """Send the record's frame on the first of `live` still open; False when none is."""
        for ws in live:
            try:
                await ws.send(json.dumps(record["frame"], ensure_ascii=False))
            except ConnectionClosed:
                continue
            with self.lock:
                record["sent"].append(time.time())
            return True
        return False

    async def _redeliver_loop(self) -> None:
        """Send queued frames, and again those not acknowledged within `redelivery_delay`
        (at most MAX_DELIVERIES times in all)."""
        tick = max(min(self.redelivery_delay / 4, 1.0), 0.05)
        while True:
            await asyncio.sleep(tick)
            now = time.time()
            with self.lock:
                due = [
                    key
                    for key, record in self.frames.items()
                    if record["acked_at"] is None
                    and len(record["sent"]) < MAX_DELIVERIES
                    and now - (record["sent"][-1] if record["sent"] else record["queued_at"])
                    >= (self.redelivery_delay if record["sent"] else tick)
                ]
            for key in due:
                await self.send(key)

    def start(self) -> None:
        with self.lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError(f"{self.what} did not start")

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._stop.set)
        thread.join(10)

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with serve(self._serve, "127.0.0.1", self.port, ping_interval=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            redeliver = asyncio.create_task(self._redeliver_loop())
            await self._stop.wait()
            redeliver.cancel()
