"""Engines and sessions for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from models.base import json_text

if TYPE_CHECKING:  # loaded for SQLite only: 1 MiB that a PostgreSQL process goes without
    import sqlite3

CONNECT_TIMEOUT = 5
# A PostgreSQL connection whose peer goes silent (a network cut between this host and the
# database's, a server host that froze) is given up after about a minute instead of the
# kernel's defaults: libpq turns keepalive on, but the kernel's first probe comes after two
# hours idle (a thread waiting for a result waits 2 h 11 min), and data that is never
# acknowledged is retried for about 15 minutes. Meanwhile each request that meets such a
# connection holds one of the worker's threads. libpq's own parameters; a URL that names one
# keeps its value.
TCP_SETTINGS = {
    "keepalives": 1,
    "keepalives_idle": 30,  # seconds without traffic before the first probe
    "keepalives_interval": 10,  # seconds between probes
    "keepalives_count": 3,  # unanswered probes before the connection is dropped
    "tcp_user_timeout": 30_000,  # ms that sent data may stay unacknowledged
}
# A pooled PostgreSQL connection idle for longer than this is pinged before use (a restarted or
# cut-off server shows there instead of in the request); busier ones are not, which saves a
# round trip per checkout under load. A failure during use invalidates the pool anyway.
PING_AFTER_IDLE = 2.0
# How long a SQLite writer waits for the write lock (as PRAGMA busy_timeout below).
SQLITE_WRITE_WAIT = 30.0


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create the engine for a database URL, with the per-engine settings Gendan relies on.

    PostgreSQL connection options travel in the URL (for example
    `?options=-csearch_path%3Dmyschema`), so every process given the URL gets the same.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=10,
        connect_args=_pg_connect_args(url),
        json_serializer=json_text,
    )
    _ping_when_idle(engine)
    return engine


def _pg_connect_args(url: str) -> dict:
    """The connection settings below, where the URL does not set its own: a database that does
    not answer fails the request after CONNECT_TIMEOUT seconds (503) instead of holding the
    worker until gunicorn kills it, and one that goes silent later is dropped (TCP_SETTINGS)."""
    given = make_url(url).query
    wanted = {"connect_timeout": CONNECT_TIMEOUT, **TCP_SETTINGS}
    return {name: value for name, value in wanted.items() if name not in given}


def _ping_when_idle(engine: Engine) -> None:
    """pool_pre_ping, but only for connections that sat in the pool for PING_AFTER_IDLE."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc
        if not alive:
            raise DisconnectionError("stale pooled connection")


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database or ""
    memory = path in ("", ":memory:") or "mode=memory" in url
    lock_path = None if memory else os.path.abspath(path) + ".writer-lock"
    connect_args = {
        "check_same_thread": False,
        "timeout": SQLITE_WRITE_WAIT,
        "factory": _writer_connection_class(lock_path),
    }
    engine = create_engine(url, connect_args=connect_args, json_serializer=json_text)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN; we issue BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the lock up front: a deferred transaction that reads and then writes
        # fails with SQLITE_BUSY_SNAPSHOT under concurrency instead of waiting its turn.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "DEFERRED":
            conn.exec_driver_sql("BEGIN DEFERRED")
            return
        raw = conn.connection.dbapi_connection
        raw.take_write_lock()
        try:
            conn.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            raw.release_write_lock()
            raise

    return engine


