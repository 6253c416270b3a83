"""Outbox delivery: claim due messages safely across processes, send them, record the outcome.

Claiming (bots/queue.py): due rows are picked `FOR UPDATE SKIP LOCKED` (PostgreSQL) and taken
with a conditional UPDATE, marked `sending` with a lease in a short transaction, then sent
outside any transaction, then marked sent / pending (retry later) / failed.

Fencing: the scheduler passes its leader's fence to `drain_once`; it is checked in the same
transaction that claims rows and in the one that records a row sent, so a scheduler that was
replaced while it hung claims and records nothing (see reminders.leader).

Leased at birth: a DingTalk reply is inserted already leased to the web worker's deliverer
(`lease_new`, in the transaction that records the message), and the worker's background thread
sends it with no claiming transaction (`deliver_now(leased=...)`); if the worker dies first, the
lease runs out and the delivery loop sends it like any abandoned row. The thread sends a leased
row only while at least SEND_MARGIN of its lease is left, so the loop cannot have taken it.

At-least-once window: if a process dies after the platform accepted a message but before it
marked the row sent, the row stays `sending` until its lease (2 minutes) runs out and is
then sent again. Nothing else sends a row twice: a finished row is only written by the
process holding its lease, and a sent row is never claimed again.

Group robots accept 20 messages a minute. Each claim for a group is written to robot_send
in the same transaction, under a lock on the group row, so every process sees the same
sliding window; when more messages are due than the window allows, they are merged into
digest messages (the originals become `merged`, pointing at their digest).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import Session, col, func, select

from app.services.alerts import closed_reasons, mark_delivered, render_stubs
from bots.delivery.digest import merge_messages, pack
from bots.delivery.targets import resolve
from bots.queue import Queue, backoff
from bots.runtime import ChatRuntime, NotConfigured
from bots.senders.base import RATE_LIMITED, SendResult
from models.base import utcnow
from models.chat import ChatGroup
from models.enums import OutboxStatus
from models.errors import DomainError
from models.messages import is_stub, message_from_dict, message_to_dict
from models.outbox import Outbox, RobotSend

log = logging.getLogger("gendan.delivery")

# Whether the caller may still deliver, checked inside the claiming / recording transaction.
Fence = Callable[[Session], bool]

LEASE = timedelta(minutes=2)
# A row leased at birth is sent only while this much of its lease is left (a send takes seconds).
SEND_MARGIN = LEASE / 2
RATE_LIMIT = 20
RATE_WINDOW = timedelta(seconds=60)
BATCH = 50
# Outbox rows are retried until they are sent or refused for good: no attempt limit.
OUTBOX_QUEUE = Queue(
    Outbox,
    pending=OutboxStatus.pending,
    running=OutboxStatus.sending,
    dead=OutboxStatus.failed,
    lease=LEASE,
)


@dataclass
class Claimed:
    id: int
    channel: str
    group_id: int | None
    target: dict
    message: dict
    lease_until: datetime | None = None

    @classmethod
    def of(cls, row: Outbox) -> Claimed:
        return cls(
            row.id,
            str(row.channel),
            row.group_id,
            dict(row.target),
            dict(row.message),
            row.lease_until,
        )


@dataclass
class DrainStats:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    merged: int = 0

    def add(self, result: SendResult) -> None:
        if result.ok:
            self.sent += 1
        elif result.status == "retryable":
            self.retried += 1
        else:
            self.failed += 1


class OutboxDeliverer:
    def __init__(
        self,
        db,
        runtime: ChatRuntime,
        *,
        now: Callable[[], datetime] = utcnow,
        batch: int = BATCH,
        rate_limit: int = RATE_LIMIT,
    ):
        self.db, self.runtime, self.now = db, runtime, now
        self.batch, self.rate_limit = batch, rate_limit
        self.owner = uuid.uuid4().hex
        self._pruned_at: datetime | None = None

    def drain_once(self, fence: Fence | None = None) -> DrainStats:
        """Send everything that is due now (within the robots' rate limits)."""
        now, stats = self.now(), DrainStats()
        claimed = self._claim_direct(now, fence=fence)
        for group_id in self._due_groups(now):
            claimed += self._claim_group(group_id, now, stats, fence)
        paused: set[int] = set()
        for row in claimed:
            if row.group_id in paused:  # the robot just said "too fast": the rest wait too
                self._release(row)
                continue
            result = self._deliver(row, fence)
            stats.add(result)
            if row.group_id and result.errcode in RATE_LIMITED:
                paused.add(row.group_id)
        self._prune(now)
        return stats

    def deliver_now(self, ids: Sequence[int] = (), leased: Sequence[Claimed] = ()) -> DrainStats:
        """Send direct (non-group) rows now, a reply right after a webhook: the rows `ids` if
        still due (claimed first), and rows this deliverer inserted leased (`lease_new`:
        straight to the send, while enough of their lease is left)."""
        stats = DrainStats()
        for row in self._claim_direct(self.now(), only=list(ids)) if ids else []:
            stats.add(self._deliver(row))
        for row in leased:
            if row.lease_until is None or row.lease_until - SEND_MARGIN <= self.now():
                log.warning("outbox %s: its lease runs out; left to the delivery loop", row.id)
                continue
            stats.add(self._deliver(row, alone=True))
        return stats

    def lease_new(self, row: Outbox) -> bool:
        """Lease a row about to be inserted to this deliverer, for `deliver_now(leased=...)`
        (its values are those a claim writes). Not a group row (the robot's rate window is
        counted when it is claimed) nor an alert's (it is cancelled if the alert closed)."""
        if row.group_id is not None or row.alert_id is not None:
            return False
        now = self.now()
        OUTBOX_QUEUE.lease_new(row, self.owner, now, last_attempt_at=now)
        return True

    # claiming ----------------------------------------------------------------------------

    def _claim(
        self, session: Session, rows: list[Outbox], now: datetime, fence: Fence | None
    ) -> list[Claimed]:
        if rows and not _within(fence, session):
            return []
        taken = OUTBOX_QUEUE.take(session, rows, self.owner, now, last_attempt_at=now)
        return [Claimed.of(row) for row in taken]

    def _claim_direct(
        self, now: datetime, only: list[int] | None = None, fence: Fence | None = None
    ) -> list[Claimed]:
        where = [col(Outbox.group_id).is_(None)]
        if only is not None:
            where.append(col(Outbox.id).in_(only))
        with self.db.session() as session:
            rows = OUTBOX_QUEUE.pick(session, now, limit=self.batch, where=where)
            rows = _drop_closed(session, rows)
            render_stubs(session, rows, now)
            claimed = self._claim(session, rows, now, fence)
            session.commit()
        return claimed

    def _due_groups(self, now: datetime) -> list[int]:
        due = OUTBOX_QUEUE.due(now)
        query = select(Outbox.group_id).where(due, col(Outbox.group_id).is_not(None)).distinct()
        with self.db.session(readonly=True) as session:
            return sorted(session.exec(query).all())

    def _claim_group(
        self, group_id: int, now: datetime, stats: DrainStats, fence: Fence | None = None
    ) -> list[Claimed]:
        with self.db.session() as session:
            lock = (
                select(ChatGroup).where(ChatGroup.id == group_id).with_for_update(skip_locked=True)
            )
            group = session.exec(lock).first()
            if (
                group is None
                or not group.active
                or (group.paused_until and group.paused_until > now)
            ):
                return []
            used = session.exec(
                select(func.count())
                .select_from(RobotSend)
                .where(RobotSend.group_id == group_id, RobotSend.at > now - RATE_WINDOW)
            ).one()
            budget = self.rate_limit - used
            if budget <= 0:
                return []
            where = [Outbox.group_id == group_id]
            rows = OUTBOX_QUEUE.pick(session, now, limit=500, where=where)
            if rows and not _within(fence, session):
                return []
            rows = _drop_closed(session, rows)
            render_stubs(session, rows, now)
            if len(rows) > budget:
                rows = self._digest(session, rows, budget, now, stats)
            claimed = self._claim(session, rows, now, None)
            session.add_all(RobotSend(group_id=group_id, at=now) for _ in claimed)
            session.commit()
        return claimed

    def _digest(
        self, session: Session, rows: list[Outbox], budget: int, now: datetime, stats: DrainStats
    ) -> list[Outbox]:
        """Merge more messages than the window allows into at most `budget` digests."""
        out = []
        for chunk in pack(rows, budget):
            if len(chunk) == 1:
                out.append(chunk[0])
                continue
            orders = {r.order_id for r in chunk}
            digest = Outbox(
                created_at=now,
                kind="digest",
                channel=chunk[0].channel,
                group_id=chunk[0].group_id,
                message=message_to_dict(
                    merge_messages([message_from_dict(r.message) for r in chunk])
                ),
                order_id=orders.pop() if len(orders) == 1 else None,
                not_before=now,
            )
            session.add(digest)
            session.flush()
            for row in chunk:
                row.status, row.digest_id = OutboxStatus.merged, digest.id
                row.lease_owner = row.lease_until = None
                session.add(row)
            stats.merged += len(chunk)
            out.append(digest)
        return out

    # sending and recording ---------------------------------------------------------------

    def _deliver(self, row: Claimed, fence: Fence | None = None, *, alone=False) -> SendResult:
        """Send a claimed row and record the outcome. `alone`: the row carries no alert (a row
        `lease_new` took), so its record as sent is the one UPDATE."""
        if is_stub(row.message):  # a stub the claim could not render (it names no alert)
            result = SendResult.permanent("消息内容未生成（没有对应的预警），无法发送")
            self._finish(row, result, fence)
            return result
        try:
            sender, target = resolve(self.db, self.runtime, row)
            result = sender.send(target, message_from_dict(row.message))
        except NotConfigured as exc:
            result = SendResult.permanent(str(exc))
        except DomainError as exc:
            result = SendResult.permanent(exc.message)
        except Exception as exc:  # a sender bug must not lose the message: retry it later
            log.exception("outbox %s: unexpected error while sending", row.id)
            result = SendResult("retryable", None, f"unexpected {type(exc).__name__}")
        self._finish(row, result, fence, alone=alone)
        return result

    def _finish(self, row: Claimed, result: SendResult, fence: Fence | None = None, *, alone=False):
        now = self.now()
        if result.ok and alone and fence is None and not self.db.is_sqlite:
            self._sent_alone(row, now)
            return
        if result.ok:
            self._sent(row, now, fence)
            return
        with self.db.session() as session:
            entry = OUTBOX_QUEUE.held(session, self.owner, row.id, row.lease_until)
            if entry is None:
                log.warning("outbox %s: lease lost before the result was recorded", row.id)
                return
            if not _within(fence, session):
                return
            entry.errcode = result.errcode
            if result.status == "retryable":
                entry.last_error = result.reason[:500]
                delay = backoff(entry.attempts, result.retry_after)
                OUTBOX_QUEUE.retry(session, entry, now, delay)
                if entry.group_id and result.errcode in RATE_LIMITED:
                    self._pause(session, entry.group_id, now + timedelta(seconds=delay))
            else:
                OUTBOX_QUEUE.finish(session, entry, OutboxStatus.failed)
                entry.last_error = result.reason[:500]
                log.warning("outbox %s failed for good: %s", row.id, result.reason)
            session.commit()

    def _sent(self, row: Claimed, now: datetime, fence: Fence | None) -> None:
        """Record a row sent: one conditional UPDATE while the lease holds (and the fence, if
        any, still lets this process deliver), then the alerts it carried."""
        with self.db.session() as session:
            if not _within(fence, session):
                return
            ended = OUTBOX_QUEUE.finish_held(
                session,
                self.owner,
                row.id,
                row.lease_until,
                OutboxStatus.sent,
                (Outbox.kind, Outbox.alert_id),
                sent_at=now,
                last_error=None,
                errcode=None,
            )
            if ended is None:
                log.warning("outbox %s: lease lost before the result was recorded", row.id)
                return
            mark_delivered(session, _carried_alerts(session, row.id, *ended), now)
            session.commit()

    def _sent_alone(self, row: Claimed, now: datetime) -> None:
        """_sent for a row that carries no alert, on PostgreSQL: the conditional UPDATE is its
        own transaction (autocommit), without the BEGIN and COMMIT round trips. SQLite keeps
        the transaction, which takes this process's writer lock first (app/db.py)."""
        with self.db.autocommit.connect() as conn:
            ended = OUTBOX_QUEUE.finish_held(
                conn,
                self.owner,
                row.id,
                row.lease_until,
                OutboxStatus.sent,
                (Outbox.alert_id,),
                sent_at=now,
                last_error=None,
                errcode=None,
            )
        if ended is None:
            log.warning("outbox %s: lease lost before the result was recorded", row.id)
        elif ended.alert_id is not None:  # lease_new refuses such rows: never expected
            log.error("outbox %s carried alert %s; not marked delivered", row.id, ended.alert_id)

    def _release(self, row: Claimed) -> None:
        """Give a claimed row back untried; it goes when its group's pause ends."""
        with self.db.session() as session:
            entry = OUTBOX_QUEUE.held(session, self.owner, row.id, row.lease_until)
            if entry is not None:
                group = session.get(ChatGroup, row.group_id)
                OUTBOX_QUEUE.release(session, entry, group.paused_until or self.now())
                session.commit()

    def _pause(self, session: Session, group_id: int, until: datetime) -> None:
        group = session.get(ChatGroup, group_id)
        if group is not None:
            group.paused_until = until
            session.add(group)

    def _prune(self, now: datetime) -> None:
        """Forget robot sends older than an hour (at most once a minute: it takes a write lock)."""
        if self._pruned_at is not None and now - self._pruned_at < RATE_WINDOW:
            return
        self._pruned_at = now
        with self.db.session() as session:
            session.exec(delete(RobotSend).where(RobotSend.at < now - timedelta(hours=1)))
            session.commit()


def _drop_closed(session: Session, rows: list[Outbox]) -> list[Outbox]:
    """Cancel, instead of sending, the rows whose alert was acknowledged, resolved, superseded
    or deleted while they waited; the others, to send."""
    reasons = closed_reasons(session, {r.alert_id for r in rows if r.alert_id is not None})
    for row in rows:
        if row.alert_id in reasons:
            session.execute(
                update(Outbox)
                .where(Outbox.id == row.id, Outbox.status == OutboxStatus.pending)
                .values(status=OutboxStatus.cancelled, cancel_reason=reasons[row.alert_id])
            )
    if reasons:
        log.info("outbox: cancelled the messages of closed alerts %s", sorted(reasons))
    return [r for r in rows if r.alert_id not in reasons]


def _carried_alerts(session: Session, row_id: int, kind: str, alert_id: int | None) -> set[int]:
    """The alerts a sent row delivered: its own, or those of the rows merged into it."""
    merged = select(Outbox.alert_id).where(
        Outbox.digest_id == row_id, col(Outbox.alert_id).is_not(None)
    )
    ids = set(session.exec(merged).all()) if kind == "digest" else set()
    return ids | ({alert_id} if alert_id is not None else set())


def _within(fence: Fence | None, session: Session) -> bool:
    """Whether the fence (if any) still lets this process deliver; logged when it does not."""
    if fence is None or fence(session):
        return True
    log.warning("outbox: this scheduler no longer leads; delivering nothing")
    return False
