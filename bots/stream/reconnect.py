"""Keeping one outward connection up: reconnect until told to stop or no longer leading."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("gendan.bots.stream")
BACKOFF_START, BACKOFF_MAX = 1.0, 30.0


async def keep_connected(
    connect_once: Callable[[], Awaitable[bool]],
    stop: asyncio.Event,
    still_leading: Callable[[], bool],
    what: str,
) -> None:
    """Run `connect_once` (True when a connection was established) again and again; the wait
    doubles from 1 s to 30 s after failed attempts and starts over after a connection."""
    delay = BACKOFF_START
    while not stop.is_set() and still_leading():
        connected = await connect_once()
        if stop.is_set():
            return
        delay = BACKOFF_START if connected else min(delay * 2, BACKOFF_MAX)
        log.info("%s ended; reconnecting in %.1f s", what, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


async def close_when_not_leading(
    ws, stop: asyncio.Event, still_leading: Callable[[], bool], check_every: float, what: str
) -> None:
    """Close `ws` when told to stop or when another process took the lead."""
    while True:
        try:
            await asyncio.wait_for(stop.wait(), check_every)
        except TimeoutError:
            if await asyncio.to_thread(still_leading):
                continue
            log.warning("no longer the chat-stream leader; closing the %s", what)
        await ws.close()
        return
