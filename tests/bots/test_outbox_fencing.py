"""The scheduler leader's fencing token on deliveries (issue 16 item 4): a leader that was
replaced while it hung claims nothing and records nothing; the new leader sends each message
once. Real lease rows on both engines, the simulator as the chat platform."""

from __future__ import annotations

from datetime import timedelta

from app.services.chat import enqueue, user_target
from bots.senders.base import SendResult
from models.enums import ChatPlatform, OutboxStatus
from models.messages import OutboundMessage
from reminders.leader import LeaseLock, fence
from tests.bots.live import pushed
from tests.bots.test_outbox_delivery import WECOM_GROUP, queue, rows, wecom_group


def _take_over(db, now):
    """`old` leads, stalls past its lease, and `new` takes the lead with the next epoch."""
    old, new = LeaseLock(db, "old", 30), LeaseLock(db, "new", 30)
    assert old.acquire(now())
    assert new.acquire(now() + timedelta(seconds=31))
    return fence(old.name, old.epoch), fence(new.name, new.epoch)


def test_a_replaced_leader_claims_nothing_and_the_new_one_sends_each_message_once(
    session, db, deliverer, sim, now
):
    queue(session, wecom_group(session), "群提醒", now=now())
    enqueue(
        session=session,
        target=user_target(ChatPlatform.wecom, "lisi"),
        message=OutboundMessage.plain("私信提醒"),
        kind="t",
        now=now(),
    )
    session.commit()
    stale, current = _take_over(db, now)
    assert deliverer.drain_once(fence=stale).sent == 0
    assert all(r.status == OutboxStatus.pending and r.attempts == 0 for r in rows(session))
    assert pushed(sim, WECOM_GROUP) == []
    assert deliverer.drain_once(fence=current).sent == 2
    assert deliverer.drain_once(fence=stale).sent == deliverer.drain_once(fence=current).sent == 0
    assert len(pushed(sim, WECOM_GROUP)) == 1
    assert [r.status for r in rows(session)] == [OutboxStatus.sent] * 2


def test_a_leader_replaced_after_claiming_cannot_record_the_row_sent(session, db, deliverer, now):
    enqueue(
        session=session,
        target=user_target(ChatPlatform.wecom, "lisi"),
        message=OutboundMessage.plain("租约内"),
        kind="t",
        now=now(),
    )
    session.commit()
    old = LeaseLock(db, "old", 30)
    assert old.acquire(now())
    (claimed,) = deliverer._claim_direct(now(), fence=fence(old.name, old.epoch))
    assert LeaseLock(db, "new", 30).acquire(now() + timedelta(seconds=31))
    deliverer._finish(claimed, SendResult("ok", 0, "ok"), fence(old.name, old.epoch))
    (row,) = rows(session)
    assert row.status == OutboxStatus.sending and row.sent_at is None
