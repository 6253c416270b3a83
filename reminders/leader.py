"""Leader election: of all scheduler processes on one database, exactly one runs jobs.

PostgreSQL: a session-level advisory lock (pg_try_advisory_lock) taken on a dedicated connection
that stays open while the process leads. The server releases it when that connection or the
process dies, so a standby's next poll gets it. The leader proves it still holds the lock by
using the same connection (`SELECT 1`); an error there means the session, and the lock, are gone.
The key is derived from the database and schema, so deployments sharing a server never collide.

SQLite: a lease row (holder, expires_at). The leader renews it well before it expires; a
standby takes it once expired. Renewal only succeeds while the row still names the renewer, so
a leader that stalled past its lease and was replaced learns it at its next renewal.

Both write the holder to `scheduler_lease`, so whoever looks can see who leads.

A hung leader (stopped, swapped out, stuck in a long pause) keeps its PostgreSQL session and
so its advisory lock. Its lease row then stops being renewed: once the row has expired, a
standby ends the holder's session (`pg_terminate_backend`), which frees the lock, and takes
over at its next try. Every change of holder adds one to the row's `epoch`, the fencing
token: the leader keeps the epoch it took over with, and the outbox checks it in the same
transaction that claims a message or records it sent (`fence`), so a leader that wakes up
after it was replaced sends nothing before it notices and steps down.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import case, create_engine, insert, literal, or_, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.db import Database
from models.base import UTCDateTime, utcnow
from models.reminders import LEASE_NAME, SchedulerLease

log = logging.getLogger("gendan.scheduler")

LOCK_CLASS = 0x47454E44  # "GEND": the first half of the advisory lock key
# The key under which the leader hands its fence to the jobs' services.
FENCE = "gendan.fence"


class LeaderLock(Protocol):
    holder: str
    name: str
    epoch: int  # the lease's epoch when this process took the lead

    def acquire(self, now: datetime | None = None) -> bool:
        """Try once to become leader (or stay leader); True when this process leads."""

    def renew(self, now: datetime | None = None) -> bool:
        """Keep leading; False when leadership is lost."""

    def release(self, now: datetime | None = None) -> None:
        """Step down so a standby can take over at once."""


def _take(conn, name: str, holder: str, now, expires_at, *, only_if_free: bool) -> bool:
    """Write `holder` into the lease row in one statement; with only_if_free, only when the row
    is missing, already ours, or expired. A concurrent taker loses on the row lock or the key."""
    table = SchedulerLease.__table__
    values = {
        "holder": holder,
        "expires_at": expires_at,
        "acquired_at": case(
            (table.c.holder == holder, table.c.acquired_at), else_=literal(now, UTCDateTime())
        ),
        "heartbeat_at": case((table.c.holder == holder, table.c.heartbeat_at), else_=None),
        "epoch": case((table.c.holder == holder, table.c.epoch), else_=table.c.epoch + 1),
    }
    statement = update(table).where(table.c.name == name).values(values)
    if only_if_free:
        statement = statement.where(or_(table.c.holder == holder, table.c.expires_at <= now))
    if conn.execute(statement).rowcount:
        return True
    if conn.execute(select(table.c.name).where(table.c.name == name)).first() is not None:
        return False
    try:
        with conn.begin_nested():
            conn.execute(
                insert(table).values(
                    name=name, holder=holder, acquired_at=now, expires_at=expires_at, epoch=1
                )
            )
    except IntegrityError:
        return False
    return True


def _epoch(conn, name: str) -> int:
    table = SchedulerLease.__table__
    return conn.execute(select(table.c.epoch).where(table.c.name == name)).scalar_one()


def record_holder(db: Database, name: str, holder: str, now, expires_at) -> int:
    """Name the holder of the advisory lock in scheduler_lease; return its epoch."""
    with db.engine.begin() as conn:
        _take(conn, name, holder, now, expires_at, only_if_free=False)
        return _epoch(conn, name)


def fence(name: str, epoch: int) -> Callable[[Session], bool]:
    """A check that the leader with this epoch still leads, run inside the caller's
    transaction; on PostgreSQL it holds a share lock on the lease row until that transaction
    ends, so a takeover cannot commit between the check and the caller's write."""
    table = SchedulerLease.__table__

    def still_leading(session: Session) -> bool:
        query = select(table.c.epoch).where(table.c.name == name).with_for_update(read=True)
        return session.execute(query).scalar() == epoch

    return still_leading