_THREAD_LOCKS: dict[str | None, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _writer_connection_class(lock_path: str | None) -> type[sqlite3.Connection]:
    """A sqlite3 connection that queues its writers instead of letting SQLite's busy handler
    poll for the lock.

    SQLite's busy handler sleeps 1, 2, 5 ... up to 100 ms between tries, so under concurrent
    writes a transaction often waits far longer than the one ahead of it took, and the tail
    latency of every write grows with the number of writers. Here a writer first takes this
    process's lock for the file (threads are woken as soon as it is free), then an flock on
    a file beside the database that the other processes (gunicorn workers, the scheduler)
    take too. Both are released when the transaction ends (commit, rollback or close) and
    by the kernel when a process dies. A writer that cannot get them in SQLITE_WRITE_WAIT
    goes on to BEGIN and SQLite's own timeout decides, as before.
    """
    import sqlite3

    with _THREAD_LOCKS_GUARD:
        thread_lock = _THREAD_LOCKS.setdefault(lock_path, threading.Lock())

    class WriterConnection(sqlite3.Connection):
        _held_thread = False
        _held_file = False
        _lock_fd: int | None = None

        def take_write_lock(self) -> None:
            if self._held_thread:
                return
            deadline = time.monotonic() + SQLITE_WRITE_WAIT
            self._held_thread = thread_lock.acquire(timeout=SQLITE_WRITE_WAIT)
            if self._held_thread and lock_path is not None:
                self._held_file = self._take_file_lock(deadline)

        def _take_file_lock(self, deadline: float) -> bool:
            if self._lock_fd is None:
                self._lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            pause = 0.0002
            while True:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        return False
                    time.sleep(pause)
                    pause = min(pause * 2, 0.002)

        def release_write_lock(self) -> None:
            if self._held_file:
                self._held_file = False
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            if self._held_thread:
                self._held_thread = False
                thread_lock.release()

        def commit(self) -> None:
            try:
                super().commit()
            finally:
                if not self.in_transaction:
                    self.release_write_lock()

        def rollback(self) -> None:
            try:
                super().rollback()
            finally:
                self.release_write_lock()

        def close(self) -> None:
            try:
                super().close()
            finally:
                self.release_write_lock()
                if self._lock_fd is not None:
                    os.close(self._lock_fd)
                    self._lock_fd = None

    return WriterConnection


def end_idle_transactions_after(engine: Engine, seconds: float) -> None:
    """Have PostgreSQL end this engine's sessions that sit in an open transaction for longer
    than `seconds` (idle_in_transaction_session_timeout). A process that is stopped or hung
    between two statements of a transaction then stops holding its row locks once the time is
    up; its next statement fails and the pool replaces the connection. No-op on SQLite.

    Applies to connections opened from now on: the engine's pool is emptied first.
    """
    if engine.dialect.name == "sqlite":
        return
    milliseconds = max(1, int(seconds * 1000))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET idle_in_transaction_session_timeout = {milliseconds}")
        dbapi_conn.commit()

    engine.dispose()


class Database:
    """One engine and its session factories; kept on the Flask app and passed to jobs."""

    def __init__(self, url: str, **engine_options):
        self.url = normalise_url(url)
        self.engine = make_engine(url, **engine_options)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._writer = sessionmaker(bind=self.engine, class_=Session, expire_on_commit=False)
        # Readers hold no write lock on SQLite (BEGIN DEFERRED) and no transaction at all on
        # PostgreSQL: under its READ COMMITTED every statement reads a snapshot of its own
        # anyway, so a transaction would only add the BEGIN and ROLLBACK round trips.
        # `autocommit`: each statement commits on its own (PostgreSQL; None on SQLite, whose
        # writes take this process's writer lock in a transaction, see _sqlite_engine). Built
        # once: execution_options makes a new engine object each call (about 0.05 ms).
        self.autocommit = (
            None if self.is_sqlite else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        if self.is_sqlite:
            reader_engine = self.engine.execution_options(sqlite_begin="DEFERRED")
        else:
            reader_engine = self.autocommit
        self._reader = sessionmaker(bind=reader_engine, class_=Session, expire_on_commit=False)

    def session(self, *, readonly: bool = False) -> Session:
        """A new session; read-only sessions do not take SQLite's write lock."""
        return (self._reader if readonly else self._writer)()

    def dispose(self) -> None:
        self.engine.dispose()
