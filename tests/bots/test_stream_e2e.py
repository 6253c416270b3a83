"""DingTalk Stream mode end to end: the simulator's gateway, `run_chat_stream` (the
chat-stream command's loop, with the official SDK) in a thread, and Gendan's inbound path on
both engines. No inbound HTTP to Gendan is involved on the stream side."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.cli.stream import run_chat_stream
from bots.simulator.seed import DEMO_CONFIG
from models.chat import ChatInbound
from reminders.leader import session_name
from tests.bots.live import DING_GROUP, bind_all, content, pushed, say, wait_pushed
from tests.bots.test_e2e import _order_with_groups
from tests.chat import admin
from tests.factories import count

REDELIVERY = 1.0
APPKEY = DEMO_CONFIG["dingtalk_apps"][0]["appkey"]


def _gateway(sim):
    return sim.app.extensions["chat_simulator_stream"]


def _use_stream(sim, on: bool = True) -> None:
    app = {**DEMO_CONFIG["dingtalk_apps"][0], "transport": "stream" if on else "webhook"}
    admin(sim, "POST", "config/dingtalk_apps", json=app)


def _until(check, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


class _StreamProcess:
    """run_chat_stream in a thread, as `flask --app wsgi chat-stream` runs it, with these
    `settings` (DingTalk Stream mode unless told otherwise) while it runs."""

    def __init__(self, app, settings: dict | None = None, poll: float = 0.2):
        self.app = app
        self.settings = {"CHAT_TRANSPORT_DINGTALK": "stream"} if settings is None else settings
        self.saved = {key: app.config.get(key) for key in self.settings}
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=run_chat_stream, args=(app, self.stop), kwargs={"poll": poll}, daemon=True
        )

    def __enter__(self):
        self.app.config.update(self.settings)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(20)
        self.app.config.update(self.saved)
        assert not self.thread.is_alive()


@pytest.fixture
def streaming(sim, chat_app):
    gateway = _gateway(sim)
    saved = gateway.redelivery_delay
    gateway.redelivery_delay = REDELIVERY
    _use_stream(sim)
    try:
        with _StreamProcess(chat_app) as process:
            _until(lambda: gateway.live(APPKEY) == 1, "the stream connection")
            yield process
    finally:
        gateway.redelivery_delay = saved
        gateway.drop()
        _until(lambda: gateway.live(APPKEY) == 0, "the connection to close")


def _inbound(session) -> list[ChatInbound]:
    session.rollback()
    return list(session.exec(select(ChatInbound)).all())


def _acked(sim, message_id: str) -> dict:
    frames = admin(sim, "GET", "stream")["frames"]
    return next(f for f in frames if f["message_id"] == message_id)


def test_the_same_command_answers_the_same_over_webhook_and_stream(sim, gendan, session):
    tracker, _order = _order_with_groups(session)
    bind_all(session, tracker, "wangwu")
    session.commit()
    assert say(sim, DING_GROUP, "wangwu", "进度 GD-E2E-01")["ok"]
    (over_webhook,) = wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")

    gateway = _gateway(sim)
    _use_stream(sim)
    with _StreamProcess(gendan):
        _until(lambda: gateway.live(APPKEY) == 1, "the stream connection")
        said = say(sim, DING_GROUP, "wangwu", "进度 GD-E2E-01")
        assert said["transport"] == "stream"
        over_stream = wait_pushed(sim, DING_GROUP, 2, api="sessionWebhook")[1]
        _until(lambda: _acked(sim, said["message_id"])["acked_at"], "the ack")
    gateway.drop()
    assert content(over_stream) == content(over_webhook)
    assert "GD-E2E-01" in content(over_stream)


def test_a_message_delivered_again_over_the_stream_counts_once(sim, streaming, session):
    said = say(sim, DING_GROUP, "wangwu", "帮助")
    _until(lambda: _acked(sim, said["message_id"])["acked_at"], "the ack")
    wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")
    assert admin(sim, "POST", "stream/redeliver", json={"message_id": said["message_id"]})["ok"]
    _until(lambda: len(_acked(sim, said["message_id"])["acks"]) == 2, "the second ack")
    assert count(session, ChatInbound) == 1
    time.sleep(0.5)
    assert len(pushed(sim, DING_GROUP, api="sessionWebhook")) == 1


def test_a_frame_is_acknowledged_only_after_its_message_is_stored(sim, streaming, db):
    """Each ack arrives after the chat_inbound row for its msgId exists: the ack frame is
    sent when handle_message returned, and the simulator checks the database at ack time."""
    seen_at_ack: dict[str, bool] = {}
    gateway = _gateway(sim)
    original = gateway._on_ack

    def checking_ack(raw):
        ack = json.loads(raw)
        record = gateway.frames.get(ack["headers"]["messageId"])
        if record is not None:
            msg_id = json.loads(record["frame"]["data"])["msgId"]
            with db.engine.connect() as conn:  # a separate connection: committed rows only
                found = conn.execute(
                    select(ChatInbound.id).where(ChatInbound.message_id == msg_id)
                ).first()
            seen_at_ack[msg_id] = found is not None
        original(raw)

    gateway._on_ack = checking_ack
    try:
        ids = [say(sim, DING_GROUP, "wangwu", f"帮助 {n}")["message_id"] for n in range(3)]
        for message_id in ids:
            _until(lambda m=message_id: _acked(sim, m)["acked_at"], "the ack")
    finally:
        gateway._on_ack = original
    assert len(seen_at_ack) == 3 and all(seen_at_ack.values())


def test_a_dropped_connection_mid_burst_loses_nothing(sim, streaming, session):
    gateway = _gateway(sim)
    ids = []
    for n in range(20):
        ids.append(say(sim, DING_GROUP, "wangwu", f"帮助 {n}")["message_id"])
        if n == 7:
            admin(sim, "POST", "stream/drop", json={})
    _until(lambda: all(_acked(sim, m)["acked_at"] for m in ids), "every frame acked", timeout=60)
    assert gateway.connects >= 2  # it reconnected
    rows = _inbound(session)
    assert len(rows) == 20
    assert len({r.message_id for r in rows}) == 20


def _event(sim, event_type: str, data) -> dict:
    sent = admin(sim, "POST", "stream/event", json={"event_type": event_type, "data": data})
    assert sent["ok"], sent
    return sent


def _handled(caplog, event_type: str) -> int:
    return sum(r.getMessage() == f"dingtalk event {event_type}" for r in caplog.records)


def test_an_event_frame_delivered_twice_is_acked_and_handled_once(sim, streaming, caplog):
    caplog.set_level(logging.INFO, logger="gendan.bots")
    sent = _event(sim, "user_add_org", {"userId": ["u1"], "timeStamp": 1})
    _until(lambda: _acked(sim, sent["message_id"])["acked_at"], "the ack")
    assert admin(sim, "POST", "stream/redeliver", json={"message_id": sent["message_id"]})["ok"]
    _until(lambda: len(_acked(sim, sent["message_id"])["acks"]) == 2, "the second ack")
    assert [a["code"] for a in _acked(sim, sent["message_id"])["acks"]] == [200, 200]
    assert _handled(caplog, "user_add_org") == 1


def test_a_bad_event_frame_is_refused_with_400_and_the_stream_goes_on(sim, streaming, caplog):
    caplog.set_level(logging.INFO, logger="gendan.bots")
    gateway = _gateway(sim)
    connects = gateway.connects
    bad = [
        _event(sim, "user_add_org", "{not json"),  # data is not JSON
        _event(sim, "user_add_org", "[1, 2]"),  # data is not an object
        _event(sim, "", {"userId": ["u1"]}),  # no eventType header
    ]
    try:
        for sent in bad:
            _until(lambda s=sent: _acked(sim, s["message_id"])["acks"], "the refusal")
            assert _acked(sim, sent["message_id"])["acks"][0]["code"] == 400
        good = _event(sim, "user_leave_org", {"userId": ["u1"]})
        _until(lambda: _acked(sim, good["message_id"])["acked_at"], "the ack")
    finally:
        for sent in bad:  # refused frames are delivered again until the platform gives up
            gateway.forget(sent["message_id"])
    assert gateway.connects == connects  # the same connection all along
    assert _handled(caplog, "user_add_org") == 0
    assert _handled(caplog, "user_leave_org") == 1


def test_a_stream_leader_that_lost_its_lock_stands_by_a_poll_before_leading_again(
    sim, chat_app, pg_only, caplog
):
    """Back at once, it raced the standby that took over for the lock just freed, and could win
    it back (two chat-stream processes then both led, one after the other)."""
    caplog.set_level(logging.INFO, logger="gendan")
    gateway, poll = _gateway(sim), 1.5
    _use_stream(sim)
    try:
        with _StreamProcess(chat_app, poll=poll):
            _until(lambda: gateway.live(APPKEY) == 1, "the stream connection")
            (lead,) = _records(caplog, "chat-stream leader")
            holder = lead.getMessage().removeprefix("chat-stream leader ")
            with pg_only.engine.connect() as conn:
                pid = conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE application_name = :name"),
                    {"name": session_name(holder)},
                ).scalar_one()
                assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            _until(lambda: len(_records(caplog, "chat-stream leader")) == 2, "the lead again")
            _until(lambda: gateway.live(APPKEY) == 1, "the stream connection again")
    finally:
        gateway.drop()
        _until(lambda: gateway.live(APPKEY) == 0, "the connection to close")
    (lost,) = _records(caplog, "no longer the chat-stream leader")
    again = _records(caplog, "chat-stream leader")[1]
    assert again.created - lost.created >= poll - 0.1  # the poll, not at once


def _records(caplog, message: str) -> list:
    return [r for r in caplog.records if r.getMessage().startswith(message)]
