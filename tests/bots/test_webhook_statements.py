"""The SQL each chat webhook runs, pinned (issue 18: webhooks that only acknowledge).

Counted with a SQLAlchemy `before_cursor_execute` listener on the app's engine, in the request's
own thread (the worker's background sender runs the DingTalk reply's delivery after the
response, on another thread). SQLite's BEGIN statements are counted apart (PostgreSQL's
driver begins implicitly), so the same numbers hold on both engines. Counts are deterministic;
times are left to bench/bench_http.py --webhooks.

What a webhook may do: one read transaction (the dedupe lookup and the reads of a read-only
command's answer) and one write transaction holding the inserts alone. A DingTalk message
costs two writes in all: the request's transaction, which claims the timestamp/sign pair and
stores the message with its reply's outbox row (inserted leased to the worker's deliverer),
and the background sender's UPDATE, which records the reply sent (a transaction of its own on
SQLite, autocommit on PostgreSQL).
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.services.chat import create_group
from app.services.core import Actor
from bots.simulator import wire
from models import clock
from models.base import utcnow
from models.chat import ChatGroupCreate, ChatInbound
from models.enums import Channel, ChatPlatform, OutboxStatus, Role
from models.outbox import KeyValue, Outbox
from tests.bots.live import DING_GROUP, bind_all, content, wait_pushed
from tests.bots.test_webhooks import (
    DT,
    dingtalk_payload,
    post_dingtalk,
    post_wechat,
    reply_of,
    wechat_fields,
)
from tests.factories import count, make_order, make_user
from tests.plans import plans_of


@dataclass
class Statements:
    begins: list[str] = field(default_factory=list)  # SQLite's BEGIN DEFERRED / IMMEDIATE
    sql: list[str] = field(default_factory=list)  # everything else, first word upper-cased
    threads: list[str] = field(default_factory=list)  # the thread of each of `sql`

    def on(self, thread: str) -> Statements:
        """The statements one thread ran."""
        mine = [s for s, t in zip(self.sql, self.threads, strict=True) if t == thread]
        return Statements(sql=mine, threads=[thread] * len(mine))

    def kinds(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for statement in self.sql:
            word = statement.split(None, 1)[0].upper()
            out[word] = out.get(word, 0) + 1
        return out

    def tables_written(self) -> list[str]:
        return [s.split()[2] for s in self.sql if s.upper().startswith("INSERT INTO")]


@contextmanager
def counted(engine, *, everywhere: bool = False):
    """The statements run on the engine by this thread (by every thread when `everywhere`)."""
    seen, me = Statements(), threading.get_ident()

    def listener(conn, cursor, statement, params, context, executemany):
        if not everywhere and threading.get_ident() != me:
            return
        if statement.startswith("BEGIN"):
            seen.begins.append(statement)
        else:
            seen.sql.append(statement.strip())
            seen.threads.append(threading.current_thread().name)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


@contextmanager
def commits(engine):
    """The threads' names of every COMMIT on the engine (a write transaction), any thread."""
    seen: list[str] = []

    def listener(conn):
        seen.append(threading.current_thread().name)

    event.listen(engine, "commit", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", listener)


def reply(session, kind: str | None = None) -> Outbox:
    """The DingTalk reply's outbox row (the only row, or the only one of `kind`) as it is now,
    read in a transaction of its own (no SQLite write lock stays held to starve the background
    thread's record of the send)."""
    session.commit()
    query = select(Outbox).execution_options(populate_existing=True)
    (row,) = session.exec(query if kind is None else query.where(Outbox.kind == kind)).all()
    session.commit()  # no expiry on commit: the row stays readable
    return row


def wait_sent(session, kind: str | None = None) -> None:
    """Until the background thread recorded the reply sent (it may still be busy with an
    earlier test's slow sends)."""
    deadline = time.monotonic() + 30
    while (row := reply(session, kind)).status != OutboxStatus.sent:
        assert time.monotonic() < deadline, f"the reply was not recorded sent: {row}"
        time.sleep(0.02)


def session_payload(sim, text: str, **kwargs) -> dict:
    """A DingTalk message whose sessionWebhook is the simulator's (so the reply goes out)."""
    sim.state.sessions["sql"] = (DING_GROUP, sim.state.clock.now() + 3600)
    payload = dingtalk_payload(text, **kwargs)
    payload["sessionWebhook"] = f"{sim.url}/robot/sendBySession?session=sql"
    return payload


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


def test_wechat_progress_is_five_reads_and_one_insert(web, engine, session, db, order):
    fields = wechat_fields(f"进度 {order.code}")
    with counted(engine) as seen:
        response = post_wechat(web, fields)
    assert "GD-SQL-1" in reply_of(response)
    # dedupe, the sender's user and roles, order by code, stages, liaison; the row
    assert seen.kinds() == {"SELECT": 5, "INSERT": 1}
    assert seen.tables_written() == ["chat_inbound"]
    if db.is_sqlite:  # a read transaction, then a write transaction for the insert alone
        assert seen.begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]


def test_the_dedupe_read_uses_the_message_key_on_a_table_never_analysed(
    web, engine, session, db, order
):
    """A new deployment's chat_inbound has no statistics yet. PostgreSQL's planner then chose
    the sender index for the dedupe read when that index led with platform too, and each new
    message read every earlier one of its platform. The table's statistics are cleared here,
    in this test's transaction (rolled back), as they are before the first ANALYZE."""
    if not db.is_sqlite:
        conn = session.connection()
        conn.exec_driver_sql(
            "UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = 'chat_inbound'::regclass"
        )
        conn.exec_driver_sql("DELETE FROM pg_statistic WHERE starelid = 'chat_inbound'::regclass")

    def post():
        assert "GD-SQL-1" in reply_of(post_wechat(web, wechat_fields(f"进度 {order.code}")))

    (plan,) = plans_of(session, post, containing="FROM chat_inbound", engine=engine)
    key = (
        "sqlite_autoindex_chat_inbound_1"
        if db.is_sqlite
        else "chat_inbound_platform_message_id_key"
    )
    assert key in plan and "ix_chat_inbound_sender" not in plan


