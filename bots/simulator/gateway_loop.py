"""The running part the simulator's WebSocket gateways share: a server on 127.0.0.1 in its
own asyncio event loop, in a daemon thread started on first use, with a redelivery task."""

from __future__ import annotations

import asyncio
import threading

from websockets.asyncio.server import ServerConnection, serve


class GatewayLoop:
    """Subclasses give `_serve(ws)` (one connection) and `_redeliver_loop()`, and call
    `_init_loop` from their __init__ (after setting `self.lock`)."""

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

    async def _redeliver_loop(self) -> None:
        raise NotImplementedError

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
