"""Leader election in one process: the lease row on a frozen clock (both engines) and the
PostgreSQL advisory lock on real connections."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, text
from sqlmodel import select

from models import clock
from models.reminders import SchedulerLease, SchedulerRun
from reminders import jobs
from reminders.leader import AdvisoryLock, LeaseLock, fence, make_lock
from reminders.process import SchedulerProcess
from reminders.schedule import Timing
from tests.reminders.waiting import wait_for

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def _runs_of(db, holder: str) -> int:
    with db.session(readonly=True) as s:
        query = select(func.count()).select_from(SchedulerRun).where(SchedulerRun.holder == holder)
        return s.exec(query).one()


def lease_row(db) -> SchedulerLease:
    with db.session(readonly=True) as s:
        return s.exec(select(SchedulerLease)).one()


def test_a_lease_is_held_while_renewed_and_taken_over_once_expired(db):
    a, b = LeaseLock(db, "a", 30), LeaseLock(db, "b", 30)
    assert a.acquire(T0)
    assert not b.acquire(T0 + 10 * S)
    assert a.renew(T0 + 10 * S)
    assert not b.acquire(T0 + 39 * S)
    assert b.acquire(T0 + 41 * S)
    row = lease_row(db)
    assert (row.holder, row.acquired_at, row.expires_at) == ("b", T0 + 41 * S, T0 + 71 * S)
    assert not a.renew(T0 + 42 * S)
    assert not a.acquire(T0 + 42 * S)


def test_the_leader_acquiring_again_keeps_its_lease_and_start_time(db):
    a = LeaseLock(db, "a", 30)
    assert a.acquire(T0)
    assert a.acquire(T0 + 20 * S)
    row = lease_row(db)
    assert (row.holder, row.acquired_at, row.expires_at) == ("a", T0, T0 + 50 * S)


def test_a_released_lease_is_taken_at_once(db):
    a, b = LeaseLock(db, "a", 30), LeaseLock(db, "b", 30)
    assert a.acquire(T0)
    a.release(T0 + 5 * S)
    assert b.acquire(T0 + 5 * S)
    assert lease_row(db).holder == "b"


def test_releasing_a_lease_someone_else_holds_changes_nothing(db):
    a, b = LeaseLock(db, "a", 30), LeaseLock(db, "b", 30)
    assert a.acquire(T0)
    b.release(T0 + 1 * S)
    assert lease_row(db).expires_at == T0 + 30 * S


def test_sqlite_uses_the_lease_and_postgresql_the_advisory_lock(db):
    lock = make_lock(db, "x", 30)
    assert isinstance(lock, LeaseLock if db.is_sqlite else AdvisoryLock)


def _terminate(db, pid: int) -> None:
    """End a session and wait (up to 5 s) until it is gone and its locks are free: without the
    wait a rival polling at once could find the lock still held, and the old leader, noticing
    first, take it again (the rival then waited for ever)."""
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar()


def test_only_one_process_holds_the_advisory_lock_until_it_lets_go(pg_only):
    db = pg_only
    a, b = AdvisoryLock(db, "a", 30), AdvisoryLock(db, "b", 30)
    try:
        assert a.acquire()
        assert not b.acquire()
        assert a.renew() and a.acquire()
        assert lease_row(db).holder == "a"
        a.release()
        assert b.acquire()
        assert lease_row(db).holder == "b"
    finally:
        a.release()
        b.release()


def test_the_advisory_lock_goes_with_the_leaders_connection(pg_only):
    db = pg_only
    a, b = AdvisoryLock(db, "a", 30), AdvisoryLock(db, "b", 30)
    try:
        assert a.acquire()
        _terminate(db, a.backend_pid)
        assert b.acquire()
        assert not a.renew()
        assert not a.acquire()
    finally:
        a.release()
        b.release()


def test_advisory_locks_of_different_names_do_not_collide(pg_only):
    a, other = AdvisoryLock(pg_only, "a", 30), AdvisoryLock(pg_only, "b", 30, name="elsewhere")
    try:
        assert a.acquire() and other.acquire()
    finally:
        a.release()
        other.release()


TIMING = Timing(lease_seconds=3, poll_seconds=1, heartbeat_seconds=1, sync_seconds=2)


def _lead_then_lose(db, caplog, lock, take_over, timing=TIMING) -> None:
    """Run a scheduler in a thread until it leads, let a rival take over, see it step down."""
    caplog.set_level(logging.INFO, logger="gendan.scheduler")
    process = SchedulerProcess(db, timing, lambda session: [], lock=lock)
    thread = threading.Thread(target=process.run)
    thread.start()
    try:
        assert wait_for(lambda: jobs._runtime is not None and _runs_of(db, lock.holder) > 0)
        take_over()
        assert wait_for(lambda: "scheduler lost the lead" in caplog.text)
        assert wait_for(lambda: jobs._runtime is None)
        assert lease_row(db).holder == "rival"
        assert wait_for(lambda: "standing by: another process leads" in caplog.text)
    finally:
        process.stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_leader_whose_lease_was_taken_stops_its_jobs_and_stands_by(db, caplog):
    rival = LeaseLock(db, "rival", 3600)
    # As if the leader had stalled past its lease: the rival's clock is an hour ahead.
    _lead_then_lose(
        db,
        caplog,
        LeaseLock(db, "host:1:lead", 3),
        lambda: wait_for(lambda: rival.acquire(clock.now() + timedelta(hours=1))),
    )


def test_a_leader_whose_lock_connection_dies_stops_its_jobs_and_stands_by(pg_only, caplog):
    db = pg_only
    # The rival does not renew: its lease outlasts the test, or the old leader would end it.
    lock, rival = AdvisoryLock(db, "host:1:lead", 3), AdvisoryLock(db, "rival", 60)

    def take_over():
        _terminate(db, lock.backend_pid)
        # The first try wins: the old leader, which notices the loss at once, stands by a poll
        # (3 s here) before trying again. It used to try at once and, a connection ahead of
        # the rival, take the lock back (the rival then waited in vain).
        assert rival.acquire()

    try:
        _lead_then_lose(db, caplog, lock, take_over, replace(TIMING, poll_seconds=3))
    finally:
        rival.release()


def _still_leads(db, lock) -> bool:
    with db.session() as s:
        return fence(lock.name, lock.epoch)(s)


def test_each_new_leader_gets_a_higher_epoch_and_the_old_ones_fence_closes(db):
    a, b = LeaseLock(db, "a", 30), LeaseLock(db, "b", 30)
    assert a.acquire(T0) and a.epoch == 1
    assert a.renew(T0 + 10 * S) and a.acquire(T0 + 20 * S)
    assert lease_row(db).epoch == 1 and _still_leads(db, a)
    assert b.acquire(T0 + 60 * S) and b.epoch == 2 == lease_row(db).epoch
    assert not _still_leads(db, a) and _still_leads(db, b)
    b.release(T0 + 61 * S)
    assert a.acquire(T0 + 62 * S) and a.epoch == 3


def test_a_hung_leaders_session_is_ended_once_its_lease_expires(pg_only):
    """The leader stops renewing (as if SIGSTOPped): while its lease runs, the standby waits;
    once it expired, the standby ends the leader's session and leads with the next epoch."""
    db = pg_only
    a, b = AdvisoryLock(db, "a", 30), AdvisoryLock(db, "b", 30)
    try:
        assert a.acquire(T0) and a.epoch == 1
        hung = a.backend_pid
        assert not b.acquire(T0 + 29 * S)
        assert a.backend_pid == hung
        assert b.acquire(T0 + 31 * S)
        assert (lease_row(db).holder, b.epoch) == ("b", 2)
        assert not a.renew()  # the resumed leader learns it at its next renewal
        assert not _still_leads(db, a) and _still_leads(db, b)
    finally:
        a.release()
        b.release()


