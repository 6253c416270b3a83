"""Claim, lease and retry for the two job tables: the outbox (bots/delivery) and bot tasks
(bots/tasks.py).

A worker claims N due rows (pending and due, or running with an expired lease) in a short
transaction: it picks them oldest first, `FOR UPDATE SKIP LOCKED` on PostgreSQL so two workers
never pick the same row, and takes them with a conditional UPDATE (the row is still due), so on
SQLite too a row another worker took in the meantime is left out. A taken row is running,
leased to the worker until `now + lease`, one attempt more. The work runs outside any
transaction; its outcome is recorded only by the worker still holding the lease (`held`):
finished, retried after a back-off, released untried, or dead once `max_attempts` are used.
A worker that dies leaves its rows running until the lease runs out; then they are due again.
A row can also be inserted already leased (`lease_new`), by a worker that will do it right away.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

BACKOFF_BASE = 15.0
BACKOFF_MAX = 3600.0


def backoff(attempts: int, retry_after: float | None = None, *, jitter: bool = True) -> float:
    """Seconds until the next try: 15 s doubling to an hour (with jitter unless told); at
    least retry_after."""
    delay = min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    if jitter:
        delay *= random.uniform(0.8, 1.0)
    return max(delay, retry_after or 0.0)


@cache
def _finish_statement(model, with_until: bool, names: tuple[str, ...], returning: tuple):
    """Queue.finish_held's UPDATE with bound parameters, built once per shape: building it
    cost about as much CPU as running it (on every reply a worker sends). A Core UPDATE of the
    table, not the ORM's bulk UPDATE of the entity: the session keeps no copy of the row to
    synchronise, and the ORM's path cost about 0.2 ms more CPU a reply."""
    table = model.__table__
    held = [
        table.c.id == bindparam("row_id"),
        table.c.status == bindparam("running"),
        table.c.lease_owner == bindparam("owner"),
    ]
    if with_until:
        held.append(table.c.lease_until == bindparam("until"))
    values = {name: bindparam(name) for name in ("status", *names)}
    columns = [table.c[attribute.key] for attribute in returning]
    return (
        update(table)
        .where(*held)
        .values(lease_owner=None, lease_until=None, **values)
        .returning(*columns)
    )


@dataclass(frozen=True)
class Queue:
    """A job table and its states: rows wait `pending`, run `running` under a lease and end
    `dead` when they failed for good (after `max_attempts` tries when set)."""

    model: Any
    pending: StrEnum
    running: StrEnum
    dead: StrEnum
    lease: timedelta
    max_attempts: int | None = None

    def due(self, now: datetime):
        """The rows a worker may claim now: pending and due, or abandoned by a dead worker."""
        m = self.model
        waiting = (m.status == self.pending) & (m.not_before <= now)
        abandoned = (m.status == self.running) & (col(m.lease_until) < now)
        return waiting | abandoned

    def pick(self, session: Session, now: datetime, *, limit: int, where=()) -> list:
        """Up to `limit` due rows, oldest first, locked (skipping rows another worker holds)."""
        m = self.model
        query = select(m).where(self.due(now), *where).order_by(m.id).limit(limit)
        return list(session.exec(query.with_for_update(skip_locked=True)))

    def take(self, session: Session, rows: list, owner: str, now: datetime, **values) -> list:
        """Lease the rows that are still due to `owner` (an attempt more, `values` written
        too); the rows taken, in the order given."""
        if not rows:
            return []
        m, ids, until = self.model, [r.id for r in rows], now + self.lease
        session.exec(
            update(m)
            .where(col(m.id).in_(ids), self.due(now))
            .values(
                status=self.running,
                lease_owner=owner,
                lease_until=until,
                attempts=m.attempts + 1,
                **values,
            )
            .execution_options(synchronize_session=False)
        )
        query = select(m).where(col(m.id).in_(ids), m.lease_owner == owner, m.lease_until == until)
        taken = {r.id: r for r in session.exec(query.execution_options(populate_existing=True))}
        return [taken[i] for i in ids if i in taken]

    def lease_new(self, row, owner: str, now: datetime, **values) -> None:
        """Lease a row not inserted yet to `owner`, as `take` would (running, one attempt more,
        `values` written too): inserted so, it is never due to another worker while the lease
        runs, and due like any abandoned row once it ran out."""
        row.status, row.lease_owner, row.lease_until = self.running, owner, now + self.lease
        row.attempts = (row.attempts or 0) + 1
        for name, value in values.items():
            setattr(row, name, value)

    def claim(self, session: Session, owner: str, now: datetime, *, limit: int, where=()) -> list:
        """Pick and take up to `limit` due rows (the caller commits)."""
        return self.take(session, self.pick(session, now, limit=limit, where=where), owner, now)

    def held(self, session: Session, owner: str, row_id: int, until: datetime | None = None):
        """The row, locked, while `owner` still holds its lease (the lease ending at `until`,
        when given: not a later lease of the same owner); None once the lease is lost (it ran
        out and another worker took the row, or the row is gone)."""
        row = session.exec(select(self.model).where(self.model.id == row_id).with_for_update())
        row = row.first()
        if row is None or row.status != self.running or row.lease_owner != owner:
            return None
        if until is not None and row.lease_until != until:
            return None
        return row

    def renew(self, session: Session, owner: str, row_id: int, now: datetime) -> bool:
        """Extend `owner`'s lease for long work; False when it was already lost."""
        row = self.held(session, owner, row_id)
        if row is not None:
            row.lease_until = now + self.lease
            session.add(row)
        return row is not None

    def finish(self, session: Session, row, status: StrEnum) -> None:
        """End the lease with this outcome."""
        row.status, row.lease_owner, row.lease_until = status, None, None
        session.add(row)

    def finish_held(
        self, session: Session, owner: str, row_id: int, until, status: StrEnum, returning, **values
    ):
        """`held` and `finish` in one conditional UPDATE (`values` written too): the row's
        `returning` columns, or None once the lease is lost. `session` may also be a
        Connection (an autocommit one runs the UPDATE as its own transaction)."""
        statement = _finish_statement(
            self.model, until is not None, tuple(values), tuple(returning)
        )
        params = {"row_id": row_id, "running": self.running, "owner": owner, "until": until}
        return session.execute(statement, {**params, "status": status, **values}).first()

    def exhausted(self, attempts: int) -> bool:
        """Whether a row tried this often may not be tried again."""
        return self.max_attempts is not None and attempts >= self.max_attempts

    def retry(self, session: Session, row, now: datetime, delay: float) -> bool:
        """Try the row again after `delay` seconds; once its attempts are used up it is dead
        instead (False)."""
        if self.exhausted(row.attempts):
            self.finish(session, row, self.dead)
            return False
        self.finish(session, row, self.pending)
        row.not_before = now + timedelta(seconds=delay)
        return True

    def release(self, session: Session, row, not_before: datetime) -> None:
        """Give the row back untried (the attempt does not count); due again at not_before."""
        self.finish(session, row, self.pending)
        row.attempts -= 1
        row.not_before = not_before
