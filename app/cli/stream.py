"""`flask --app wsgi chat-stream`: hold the DingTalk Stream connection (one leader)."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

import click
from flask import current_app

log = logging.getLogger("gendan.bots.stream")
LEASE_NAME = "chat-stream"


def run_chat_stream(app, stop: threading.Event, *, poll: float | None = None) -> None:
    """Stand by until this process leads `chat-stream`, then hold the connection; renew the
    lease while connected; give the connection up when the lease is lost or on `stop`."""
    from bots.stream import DingTalkStream
    from reminders.leader import make_lock
    from reminders.process import holder_id

    config = app.config
    lease = config["SCHEDULER_LEASE_SECONDS"]
    poll = poll if poll is not None else max(0.2, lease / 3)
    lock = make_lock(app.extensions["gendan.db"], holder_id(), lease, name=LEASE_NAME)
    try:
        while not stop.is_set():
            if not lock.acquire():
                stop.wait(poll)
                continue
            log.info("chat-stream leader %s", lock.holder)
            stream = DingTalkStream(
                app,
                client_id=config["DINGTALK_APP_KEY"],
                client_secret=config["DINGTALK_APP_SECRET"],
                openapi_base=config.get("DINGTALK_OPENAPI_BASE") or "https://api.dingtalk.com",
                still_leading=lock.renew,
                check_every=poll,
            )
            asyncio.run(_run_until(stream, stop))
    finally:
        lock.release()


async def _run_until(stream, stop: threading.Event) -> None:
    """Run the stream until it ends by itself or `stop` (set from a signal handler) is set."""

    async def watch_stop() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.2)
        stream.stop.set()

    watcher = asyncio.create_task(watch_stop())
    try:
        await stream.run()
    finally:
        watcher.cancel()


def register_stream_cli(app) -> None:
    @app.cli.command("chat-stream")
    def chat_stream_cmd():
        """Hold the DingTalk Stream connection (CHAT_TRANSPORT_DINGTALK=stream); one leader."""
        config = current_app.config
        if config["CHAT_TRANSPORT_DINGTALK"] != "stream":
            raise click.ClickException("CHAT_TRANSPORT_DINGTALK 不是 stream，无需运行 chat-stream")
        if not (config.get("DINGTALK_APP_KEY") and config.get("DINGTALK_APP_SECRET")):
            raise click.ClickException("请先设置 DINGTALK_APP_KEY 和 DINGTALK_APP_SECRET")
        stop = threading.Event()

        def _stop(_signum, _frame):
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        run_chat_stream(current_app._get_current_object(), stop)