def test_a_hung_leaders_open_transaction_does_not_block_the_takeover(pg_only):
    """The leader stops between two statements of a delivery, its fence's share lock on the
    lease row held: with the scheduler's idle-transaction limit the server ends that transaction,
    so the standby can record its takeover instead of waiting for ever on the row."""
    from sqlalchemy.exc import DBAPIError

    from app.db import end_idle_transactions_after, make_engine

    db = pg_only
    a, b = AdvisoryLock(db, "a", 30), AdvisoryLock(db, "b", 30)
    hung_engine = make_engine(db.url, pool_size=1)
    end_idle_transactions_after(hung_engine, 0.5)
    hung = hung_engine.connect()
    take = threading.Thread()
    try:
        assert a.acquire(T0)
        hung.begin()
        assert fence(a.name, a.epoch)(hung)  # FOR SHARE on the lease row, then nothing
        done = threading.Event()
        take = threading.Thread(
            target=lambda: done.set() if b.acquire(T0 + 31 * S) else None, daemon=True
        )
        take.start()
        assert done.wait(15), "the takeover waited on the hung transaction's row lock"
        assert (lease_row(db).holder, b.epoch) == ("b", 2)
        try:
            hung.execute(text("SELECT 1"))
            raise AssertionError("the hung transaction outlived its limit")
        except DBAPIError:
            pass
    finally:
        hung_engine.dispose()
        hung.close()  # ends the transaction if the server did not
        if take.is_alive():
            take.join(5)
        a.release()
        b.release()


