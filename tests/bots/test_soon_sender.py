"""The worker's background sender: DingTalk replies leave after the acknowledgement, on a
thread of their own, and nothing is lost when a batch fails (the delivery loop sends it)."""

from __future__ import annotations

import time
from datetime import timedelta

from app.services.chat import enqueue, session_target
from bots.delivery.soon import SoonSender
from models.enums import OutboxStatus
from models.messages import OutboundMessage
from models.outbox import Outbox
from tests.bots.live import DING_GROUP, wait_pushed


def session_reply(session, sim, now, text: str) -> int:
    sim.state.sessions["soon"] = (DING_GROUP, sim.state.clock.now() + 3600)
    target = session_target(
        f"{sim.url}/robot/sendBySession?session=soon", now() + timedelta(hours=1)
    )
    row = enqueue(
        session=session, target=target, message=OutboundMessage.plain(text), kind="t", now=now()
    )
    session.commit()
    return row.id


def status(session, row_id: int) -> str:
    session.expire_all()
    return session.get(Outbox, row_id).status


def test_submitted_replies_are_sent_by_the_background_thread(session, sim, deliverer, now):
    ids = [session_reply(session, sim, now, f"回复 {i}") for i in range(3)]
    sender = SoonSender(lambda: deliverer)
    sender.submit(ids)
    assert len(wait_pushed(sim, DING_GROUP, 3, api="sessionWebhook")) == 3
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(status(session, i) != OutboxStatus.sent for i in ids):
        time.sleep(0.05)
    assert [status(session, i) for i in ids] == [OutboxStatus.sent] * 3


def test_a_failing_batch_leaves_the_rows_to_the_delivery_loop(session, sim, deliverer, now):
    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("deliverer unavailable")

    sender = SoonSender(broken)
    row_id = session_reply(session, sim, now, "稍后送达")
    sender.submit([row_id])
    deadline = time.monotonic() + 10
    while not calls and time.monotonic() < deadline:
        time.sleep(0.02)
    assert calls and status(session, row_id) == OutboxStatus.pending
    later = session_reply(session, sim, now, "线程仍在")  # the thread survived the failure
    sender.deliverer = lambda: deliverer
    sender.submit([later])
    wait_pushed(sim, DING_GROUP, 1, api="sessionWebhook")
    deliverer.drain_once()  # the delivery loop sends what the failed batch left
    assert len(wait_pushed(sim, DING_GROUP, 2, api="sessionWebhook")) == 2
