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
from tests.reliability.harness import BIN, Scheduler, wait_until

APPKEY = DEMO_CONFIG["dingtalk_apps"][0]["appkey"]
BURST = 20


class ChatStream(Scheduler):
    """`flask --app wsgi chat-stream`, started and stopped like the scheduler."""

    def argv(self) -> list[str]:
        return [str(BIN / "flask"), "--app", "wsgi", "chat-stream"]


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
        wait_until(lambda: gateway.live(APPKEY) == 1, 90, "the first connection")
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


def test_two_chat_stream_processes_hold_one_connection_and_the_standby_takes_over(
    stream_sim, pg_db, secret, tmp_path
):
    sim = stream_sim
    gateway = sim.app.extensions["chat_simulator_stream"]
    env = {
        **gendan_env(sim.url),
        "CHAT_TRANSPORT_DINGTALK": "stream",
        # Long enough that a leader slowed by a loaded machine still renews in time (with 3 s
        # the standby once took over from a live leader and connected too); a killed leader
        # frees the PostgreSQL lock at once, whatever the lease.
        "SCHEDULER_LEASE_SECONDS": "9",
        "LOG_LEVEL": "INFO",
    }
    connects = gateway.connects
    with (
        ChatStream(pg_db.url, tmp_path / "a", secret=secret, **env) as a,
        ChatStream(pg_db.url, tmp_path / "b", secret=secret, **env) as b,
    ):
        wait_until(lambda: gateway.live(APPKEY) == 1, 90, "one connection")
        time.sleep(3)  # the standby keeps polling the lease and does not connect
        assert gateway.live(APPKEY) == 1 and gateway.connects == connects + 1
        leading = [p for p in (a, b) if "chat-stream leader" in p.log_text()]
        assert len(leading) == 1
        (leader,) = leading
        leader.process.kill()
        leader.process.wait(10)
        wait_until(lambda: gateway.connects == connects + 2, 60, "the standby to connect")
        said = say(sim, DING_GROUP, "wangwu", "帮助")
        wait_until(
            lambda: any(
                f["message_id"] == said["message_id"] and f["acked_at"] for f in _frames(sim)
            ),
            30,
            "the standby to acknowledge",
        )
