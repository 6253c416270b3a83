"""The database-backed KeyValueStore behind bots.platforms.tokens.TokenStorage.

Every web worker, the delivery loop and the scheduler read the platforms' access tokens from
this one table, so none of them fetches a token that rotates another's away (a WeChat
/cgi-bin/token fetch invalidates the previous token). Each call is its own short transaction:
the SDKs call the store from deep inside a request, outside any unit of work of ours. `add`
also runs inside the caller's transaction when given its session: the DingTalk webhook claims a
timestamp/sign pair in the transaction that records the message it signed, having read the
pair's value (`live_value`, the one rule of what is live, which `get` uses too) with the
message's dedupe lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import BindParameter, Connection, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import Session

from models.base import utcnow
from models.outbox import KeyValue

TABLE = KeyValue.__table__
# Expired rows of other keys are purged at most this often (per store): `add` sits on the
# DingTalk webhook's path, which should not scan the table on every request.
PURGE_INTERVAL = timedelta(minutes=1)


_VALUE_OF = select(TABLE.c.value).where(TABLE.c.key == bindparam("key"))


def live_value(key: BindParameter, now: BindParameter) -> ScalarSelect:
    """The key's live value as a scalar subquery: NULL when the key holds none, or an expired
    one. `get` reads it alone; a caller may read it beside other things in one statement."""
    live = or_(TABLE.c.expires_at.is_(None), TABLE.c.expires_at > now)
    return select(TABLE.c.value).where(TABLE.c.key == key, live).scalar_subquery()


_GET = select(live_value(bindparam("key"), bindparam("now")))


@cache
def _take_statement(dialect_name: str):
    """One statement: a new key is inserted, the key's own expired row is taken over (as if
    deleted first), a live row is left alone and no row comes back. Built once per dialect
    (building it cost more than running it: about 0.3 ms a DingTalk callback)."""
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    insert_new = dialect.insert(TABLE).values(
        {name: bindparam(name) for name in ("key", "value", "expires_at", "updated_at")}
    )
    return insert_new.on_conflict_do_update(
        index_elements=[TABLE.c.key],
        set_={name: insert_new.excluded[name] for name in ("value", "expires_at", "updated_at")},
        where=TABLE.c.expires_at <= bindparam("updated_at"),
    ).returning(TABLE.c.key)


class DatabaseKeyValueStore:
    """KeyValueStore on the `key_value` table (works on SQLite and PostgreSQL)."""

    def __init__(self, engine, now: Callable[[], datetime] = utcnow):
        self.engine = engine
        # Reads must not take SQLite's write lock (app.db begins writers IMMEDIATE).
        self._reader = engine.execution_options(sqlite_begin="DEFERRED")
        self._now = now
        self._purged_at: datetime | None = None

    def now(self) -> datetime:
        """The store's clock: what expiry is judged against."""
        return self._now()

    def get(self, key: str) -> str | None:
        """The key's live value (None: none or expired), in a read of its own."""
        with self._reader.connect() as conn:
            value = conn.execute(_GET, {"key": key, "now": self._now()}).scalar()
            conn.rollback()
        return value

    def set(self, key: str, value: str, expires_at: datetime | None) -> None:
        values = {"value": value, "expires_at": expires_at, "updated_at": self._now()}
        for _ in range(3):
            with self.engine.begin() as conn:
                if conn.execute(update(TABLE).where(TABLE.c.key == key).values(**values)).rowcount:
                    return
                try:
                    conn.execute(insert(TABLE).values(key=key, **values))
                    return
                except IntegrityError:
                    conn.rollback()  # another process inserted it first: update instead

    def add(
        self, key: str, value: str, expires_at: datetime, *, session: Session | None = None
    ) -> str | None:
        """Store `value` unless `key` holds a live value; return that value (None: stored).

        Atomic across processes: the primary key lets one insert win (a concurrent insert of
        the key waits for the first to commit or roll back). The key's own expired row is
        taken over by the same statement; expired rows of other keys (`get` ignores them
        already) are purged at most once per PURGE_INTERVAL. In `session`'s transaction when
        given (the value is stored only if it commits), else in a short transaction of its own.
        """
        if session is not None:
            return self._add(session.connection(), key, value, expires_at)
        with self.engine.begin() as conn:
            return self._add(conn, key, value, expires_at)

    def _add(self, conn: Connection, key: str, value: str, expires_at: datetime) -> str | None:
        now = self._now()
        if self._purged_at is None or now - self._purged_at >= PURGE_INTERVAL:
            conn.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
            self._purged_at = now
        values = {"key": key, "value": value, "expires_at": expires_at, "updated_at": now}
        if conn.execute(_take_statement(conn.dialect.name), values).first() is not None:
            return None
        row = conn.execute(_VALUE_OF, {"key": key}).first()
        return row.value if row is not None else ""

    def delete(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(TABLE).where(TABLE.c.key == key))
