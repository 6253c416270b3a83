"""Kill `flask --app wsgi chat-stream` (SIGKILL) in the middle of a burst of WeCom intelligent
robot messages over its long connection and start it again: every message is stored once and
answered once, none lost.

Callbacks the killed process had not answered (the reply frame is WeCom's only
acknowledgement) are delivered again by the simulator's gateway (here after one second) to the
new process; the ones the killed process had already stored find their chat_inbound row and get
the stored reply, so nothing runs twice."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from bots.simulator.seed import DEMO_CONFIG, gendan_env
from models.chat import ChatInbound
from tests.bots.live import pushed, say
from tests.chat import admin
from tests.reliability.harness import wait_until
from tests.reliability.test_chat_stream_kill import ChatStream

BOT = DEMO_CONFIG["wecom_bots"][0]
CHAT = "wecom:user:wangwu"
BURST = 20


@pytest.fixture
def ws_sim(sim):
    gateway = sim.app.extensions["chat_simulator_wecom_ws"]
    saved = gateway.redelivery_delay
    gateway.redelivery_delay = 1.0
    admin(sim, "POST", "config/wecom_bots", json={**BOT, "transport": "long_connection"})
    yield sim
    gateway.redelivery_delay = saved
    gateway.disconnect()


def _answered(sim) -> set[str]:
    frames = admin(sim, "GET", "wecom-ws")["frames"]
    return {f["req_id"] for f in frames if f["acked_at"]}


def test_killing_chat_stream_mid_burst_loses_and_doubles_nothing(ws_sim, pg_db, secret, tmp_path):
    sim = ws_sim
    gateway = sim.app.extensions["chat_simulator_wecom_ws"]
    env = {
        **gendan_env(sim.url, wecom_ws_url=gateway.url),
        "CHAT_TRANSPORT_WECOM": "long_connection",
        "SCHEDULER_LEASE_SECONDS": "3",
        "LOG_LEVEL": "INFO",
    }
    first = ChatStream(pg_db.url, tmp_path / "first", secret=secret, **env)
    ids: list[str] = []
    with first:
        wait_until(lambda: gateway.live(BOT["bot_id"]) == 1, 90, "the first connection")
        for n in range(BURST):
            ids.append(say(sim, CHAT, "wangwu", f"帮助 {n}")["req_id"])
            if n == 7:
                first.process.kill()
                first.process.wait(10)
    second = ChatStream(pg_db.url, tmp_path / "second", secret=secret, **env)
    with second:
        wait_until(
            lambda: set(ids) <= _answered(sim), 90, "every callback answered after the restart"
        )
        second.process.terminate()
        second.process.wait(20)
    with pg_db.session() as session:
        rows = session.exec(select(ChatInbound)).all()
    assert len(rows) == BURST, sorted(r.text for r in rows)
    assert len({r.message_id for r in rows}) == BURST
    assert len(pushed(sim, CHAT, api="aibot_respond_msg")) == BURST  # each answered once
    assert "wecom long connection subscribed" in second.log_text()


def test_two_chat_stream_processes_hold_one_connection_and_the_standby_takes_over(
    ws_sim, pg_db, secret, tmp_path
):
    """WeCom keeps one connection per robot (a newer one replaces the older), so a standby
    that connected too would knock the leader off: it must wait for the lease."""
    sim = ws_sim
    gateway = sim.app.extensions["chat_simulator_wecom_ws"]
    env = {
        **gendan_env(sim.url, wecom_ws_url=gateway.url),
        "CHAT_TRANSPORT_WECOM": "long_connection",
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
        wait_until(lambda: gateway.live(BOT["bot_id"]) == 1, 90, "one connection")
        time.sleep(3)  # the standby keeps polling the lease and does not connect
        assert gateway.live(BOT["bot_id"]) == 1 and gateway.connects == connects + 1
        leading = [p for p in (a, b) if "chat-stream leader" in p.log_text()]
        assert len(leading) == 1
        (leader,) = leading
        leader.process.kill()
        leader.process.wait(10)
        wait_until(lambda: gateway.connects == connects + 2, 60, "the standby to connect")
        said = say(sim, CHAT, "wangwu", "帮助")
        wait_until(lambda: said["req_id"] in _answered(sim), 30, "the standby to answer")
