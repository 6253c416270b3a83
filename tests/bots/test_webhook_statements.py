"""The SQL each chat webhook runs, pinned (issue 18: webhooks that only acknowledge).

Counted with a SQLAlchemy `before_cursor_execute` listener on the app's engine, in the request's
own thread (the worker's background sender runs the DingTalk reply's delivery after the
response, on another thread). SQLite's BEGIN statements are counted apart (PostgreSQL's
driver begins implicitly), so the same numbers hold on both engines. Counts are deterministic;
times are left to bench/bench_http.py --webhooks.

What a webhook may do: one read transaction (the dedupe lookup and the reads of a read-only
command's answer) and one write transaction holding the inserts alone.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import event

from models.chat import ChatInbound
from models.enums import Role
from models.outbox import Outbox
from tests.bots.live import bind_all
from tests.bots.test_webhooks import (
    dingtalk_payload,
    post_dingtalk,
    post_wechat,
    reply_of,
    wechat_fields,
)
from tests.factories import count, make_order, make_user


@dataclass
class Statements:
    begins: list[str] = field(default_factory=list)  # SQLite's BEGIN DEFERRED / IMMEDIATE
    sql: list[str] = field(default_factory=list)  # everything else, first word upper-cased

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for statement in self.sql:
            word = statement.split(None, 1)[0].upper()
            out[word] = out.get(word, 0) + 1
        return out

    def tables_written(self) -> list[str]:
        return [s.split()[2] for s in self.sql if s.upper().startswith("INSERT INTO")]


@contextmanager
def counted(engine):
    seen, me = Statements(), threading.get_ident()

    def listener(conn, cursor, statement, params, context, executemany):
        if threading.get_ident() != me:
            return
        (seen.begins if statement.startswith("BEGIN") else seen.sql).append(statement.strip())

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def web(chat_app):
    return chat_app.test_client()


@pytest.fixture
def engine(chat_app):
    return chat_app.extensions["gendan.db"].engine


@pytest.fixture
def order(session):
    """An order tracked by another user than the sender (the liaison is read by key)."""
    tracker, sender = make_user(session), make_user(session, Role.admin)
    order = make_order(session, tracker, code="GD-SQL-1")
    bind_all(session, sender, "lisi")
    bind_all(session, sender, "wangwu")
    session.commit()
    return order


def test_wechat_progress_is_eight_reads_and_one_insert(web, engine, session, db, order):
    fields = wechat_fields(f"进度 {order.code}")
    with counted(engine) as seen:
        response = post_wechat(web, fields)
    assert "GD-SQL-1" in reply_of(response)
    # dedupe, identity, user, roles, order id by code, order, stages, liaison; the row
    assert seen.kinds() == {"SELECT": 8, "INSERT": 1}
    assert seen.tables_written() == ["chat_inbound"]
    if db.is_sqlite:  # a read transaction, then a write transaction for the insert alone
        assert seen.begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]


def test_a_retried_wechat_message_is_one_read(web, engine, session, db, order):
    fields = wechat_fields(f"进度 {order.code}", msg_id=31337)
    first = post_wechat(web, fields)
    with counted(engine) as seen:
        again = post_wechat(web, fields)
    assert reply_of(again) == reply_of(first)
    assert seen.kinds() == {"SELECT": 1} and count(session, ChatInbound) == 1
    if db.is_sqlite:
        assert seen.begins == ["BEGIN DEFERRED"]


def test_dingtalk_progress_stores_the_message_and_its_reply_in_one_write(
    web, engine, session, db, order
):
    payload = dingtalk_payload(f"进度 {order.code}", sender="wangwu")
    with counted(engine) as seen:
        assert post_dingtalk(web, payload).status_code == 200
    # The sign-replay key: one transaction (its own expired row, then the insert); the
    # message: dedupe, identity, user, roles, group, order id, order, stages, liaison; then
    # the inbound row and the reply's outbox row together. The delivery runs after.
    assert seen.kinds() == {"DELETE": 1, "INSERT": 3, "SELECT": 9}
    assert seen.tables_written() == ["key_value", "chat_inbound", "outbox"]
    if db.is_sqlite:
        assert seen.begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN IMMEDIATE"]
    assert count(session, ChatInbound) == 1 and count(session, Outbox) == 1


def test_a_command_that_writes_runs_in_one_write_transaction(web, engine, session, db, order):
    """A standup request queues a task: dedupe read, then the command and its row together."""
    with counted(engine) as seen:
        response = post_wechat(web, wechat_fields(f"站会 {order.code}"))
    assert "站会摘要" in reply_of(response)
    assert seen.tables_written() == ["bot_task", "chat_inbound"]
    if db.is_sqlite:
        assert seen.begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