def test_a_new_leader_not_yet_in_the_expired_row_is_left_alone(pg_only):
    """A leader takes the lock and records itself just after. A standby polling in between
    finds the lock taken and the row still naming the previous, long expired holder: it must
    not end the new leader's session (both chat-stream processes once led, one after the
    other, when started together after a restart)."""
    db = pg_only
    previous = AdvisoryLock(db, "previous", 30)
    assert previous.acquire(T0)
    previous.release(T0 + S)
    a, b, c = AdvisoryLock(db, "a", 30), AdvisoryLock(db, "b", 30), AdvisoryLock(db, "c", 1)
    taking = a._engine.connect()
    try:
        a._key = a._key_for(taking)
        assert a._try_lock(taking)  # the lock is taken; the row still names "previous"
        assert not b.acquire(T0 + 60 * S)
        assert taking.execute(text("SELECT 1")).scalar() == 1
        # A session that held the lock for a whole lease without recording itself is hung.
        assert wait_for(lambda: c.acquire(T0 + 60 * S))
        assert lease_row(db).holder == "c"
    finally:
        taking.close()
        b.release()
        c.release()


def test_a_leader_that_lost_its_lock_stands_by_a_poll_before_trying_again(pg_only, caplog):
    """Back at once, it raced the standby that took over (or that ended its session as hung)
    for the lock just freed, and could win it back."""
    db = pg_only
    caplog.set_level(logging.INFO, logger="gendan.scheduler")
    lock = AdvisoryLock(db, "host:1:lead", 3)
    process = SchedulerProcess(db, replace(TIMING, poll_seconds=3), lambda s: [], lock=lock)
    thread = threading.Thread(target=process.run)
    thread.start()
    try:
        assert wait_for(lambda: jobs._runtime is not None)
        _terminate(db, lock.backend_pid)
        assert wait_for(lambda: len(_records(caplog, "scheduler leading")) == 2)
    finally:
        process.stop.set()
        thread.join(timeout=30)
    (lost,) = _records(caplog, "scheduler lost the lead")
    again = _records(caplog, "scheduler leading")[1]
    assert again.created - lost.created >= 3 - 0.1  # the poll, not at once


def _records(caplog, message: str) -> list:
    return [r for r in caplog.records if r.getMessage().startswith(message)]
