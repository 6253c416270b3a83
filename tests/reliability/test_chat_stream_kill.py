"""Kill `flask --app wsgi chat-stream` (SIGKILL) in the middle of a burst of DingTalk Stream
messages and start it again: every message is stored once, none lost, none doubled.

Frames the killed process had not acknowledged are delivered again by the simulator's gateway
(as DingTalk does after 16-60 s; here after one second) to the new process, whose dedupe by
msgId drops the ones the killed process had already stored."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from bots.simulator.seed import DEMO_CONFIG, gendan_env
from models.chat import ChatInbound
from tests.bots.live import DING_GROUP, pushed, say
from tests.chat import admin
from tests.reliability.harness import Scheduler, wait_until

APPKEY = DEMO_CONFIG["dingtalk_apps"][0]["appkey"]
BURST = 20


class ChatStream(Scheduler):
    def argv(self) -> list[str]:
        return [*super().argv()[:-1], "chat-stream"]


@pytest.fixture
def stream_sim(sim):
    gateway = sim.app.extensions["chat_simulator_stream"]
    saved = gateway.redelivery_delay
    gateway.redelivery_delay = 1.0
    admin(
        sim,
        "POST",
        "config/dingtalk_apps",
        json={**DEMO_CONFIG["dingtalk_apps"][0], "transport": "stream"},
    )
    yield sim
    gateway.redelivery_delay = saved
    gateway.drop()


def _frames(sim) -> list[dict]:
    return admin(sim, "GET", "stream")["frames"]


def test_killing_chat_stream_mid_burst_loses_and_doubles_nothing(
    stream_sim, pg_db, secret, tmp_path
):
    sim = stream_sim
    gateway = sim.app.extensions["chat_simulator_stream"]
    env = {
        **gendan_env(sim.url),
        "CHAT_TRANSPORT_DINGTALK": "stream",
        "SCHEDULER_LEASE_SECONDS": "3",
        "LOG_LEVEL": "INFO",
    }
    first = ChatStream(pg_db.url, tmp_path / "first", secret=secret, **env)
    ids: list[str] = []
    with first:
        wait_until(lambda: gateway.live(APPKEY) == 1, 30, "the first connection")
        for n in range(BURST):
            ids.append(say(sim, DING_GROUP, "wangwu", f"帮助 {n}")["message_id"])
            if n == 7:
                first.process.kill()
                first.process.wait(10)
    second = ChatStream(pg_db.url, tmp_path / "second", secret=secret, **env)
    with second:

        def all_acked() -> bool:
            acked = {f["message_id"] for f in _frames(sim) if f["acked_at"]}
            return set(ids) <= acked

        wait_until(all_acked, 90, "every frame acknowledged after the restart")
        second.process.terminate()
        second.process.wait(20)
    with pg_db.session() as session:
        rows = session.exec(select(ChatInbound)).all()
    texts = sorted(r.text for r in rows)
    assert len(rows) == BURST, texts
    assert len({r.message_id for r in rows}) == BURST
    time.sleep(0.5)
    replies = pushed(sim, DING_GROUP, api="sessionWebhook")
    assert len(replies) <= BURST  # none answered twice
