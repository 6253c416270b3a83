"""WeCom intelligent robot long connection end to end: the simulator's gateway,
`run_chat_stream` (the chat-stream command's loop) in a thread, and Gendan's inbound path on
both engines. No inbound HTTP to Gendan is involved on the long-connection side."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlmodel import select

from bots.simulator.seed import DEMO_CONFIG
from models.chat import ChatInbound
from tests.bots.live import bind_all, content, pushed, say, wait_pushed
from tests.bots.test_e2e import _order_with_groups
from tests.bots.test_stream_e2e import _StreamProcess, _until
from tests.chat import admin
from tests.factories import count

BOT = DEMO_CONFIG["wecom_bots"][0]
CHAT = "wecom:user:wangwu"
RESPOND = "aibot_respond_msg"


def _gateway(sim):
    return sim.app.extensions["chat_simulator_wecom_ws"]


def _use_long_connection(sim, on: bool = True) -> None:
    robot = {**BOT, "transport": "long_connection" if on else "webhook"}
    admin(sim, "POST", "config/wecom_bots", json=robot)


@pytest.fixture
def connected(long_connection_app, sim, db):
    """chat-stream holding the connection; wangwu bound. (Its own session: the test's
    `session` is torn down first, so an open SQLite transaction in it cannot block the
    process's last write, the lease release.)"""
    with db.session() as session:
        tracker, _order = _order_with_groups(session)
        bind_all(session, tracker, "wangwu")
        session.commit()
    _use_long_connection(sim)
    with _StreamProcess(long_connection_app, settings={}) as process:
        _until(lambda: _gateway(sim).live(BOT["bot_id"]) == 1, "the long connection")
        yield process


def _frame(sim, req_id: str) -> dict:
    frames = admin(sim, "GET", "wecom-ws")["frames"]
    return next(f for f in frames if f["req_id"] == req_id)


def _acked(sim, req_id: str):
    return _frame(sim, req_id)["acked_at"]


def test_the_same_command_answers_the_same_over_webhook_and_long_connection(sim, gendan, session):
    tracker, _order = _order_with_groups(session)
    bind_all(session, tracker, "wangwu")
    session.commit()
    over_webhook = say(sim, CHAT, "wangwu", "进度 GD-E2E-01")
    assert over_webhook["ok"] and "transport" not in over_webhook
    (webhook_reply,) = pushed(sim, CHAT, api="passive_reply")

    gateway = _gateway(sim)
    _use_long_connection(sim)
    settings = {"CHAT_TRANSPORT_WECOM": "long_connection", "WECOM_WS_URL": gateway.url}
    try:
        with _StreamProcess(gendan, settings):
            _until(lambda: gateway.live(BOT["bot_id"]) == 1, "the long connection")
            said = say(sim, CHAT, "wangwu", "进度 GD-E2E-01")
            assert said["transport"] == "long_connection"
            (stream_reply,) = wait_pushed(sim, CHAT, 1, api=RESPOND)
            assert _acked(sim, said["req_id"])
    finally:
        gateway.disconnect()
    assert content(stream_reply) == content(webhook_reply)
    assert "GD-E2E-01" in content(stream_reply)
    assert count(session, ChatInbound) == 2


def test_a_message_delivered_again_counts_once_and_gets_the_stored_reply(sim, connected, session):
    said = say(sim, CHAT, "wangwu", "帮助")
    _until(lambda: _acked(sim, said["req_id"]), "the reply")
    assert admin(sim, "POST", "wecom-ws/redeliver", json={"req_id": said["req_id"]})["ok"]
    _until(lambda: _frame(sim, said["req_id"])["replies"] == 2, "the second reply")
    assert count(session, ChatInbound) == 1
    first, second = pushed(sim, CHAT, api=RESPOND)
    assert content(first) == content(second) and "进度" in content(first)


@contextmanager
def _inbound_writes_held(db):
    """A transaction of the test's own that keeps the message's chat_inbound insert waiting
    until it ends: on PostgreSQL a lock on the table against writes, on SQLite the write lock
    that every write transaction takes at BEGIN (app/db.py)."""
    with db.engine.begin() as conn:
        if not db.is_sqlite:
            conn.execute(text("LOCK TABLE chat_inbound IN EXCLUSIVE MODE"))
        yield


def _skipped(caplog, req_id: str) -> bool:
    return any(
        "again while it is being answered" in r.getMessage() and req_id in r.getMessage()
        for r in caplog.records
    )


def test_a_callback_delivered_again_while_it_is_being_answered_is_answered_once(
    sim, connected, db, caplog
):
    """The platform sends a callback again when its reply is slow (a loaded machine): the copy
    that arrives while the first is still being answered on the connection gets no reply of
    its own, so the user sees one answer."""
    caplog.set_level(logging.INFO, logger="gendan.bots")
    with _inbound_writes_held(db):
        said = say(sim, CHAT, "wangwu", "帮助")
        rid = said["req_id"]
        _until(lambda: _frame(sim, rid)["deliveries"] == 1, "the callback")
        assert admin(sim, "POST", "wecom-ws/redeliver", json={"req_id": rid})["ok"]
        _until(lambda: _skipped(caplog, rid), "the copy to be skipped")
        assert _frame(sim, rid)["replies"] == 0  # still held: nothing answered yet
    _until(lambda: _acked(sim, rid), "the reply")
    frame = _frame(sim, rid)
    assert frame["deliveries"] == 2 and frame["replies"] == 1
    (reply,) = pushed(sim, CHAT, api=RESPOND)
    assert "进度" in content(reply)
    with db.session() as session:
        assert count(session, ChatInbound) == 1


def test_a_callback_is_answered_only_after_its_message_is_stored(sim, connected, db):
    """Each reply frame (the acknowledgement) arrives after the chat_inbound row for its
    msgid committed: the gateway checks the database, on a separate connection, at reply time."""
    seen_at_reply: dict[str, bool] = {}
    gateway = _gateway(sim)
    original = gateway._reply

    def checking_reply(req_id, body):
        record = gateway.frames.get(req_id)
        if record is not None:
            msgid = record["frame"]["body"]["msgid"]
            with db.engine.connect() as conn:  # a separate connection: committed rows only
                found = conn.execute(
                    select(ChatInbound.id).where(ChatInbound.message_id == msgid)
                ).first()
            seen_at_reply[msgid] = found is not None
        return original(req_id, body)

    gateway._reply = checking_reply
    try:
        ids = [say(sim, CHAT, "wangwu", f"帮助 {n}")["req_id"] for n in range(3)]
        for req_id in ids:
            _until(lambda r=req_id: _acked(sim, r), "the reply")
    finally:
        gateway._reply = original
    assert len(seen_at_reply) == 3 and all(seen_at_reply.values())


def test_a_dropped_connection_mid_burst_loses_nothing(sim, connected, session):
    gateway = _gateway(sim)
    connects = gateway.connects
    ids = []
    for n in range(20):
        ids.append(say(sim, CHAT, "wangwu", f"帮助 {n}")["req_id"])
        if n == 7:
            admin(sim, "POST", "wecom-ws/drop", json={})
    _until(lambda: all(_acked(sim, r) for r in ids), "every callback answered", timeout=60)
    assert gateway.connects > connects  # it reconnected
    session.rollback()
    rows = session.exec(select(ChatInbound)).all()
    assert len(rows) == 20
    assert len({r.message_id for r in rows}) == 20


def test_a_graceful_disconnect_is_followed_by_a_new_connection(sim, connected):
    gateway = _gateway(sim)
    connects = gateway.connects
    admin(sim, "POST", "wecom-ws/drop", json={"graceful": True})
    _until(lambda: gateway.connects > connects, "the new connection")
    said = say(sim, CHAT, "wangwu", "帮助")
    _until(lambda: _acked(sim, said["req_id"]), "the reply on the new connection")


def test_a_refused_subscription_is_retried_with_back_off(sim, long_connection_app):
    """A wrong secret never connects; the loop keeps trying (with back-off) until stopped."""
    gateway = _gateway(sim)
    refused = gateway.refused
    long_connection_app.config["WECOM_BOT_SECRET"] = "wrong"
    stop = threading.Event()
    try:
        with _StreamProcess(long_connection_app, settings={}) as process:
            _until(lambda: gateway.refused >= refused + 2, "two refused attempts")
            assert gateway.live(BOT["bot_id"]) == 0
            stop = process.stop
    finally:
        long_connection_app.config["WECOM_BOT_SECRET"] = BOT["secret"]
    assert stop.is_set()


def test_one_chat_stream_process_holds_the_dingtalk_and_the_wecom_connections(
    sim, long_connection_app
):
    """Both transports on: one leader holds both connections, and each delivers."""
    gateway, dingtalk = _gateway(sim), sim.app.extensions["chat_simulator_stream"]
    appkey = DEMO_CONFIG["dingtalk_apps"][0]["appkey"]
    admin(
        sim,
        "POST",
        "config/dingtalk_apps",
        json={**DEMO_CONFIG["dingtalk_apps"][0], "transport": "stream"},
    )
    _use_long_connection(sim)
    try:
        with _StreamProcess(long_connection_app, {"CHAT_TRANSPORT_DINGTALK": "stream"}):
            _until(lambda: gateway.live(BOT["bot_id"]) == 1, "the wecom connection")
            _until(lambda: dingtalk.live(appkey) == 1, "the dingtalk connection")
            said = say(sim, CHAT, "wangwu", "帮助")
            _until(lambda: _acked(sim, said["req_id"]), "the wecom reply")
            over_stream = say(sim, "dingtalk:cid-project-a001", "wangwu", "帮助")
            assert over_stream["transport"] == "stream"
            wait_pushed(sim, "dingtalk:cid-project-a001", 1, api="sessionWebhook")
    finally:
        dingtalk.drop()