def test_a_retried_wechat_message_is_one_read(web, engine, session, db, order):
    fields = wechat_fields(f"进度 {order.code}", msg_id=31337)
    first = post_wechat(web, fields)
    with counted(engine) as seen:
        again = post_wechat(web, fields)
    assert reply_of(again) == reply_of(first)
    assert seen.kinds() == {"SELECT": 1} and count(session, ChatInbound) == 1
    if db.is_sqlite:
        assert seen.begins == ["BEGIN DEFERRED"]


def test_dingtalk_progress_stores_the_pair_the_message_and_its_reply_in_one_write(
    web, engine, session, db, order, sim
):
    payload = session_payload(sim, f"进度 {order.code}", sender="wangwu")
    store = web.application.extensions["gendan.chat"].store
    store.add("statements:purged", "1", utcnow() + timedelta(minutes=5))  # purge not due now
    with counted(engine) as seen:
        assert post_dingtalk(web, payload).status_code == 200
    # Read: the pair's key with the dedupe lookup (one statement), the sender's user and
    # roles, group, order by code, stages, liaison. Write: the pair's key (inserted, or its
    # own expired row taken over, unless held; RETURNING), the inbound row and the reply's
    # outbox row, inserted leased.
    assert seen.kinds() == {"SELECT": 6, "INSERT": 3}
    assert "key_value" in seen.sql[0] and "chat_inbound" in seen.sql[0]
    assert seen.tables_written() == ["key_value", "chat_inbound", "outbox"]
    if db.is_sqlite:
        assert seen.begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
    assert count(session, ChatInbound) == count(session, Outbox) == 1
    assert count(session, KeyValue) == 2
    wait_sent(session)


def test_a_group_message_reads_its_group_with_the_orders_it_follows_in_one_statement(
    web, engine, session, db, order, sim
):
    """`进度` without a code in a registered group that follows one order answers for it."""
    group = ChatGroupCreate(
        platform=ChatPlatform.dingtalk,
        name="项目群",
        webhook="tok-0123456789abc",
        secret="SECabcdefghijklmnop0123",
        conversation_id=dingtalk_payload()["conversationId"],
        order_ids=[order.id],
    )
    create_group(session=session, actor=Actor.system(Channel.cli), data=group)
    session.commit()
    payload = session_payload(sim, "进度", sender="wangwu")
    store = web.application.extensions["gendan.chat"].store
    store.add("statements:purged", "1", utcnow() + timedelta(minutes=5))  # purge not due now
    with counted(engine) as seen:
        assert post_dingtalk(web, payload).status_code == 200
    # The pair's key with the dedupe lookup, the sender's user and roles, the group with its
    # orders, order, stages, liaison.
    assert seen.kinds() == {"SELECT": 6, "INSERT": 3}
    (reply,) = wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")
    assert order.code in content(reply)
    wait_sent(session, kind="bot_reply")  # the group's greeting is queued beside it


def test_a_dingtalk_message_commits_once_in_the_request_and_records_its_send_in_one_update(
    web, engine, session, db, order, sim
):
    payload = session_payload(sim, f"进度 {order.code}", sender="wangwu")
    with commits(engine) as committed, counted(engine, everywhere=True) as seen:
        assert post_dingtalk(web, payload).status_code == 200
        assert len(wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")) == 1
        wait_sent(session)
    # The request's write, then the background sender's record of the outcome: no claim. On
    # PostgreSQL that record is the UPDATE alone, in autocommit (no BEGIN and COMMIT round
    # trips); SQLite's takes the writer lock in a transaction of its own.
    sends = ["chat-soon"] if db.is_sqlite else []
    assert committed == [threading.current_thread().name, *sends]
    assert seen.on("chat-soon").kinds() == {"UPDATE": 1}  # sent, while the lease holds


def test_a_retried_dingtalk_message_is_one_read_and_no_second_reply(
    web, engine, session, db, order, sim
):
    headers, body = wire.dingtalk_robot_push(
        app_secret=DT["appsecret"],
        payload=session_payload(sim, f"进度 {order.code}", sender="wangwu"),
        now_ms=int(clock.epoch() * 1000),
    )
    assert web.post("/bots/dingtalk", headers=headers, data=body).status_code == 200
    wait_sent(session)
    with commits(engine) as committed, counted(engine) as seen:
        again = web.post("/bots/dingtalk", headers=headers, data=body)
    assert again.status_code == 200 and committed == []
    # The pair's key (held by this body) and the dedupe lookup, in one statement.
    assert seen.kinds() == {"SELECT": 1}
    if db.is_sqlite:
        assert seen.begins == ["BEGIN DEFERRED"]
    assert count(session, ChatInbound) == count(session, Outbox) == 1
    time.sleep(0.2)  # a second reply would have been submitted by now
    assert len(wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")) == 1


def test_a_command_that_writes_runs_in_one_write_transaction(web, engine, session, db, order):
    """A standup request queues a task: dedupe read, then the command and its row together."""
    with counted(engine) as seen:
        response = post_wechat(web, wechat_fields(f"站会 {order.code}"))
    assert "站会摘要" in reply_of(response)
    assert seen.tables_written() == ["bot_task", "chat_inbound"]
    if db.is_sqlite:
        assert seen.begins == ["BEGIN DEFERRED", "BEGIN IMMEDIATE"]
