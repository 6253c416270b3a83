"""`flask --app wsgi chat-stream`: hold the outbound chat connections (one leader): DingTalk
Stream mode and the WeCom intelligent robot's long connection, whichever are configured."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading

import click
from flask import current_app

log = logging.getLogger("gendan.bots.stream")
LEASE_NAME = "chat-stream"
# What each outbound connection is opened with.
CREDENTIALS = {
    "dingtalk": ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET"),
    "wecom": ("WECOM_BOT_ID", "WECOM_BOT_SECRET"),
}


def enabled(config) -> list[str]:
    """The transports this deployment receives over an outbound connection (`config`: the
    app's config or the environment)."""
    wanted = []
    if config.get("CHAT_TRANSPORT_DINGTALK") == "stream":
        wanted.append("dingtalk")
    if config.get("CHAT_TRANSPORT_WECOM") == "long_connection":
        wanted.append("wecom")
    return wanted


def missing_credentials(config) -> list[str]:
    """The settings an enabled outbound connection needs and `config` lacks."""
    return [name for key in enabled(config) for name in CREDENTIALS[key] if not config.get(name)]


def run_chat_stream(app, stop: threading.Event, *, poll: float | None = None) -> None:
    """Stand by until this process leads `chat-stream`, then hold the connections; renew the
    lease while connected; give the connections up when the lease is lost or on `stop`."""
    from reminders.leader import make_lock
    from reminders.process import holder_id

    if not enabled(app.config):
        raise ValueError("no chat transport needs chat-stream (see CHAT_TRANSPORT_*)")
    lease = app.config["SCHEDULER_LEASE_SECONDS"]
    poll = poll if poll is not None else max(0.2, lease / 3)
    lock = make_lock(app.extensions["gendan.db"], holder_id(), lease, name=LEASE_NAME)
    try:
        while not stop.is_set():
            if not lock.acquire():
                stop.wait(poll)
                continue
            log.info("chat-stream leader %s", lock.holder)
            streams = _streams(app, _Leading(lock.renew), poll)
            asyncio.run(_run_until(streams, stop))
            # The lead was lost (or stop was set): stand by a poll before trying again, so a
            # standby that took over is not raced for the lock it has just been given.
            stop.wait(poll)
    finally:
        lock.release()


class _Leading:
    """`still_leading` shared by the connections: one renewal at a time, and once the lease
    is lost every connection sees it."""

    def __init__(self, renew):
        self.renew, self.lost = renew, False
        self._lock = threading.Lock()

    def __call__(self) -> bool:
        with self._lock:
            if not self.lost and not self.renew():
                self.lost = True
            return not self.lost


def _streams(app, still_leading, poll: float) -> list:
    from bots.stream import DingTalkStream, WeComLongConnection

    config, streams = app.config, []
    wanted = enabled(config)
    if "dingtalk" in wanted:
        streams.append(
            DingTalkStream(
                app,
                client_id=config["DINGTALK_APP_KEY"],
                client_secret=config["DINGTALK_APP_SECRET"],
                openapi_base=config.get("DINGTALK_OPENAPI_BASE") or "https://api.dingtalk.com",
                still_leading=still_leading,
                check_every=poll,
            )
        )
    if "wecom" in wanted:
        streams.append(
            WeComLongConnection(
                app,
                bot_id=config["WECOM_BOT_ID"],
                secret=config["WECOM_BOT_SECRET"],
                url=config["WECOM_WS_URL"],
                still_leading=still_leading,
                check_every=poll,
            )
        )
    return streams


async def _run_until(streams: list, stop: threading.Event) -> None:
    """Run the connections until they end by themselves or `stop` (set from a signal
    handler) is set."""

    async def watch_stop() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for stream in streams:
            stream.stop.set()

    watcher = asyncio.create_task(watch_stop())
    try:
        await asyncio.gather(*(stream.run() for stream in streams))
    finally:
        watcher.cancel()


def register_stream_cli(app) -> None:
    @app.cli.command("chat-stream")
    def chat_stream_cmd():
        """Hold the outbound chat connections (CHAT_TRANSPORT_DINGTALK=stream,
        CHAT_TRANSPORT_WECOM=long_connection); one leader."""
        config = current_app.config
        wanted = enabled(config)
        if not wanted:
            raise click.ClickException(
                "CHAT_TRANSPORT_DINGTALK 不是 stream，CHAT_TRANSPORT_WECOM 也不是 "
                "long_connection，无需运行 chat-stream"
            )
        missing = missing_credentials(config)
        if missing:
            raise click.ClickException(f"请先设置 {' 和 '.join(missing)}")
        stop = threading.Event()

        def _stop(_signum, _frame):
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        run_chat_stream(current_app._get_current_object(), stop)
