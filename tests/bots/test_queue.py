"""The claim/lease/retry helper both job queues use (the outbox and bot tasks), on bot tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.chat import enqueue_task
from bots.queue import Queue, backoff
from models.enums import TaskStatus
from models.outbox import BotTask
from tests.clocks import local

LEASE = timedelta(minutes=5)
QUEUE = Queue(
    BotTask,
    pending=TaskStatus.pending,
    running=TaskStatus.running,
    dead=TaskStatus.failed,
    lease=LEASE,
    max_attempts=2,
)


@pytest.fixture()
def now():
    return local(10)


def _tasks(session, now, n):
    ids = [enqueue_task(session=session, kind="standup", payload={}, now=now).id for _ in range(n)]
    session.commit()
    return ids


def _claim(session, owner, now, limit=10):
    rows = QUEUE.claim(session, owner, now, limit=limit)
    session.commit()
    return [r.id for r in rows]


def test_a_claim_leases_the_oldest_due_rows_and_a_second_worker_gets_the_rest(session, now):
    ids = _tasks(session, now, 3)
    assert _claim(session, "a", now, limit=2) == ids[:2]
    assert _claim(session, "b", now) == ids[2:]
    assert _claim(session, "c", now) == []
    row = session.get(BotTask, ids[0])
    assert (row.status, row.lease_owner, row.lease_until, row.attempts) == (
        TaskStatus.running,
        "a",
        now + LEASE,
        1,
    )


def test_a_row_not_yet_due_is_not_claimed(session, now):
    _tasks(session, now + timedelta(minutes=1), 1)
    assert _claim(session, "a", now) == []


def test_a_row_that_is_no_longer_due_when_taken_is_left_out(session, now):
    ids = _tasks(session, now, 2)
    picked = QUEUE.pick(session, now, limit=10)
    picked[0].status = TaskStatus.done
    taken = QUEUE.take(session, picked, "a", now)
    session.commit()
    assert [r.id for r in taken] == ids[1:]


def test_an_abandoned_lease_is_claimed_again_and_the_first_worker_can_no_longer_record(
    session, now
):
    (task,) = _tasks(session, now, 1)
    _claim(session, "dead worker", now)
    assert _claim(session, "b", now + LEASE - timedelta(seconds=1)) == []
    assert _claim(session, "b", now + LEASE + timedelta(seconds=1)) == [task]
    assert QUEUE.held(session, "dead worker", task) is None
    assert QUEUE.held(session, "b", task).attempts == 2


def test_a_renewed_lease_keeps_the_row_and_a_lost_one_cannot_be_renewed(session, now):
    (task,) = _tasks(session, now, 1)
    _claim(session, "a", now)
    assert QUEUE.renew(session, "a", task, now + timedelta(minutes=4))
    session.commit()
    assert _claim(session, "b", now + LEASE + timedelta(seconds=1)) == []
    assert not QUEUE.renew(session, "b", task, now)


def test_finish_held_ends_only_the_lease_it_names_in_one_update(session, now):
    (task,) = _tasks(session, now, 1)
    _claim(session, "a", now)
    first_until = now + LEASE
    later = now + LEASE + timedelta(seconds=1)
    assert _claim(session, "a", later) == [task]  # the same owner's lease, taken again later

    def finish(owner, until):
        ended = QUEUE.finish_held(
            session, owner, task, until, TaskStatus.done, (BotTask.attempts,), finished_at=later
        )
        session.commit()
        return ended

    assert finish("b", later + LEASE) is None  # not b's
    assert finish("a", first_until) is None  # a's earlier lease, not this one
    session.expire_all()
    assert session.get(BotTask, task).status == TaskStatus.running
    assert tuple(finish("a", later + LEASE)) == (2,)
    session.expire_all()
    row = session.get(BotTask, task)
    assert (row.status, row.lease_owner, row.lease_until, row.finished_at) == (
        TaskStatus.done,
        None,
        None,
        later,
    )
    assert finish("a", later + LEASE) is None  # ended already


def test_a_retry_waits_its_backoff_and_the_last_attempt_ends_dead(session, now):
    (task,) = _tasks(session, now, 1)
    _claim(session, "a", now)
    assert QUEUE.retry(session, QUEUE.held(session, "a", task), now, 30)
    session.commit()
    row = session.get(BotTask, task)
    assert (row.status, row.not_before, row.lease_owner) == (
        TaskStatus.pending,
        now + timedelta(seconds=30),
        None,
    )
    assert _claim(session, "a", now + timedelta(seconds=29)) == []
    assert _claim(session, "a", now + timedelta(seconds=30)) == [task]
    assert not QUEUE.retry(session, QUEUE.held(session, "a", task), now, 30)
    session.commit()
    assert session.get(BotTask, task).status == TaskStatus.failed
    assert _claim(session, "a", now + timedelta(days=1)) == []


def test_a_released_row_is_due_again_and_its_attempt_does_not_count(session, now):
    (task,) = _tasks(session, now, 1)
    _claim(session, "a", now)
    QUEUE.release(session, QUEUE.held(session, "a", task), now + timedelta(seconds=5))
    session.commit()
    row = session.exec(select(BotTask).where(BotTask.id == task)).one()
    assert (row.status, row.attempts, row.lease_owner) == (TaskStatus.pending, 0, None)
    assert _claim(session, "b", now + timedelta(seconds=5)) == [task]


def test_backoff_doubles_from_fifteen_seconds_to_an_hour_and_honours_retry_after():
    assert [backoff(n, jitter=False) for n in (1, 2, 3)] == [15.0, 30.0, 60.0]
    assert backoff(20, jitter=False) == 3600.0
    assert 12.0 <= backoff(1) <= 15.0
    assert backoff(1, retry_after=90) == 90


def test_finish_held_without_a_lease_end_ends_the_owners_lease_whatever_its_end(session, now):
    """`until` None: the owner's running row is ended, whichever lease it holds (the UPDATE of
    that shape is built apart from the one naming the lease's end)."""
    (task,) = _tasks(session, now, 1)
    _claim(session, "a", now)

    def finish(owner):
        ended = QUEUE.finish_held(session, owner, task, None, TaskStatus.done, (BotTask.id,))
        session.commit()
        return ended

    assert finish("b") is None  # not b's
    assert tuple(finish("a")) == (task,)
    session.expire_all()
    assert session.get(BotTask, task).status == TaskStatus.done
    assert finish("a") is None  # ended already