class LeaseLock:
    """The lease row on any engine (used on SQLite)."""

    def __init__(self, db: Database, holder: str, lease_seconds: int, name: str = LEASE_NAME):
        self.db, self.holder, self.name = db, holder, name
        self.lease = timedelta(seconds=lease_seconds)
        self.epoch = 0

    def acquire(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        with self.db.engine.begin() as conn:
            took = _take(conn, self.name, self.holder, now, now + self.lease, only_if_free=True)
            if took:
                self.epoch = _epoch(conn, self.name)
            return took

    def renew(self, now: datetime | None = None) -> bool:
        return _extend(self.db, self.name, self.holder, (now or utcnow()) + self.lease)

    def release(self, now: datetime | None = None) -> None:
        _extend(self.db, self.name, self.holder, now or utcnow())


class AdvisoryLock:
    """A PostgreSQL session-level advisory lock held on a dedicated connection."""

    def __init__(self, db: Database, holder: str, lease_seconds: int, name: str = LEASE_NAME):
        self.db, self.holder, self.name = db, holder, name
        self.lease = timedelta(seconds=lease_seconds)
        # Keepalives make a vanished network noticed on both ends, not only at the next query.
        self._engine = create_engine(
            db.url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={
                # Names the holder, so a standby can tell the lock's session from the row's.
                "application_name": session_name(holder),
                "keepalives": 1,
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        self._conn = None
        self._key: int | None = None
        self.epoch = 0

    def _key_for(self, conn) -> int:
        where = conn.execute(text("SELECT current_database() || '.' || current_schema()")).scalar()
        key = zlib.crc32(f"{where}.{self.name}".encode())
        return key - 2**32 if key >= 2**31 else key

    def acquire(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        if self._conn is not None:
            return self.renew(now)
        try:
            conn = self._engine.connect()
        except DBAPIError as exc:
            log.warning("scheduler lock: no connection", extra={"fields": {"error": str(exc)}})
            return False
        try:
            self._key = self._key_for(conn)
            got = self._try_lock(conn) or (
                self._end_hung_leader(conn, now) and self._try_lock(conn)
            )
            if got:
                self.epoch = record_holder(self.db, self.name, self.holder, now, now + self.lease)
        except DBAPIError as exc:
            log.warning("scheduler lock: acquire failed", extra={"fields": {"error": str(exc)}})
            got = False
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _try_lock(self, conn) -> bool:
        query = text("SELECT pg_try_advisory_lock(:a, :b)")
        return bool(conn.execute(query, {"a": LOCK_CLASS, "b": self._key}).scalar())

    def _end_hung_leader(self, conn, now: datetime) -> bool:
        """End the lock holder's session when its lease row expired (it stopped renewing);
        True when a session was ended. Waits up to 5 s for the server to free the lock.

        A leader takes the lock first and records itself in the row just after, so a standby
        can find the lock taken and the row still naming the previous, expired holder. The row
        speaks for the session only when the session's name is the row's holder; a session
        named otherwise is a new leader about to record itself, left alone unless it has held
        the lock a whole lease without doing so (the server's clock: a session's age only)."""
        lease = SchedulerLease.__table__
        row = conn.execute(select(lease).where(lease.c.name == self.name)).first()
        if row is None or row.expires_at > now:
            return False
        pid = conn.execute(
            text(
                "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND l.database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())"
                " AND l.classid::bigint = :a AND l.objid::bigint = :b AND l.objsubid = 2"
                " AND (a.application_name = :holder"
                " OR a.backend_start < now() - make_interval(secs => :lease))"
            ),
            {
                "a": LOCK_CLASS,
                "b": self._key % 2**32,
                "holder": session_name(row.holder),
                "lease": self.lease.total_seconds(),
            },
        ).scalar()
        if pid is None:
            return False
        log.warning(
            "scheduler leader's lease expired; ending its database session",
            extra={"fields": {"leader": row.holder, "expired_at": str(row.expires_at), "pid": pid}},
        )
        return bool(
            conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()
        )

    def renew(self, now: datetime | None = None) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
        except DBAPIError:
            self._drop()
            return False
        _extend(self.db, self.name, self.holder, (now or utcnow()) + self.lease)
        return True

    def release(self, now: datetime | None = None) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(
                text("SELECT pg_advisory_unlock(:a, :b)"), {"a": LOCK_CLASS, "b": self._key}
            )
        except DBAPIError:
            log.warning("scheduler lock: unlock failed; closing the connection releases it")
        self._drop()
        _extend(self.db, self.name, self.holder, now or utcnow())

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        try:
            conn.close()
        except DBAPIError:
            log.debug("scheduler lock: closing a broken connection failed")

    @property
    def backend_pid(self) -> int | None:
        """The server process holding the lock (for operators and tests)."""
        if self._conn is None:
            return None
        return self._conn.execute(text("SELECT pg_backend_pid()")).scalar()


def _extend(db: Database, name: str, holder: str, expires_at: datetime) -> bool:
    """Move the holder's lease end; False when the row no longer names the holder."""
    table = SchedulerLease.__table__
    try:
        with db.engine.begin() as conn:
            return (
                conn.execute(
                    update(table)
                    .where(table.c.name == name, table.c.holder == holder)
                    .values(expires_at=expires_at)
                ).rowcount
                == 1
            )
    except DBAPIError as exc:
        log.warning("scheduler lease: update failed", extra={"fields": {"error": str(exc)}})
        return False


def session_name(holder: str) -> str:
    """The application_name of a holder's lock session (PostgreSQL keeps 63 bytes of it)."""
    return f"gendan-lock {holder}".encode()[:63].decode(errors="ignore")


def make_lock(db: Database, holder: str, lease_seconds: int, name: str = LEASE_NAME) -> LeaderLock:
    """The advisory lock on PostgreSQL, the lease row on SQLite; `name` keeps elections of
    different process kinds (the scheduler, chat-stream) apart."""
    if db.is_sqlite:
        return LeaseLock(db, holder, lease_seconds, name)
    return AdvisoryLock(db, holder, lease_seconds, name)
