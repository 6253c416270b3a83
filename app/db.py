"""Engines and sessions for SQLite (embedded default) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

CONNECT_TIMEOUT = 5


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
    # A database that does not answer fails the request after CONNECT_TIMEOUT seconds (503)
    # instead of holding the worker until gunicorn kills it.
    connect_args = {} if "connect_timeout" in url else {"connect_timeout": CONNECT_TIMEOUT}
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=10,
        connect_args=connect_args,
    )


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

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
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


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
        reader_engine = self.engine.execution_options(sqlite_begin="DEFERRED")
        self._reader = sessionmaker(bind=reader_engine, class_=Session, expire_on_commit=False)

    def session(self, *, readonly: bool = False) -> Session:
        """A new session; read-only sessions do not take SQLite's write lock."""
        return (self._reader if readonly else self._writer)()

    def dispose(self) -> None:
        self.engine.dispose()
