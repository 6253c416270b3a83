"""Outbox delivery against the simulator: outages, timeouts, permanent failures, the robots'
20-a-minute limit, leases, and several deliverers at once. Nothing lost, nothing doubled."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from app.services.chat import (
    create_group,
    enqueue,
    group_target,
    session_target,
    update_group,
    user_target,
)
from app.services.core import Actor
from bots.delivery.deliverer import LEASE, Claimed, OutboxDeliverer
from models.chat import ChatGroupCreate, ChatGroupUpdate
from models.enums import Channel, ChatPlatform, OutboxStatus
from models.messages import OutboundMessage
from models.outbox import Outbox
from tests.bots.conftest import (
    admin,
    calls,
)
from tests.bots.live import content, pushed

WECOM_GROUP = "wecom-robot:wecom-robot-key-1"
DING_GROUP = "dingtalk:cid-project-a001"
SYSTEM = Actor.system(Channel.cli)


def wecom_group(session, key="wecom-robot-key-1"):
    data = ChatGroupCreate(platform=ChatPlatform.wecom, name="企业微信群", webhook=key)
    return create_group(session=session, actor=SYSTEM, data=data)


def ding_group(session):
    data = ChatGroupCreate(
        platform=ChatPlatform.dingtalk,
        name="钉钉群",
        webhook="dingtalk-robot-token-1",
        secret="SECdingtalk-robot-secret-1",
        conversation_id="cid-project-a001",
    )
    return create_group(session=session, actor=SYSTEM, data=data)


def queue(session, group, *texts, now=None):
    rows = [
        enqueue(
            session=session,
            target=group_target(group),
            message=OutboundMessage.markdown("提醒", t),
            kind="test",
            now=now,
        )
        for t in texts
    ]
    session.commit()
    return rows


def rows(session):
    """The outbox as it is now, read in a transaction of its own (no lock stays held)."""
    session.commit()
    query = select(Outbox).order_by(Outbox.id).execution_options(populate_existing=True)
    found = list(session.exec(query).all())
    session.commit()
    return found


def test_a_group_message_is_sent_once_and_marked_sent(session, deliverer, sim, now):
    queue(session, wecom_group(session), "第一条", now=now())
    stats = deliverer.drain_once()
    assert (stats.sent, stats.retried, stats.failed) == (1, 0, 0)
    assert deliverer.drain_once().sent == 0
    (row,) = rows(session)
    assert row.status == OutboxStatus.sent and row.sent_at is not None and row.attempts == 1
    (message,) = pushed(sim, WECOM_GROUP)
    assert "第一条" in content(message)


def test_an_outage_is_retried_with_backoff_until_the_platform_is_back(session, deliverer, sim, now):
    queue(session, ding_group(session), "停电期间的提醒", now=now())
    admin(
        sim,
        "POST",
        "faults",
        json={"path": "/robot/send", "kind": "status", "status": 503, "count": 3},
    )
    delays = []
    for _ in range(3):
        assert deliverer.drain_once().retried == 1
        (row,) = rows(session)
        assert row.status == OutboxStatus.pending and row.last_error == "HTTP 503"
        delays.append((row.not_before - now()).total_seconds())
        assert deliverer.drain_once().retried == 0  # not due yet
        now.set(row.not_before)
    assert delays[0] < delays[1] < delays[2]  # exponential
    assert deliverer.drain_once().sent == 1
    (row,) = rows(session)
    assert row.status == OutboxStatus.sent and row.attempts == 4
    assert len(pushed(sim, DING_GROUP, api="robot/send")) == 1


def test_a_timeout_is_retried_and_delivered_exactly_once(session, deliverer, sim, now, chat_app):
    runtime = chat_app.extensions["gendan.chat"]
    # The first send hangs until the simulator is reset: only the client's timeout ends it, and
    # the retry has a whole second to be answered on a loaded machine (0.3 s was not always).
    runtime.wecom_robot.timeout = 1.0
    try:
        queue(session, wecom_group(session), "超时的提醒", now=now())
        fault = {"path": "/cgi-bin/webhook/send", "kind": "hang", "hang_seconds": 60, "count": 1}
        admin(sim, "POST", "faults", json=fault)
        assert deliverer.drain_once().retried == 1
        assert "timeout" in rows(session)[0].last_error
        now.advance(minutes=1)
        assert deliverer.drain_once().sent == 1
    finally:
        runtime.wecom_robot.timeout = 5.0
    assert [content(m) for m in pushed(sim, WECOM_GROUP)] == ["### 提醒\n超时的提醒"]


def test_a_permanent_failure_stops_keeps_its_reason_and_can_be_retried(
    session, deliverer, sim, now
):
    group = wecom_group(session, key="no-such-robot-key")
    queue(session, group, "发不出去", now=now())
    assert deliverer.drain_once().failed == 1
    now.advance(hours=5)
    assert deliverer.drain_once().failed == 0  # failed rows are not retried on their own
    (row,) = rows(session)
    assert (row.status, row.errcode) == (OutboxStatus.failed, 93000)
    assert "invalid webhook key" in row.last_error
    update_group(
        session=session,
        actor=SYSTEM,
        group_id=group.id,
        data=ChatGroupUpdate(webhook="wecom-robot-key-1"),
    )
    row.status, row.not_before = OutboxStatus.pending, now()
    session.add(row)
    session.commit()
    assert deliverer.drain_once().sent == 1


def test_more_due_than_the_robot_allows_are_merged_into_one_digest(session, deliverer, sim, now):
    queue(session, wecom_group(session), *(f"提醒{i:02d}" for i in range(30)), now=now())
    stats = deliverer.drain_once()
    assert (stats.sent, stats.merged) == (1, 30)
    (digest,) = pushed(sim, WECOM_GROUP)
    text = content(digest)
    assert "消息汇总（30 条）" in text and all(f"提醒{i:02d}" in text for i in range(30))
    originals = [r for r in rows(session) if r.kind == "test"]
    assert {r.status for r in originals} == {OutboxStatus.merged}
    assert len({r.digest_id for r in originals}) == 1
    assert not [c for c in calls(sim, "/cgi-bin/webhook/send") if c["errcode"] == 45009]


def test_the_twenty_a_minute_window_is_never_exceeded(session, deliverer, sim, now):
    group = wecom_group(session)
    queue(session, group, *(f"a{i}" for i in range(15)), now=now())
    assert deliverer.drain_once().sent == 15
    now.advance(seconds=10)
    queue(session, group, *(f"b{i}" for i in range(10)), now=now())
    stats = deliverer.drain_once()  # 5 left in the window, 10 due: one digest
    assert (stats.sent, stats.merged) == (1, 10)
    for _ in range(4):
        now.advance(seconds=5)
        queue(session, group, "c", now=now())
        assert deliverer.drain_once().sent == 1
    now.advance(seconds=5)
    queue(session, group, "d", now=now())
    assert deliverer.drain_once().sent == 0  # 20 sends in the last minute: wait
    now.advance(seconds=60)
    assert deliverer.drain_once().sent == 1
    assert len(pushed(sim, WECOM_GROUP)) == 21
    assert not [c for c in calls(sim, "/cgi-bin/webhook/send") if c["errcode"] == 45009]


def test_a_throttled_dingtalk_robot_pauses_its_group(session, deliverer, sim, now):
    group = ding_group(session)
    queue(session, group, "一", "二", now=now())
    fault = {"path": "/robot/send", "kind": "errcode", "errcode": 130101, "count": 1}
    admin(sim, "POST", "faults", json=fault)
    stats = deliverer.drain_once()
    assert stats.retried == 1 and stats.sent == 0  # the second waits behind the pause
    session.refresh(group)
    paused = group.paused_until
    session.commit()
    assert paused >= now() + timedelta(seconds=590)
    assert deliverer.drain_once().sent == 0
    now.set(paused + timedelta(seconds=1))
    assert deliverer.drain_once().sent == 2


def test_a_crash_after_claiming_resends_only_after_the_lease(
    session, deliverer, chat_app, db, sim, now
):
    group = user_target(ChatPlatform.wecom, "lisi")
    enqueue(
        session=session, target=group, message=OutboundMessage.plain("租约"), kind="t", now=now()
    )
    session.commit()
    crashed = OutboxDeliverer(db, chat_app.extensions["gendan.chat"], now=now)
    assert len(crashed._claim_direct(now())) == 1  # claimed, then the process dies
    assert deliverer.drain_once().sent == 0
    now.advance(minutes=3)
    assert deliverer.drain_once().sent == 1
    (row,) = rows(session)
    assert row.status == OutboxStatus.sent and row.attempts == 2


def leased_reply(session, sim, now, worker, text="回执") -> Outbox:
    """A DingTalk reply inserted leased to `worker`, as the webhook inserts it."""
    sim.state.sessions["lease"] = (DING_GROUP, sim.state.clock.now() + 3600)
    target = session_target(
        f"{sim.url}/robot/sendBySession?session=lease", now() + timedelta(hours=1)
    )
    row = enqueue(
        session=session,
        target=target,
        message=OutboundMessage.plain(text),
        kind="bot_reply",
        now=now(),
        lease=worker.lease_new,
    )
    session.commit()
    return row


def test_a_reply_inserted_leased_whose_worker_dies_is_sent_once_after_the_lease(
    session, deliverer, chat_app, db, sim, now
):
    worker = OutboxDeliverer(db, chat_app.extensions["gendan.chat"], now=now)
    claimed = Claimed.of(leased_reply(session, sim, now, worker))
    (row,) = rows(session)  # what a claim would have written
    assert (row.status, row.lease_owner, row.attempts) == (OutboxStatus.sending, worker.owner, 1)
    assert row.lease_until == now() + LEASE and row.last_attempt_at == now()
    # The worker dies before its background thread sends: the row is nobody else's until the
    # lease runs out, then the delivery loop sends it, once.
    assert deliverer.drain_once().sent == 0
    now.advance(seconds=LEASE.total_seconds() - 1)
    assert deliverer.drain_once().sent == 0
    now.advance(seconds=2)
    assert deliverer.drain_once().sent == 1
    assert deliverer.drain_once().sent == 0
    # A worker that only hung and wakes up now leaves the row alone: its lease ran out.
    assert worker.deliver_now(leased=[claimed]).sent == 0
    (row,) = rows(session)
    assert row.status == OutboxStatus.sent and row.attempts == 2
    assert len(pushed(sim, DING_GROUP, api="sessionWebhook")) == 1


def test_a_leased_reply_the_platform_refuses_now_is_retried_by_the_loop(
    session, deliverer, chat_app, db, sim, now
):
    worker = OutboxDeliverer(db, chat_app.extensions["gendan.chat"], now=now)
    claimed = Claimed.of(leased_reply(session, sim, now, worker))
    admin(
        sim,
        "POST",
        "faults",
        json={"path": "/robot/sendBySession", "kind": "status", "status": 502, "count": 1},
    )
    assert worker.deliver_now(leased=[claimed]).retried == 1  # straight to the send: no claim
    (row,) = rows(session)
    assert row.status == OutboxStatus.pending and row.lease_owner is None and row.attempts == 1
    assert deliverer.drain_once().sent == 0  # backing off
    now.advance(seconds=16)
    assert deliverer.drain_once().sent == 1
    assert len(pushed(sim, DING_GROUP, api="sessionWebhook")) == 1


def test_group_rows_are_not_inserted_leased(session, deliverer):
    """A group row is claimed as today: its robot's rate window is counted when it is."""
    group = ding_group(session)
    row = enqueue(
        session=session,
        target=group_target(group),
        message=OutboundMessage.plain("群消息"),
        kind="t",
        lease=deliverer.lease_new,
    )
    session.commit()
    assert row.status == OutboxStatus.pending and row.lease_owner is None and row.attempts == 0
    alert_row = Outbox(kind="t", channel="dingtalk_session", message={}, alert_id=7)
    assert deliverer.lease_new(alert_row) is False and alert_row.lease_owner is None


def test_an_expired_session_webhook_fails_for_good(session, deliverer, now):
    target = session_target(
        "http://127.0.0.1:1/robot/sendBySession?session=x", now() - timedelta(minutes=1)
    )
    enqueue(
        session=session, target=target, message=OutboundMessage.plain("迟到"), kind="t", now=now()
    )
    session.commit()
    assert deliverer.drain_once().failed == 1
    assert "sessionWebhook" in rows(session)[0].last_error


def _drain_in_threads(chat_app, db, now, passes=3):
    workers = [OutboxDeliverer(db, chat_app.extensions["gendan.chat"], now=now) for _ in range(2)]
    start = threading.Barrier(len(workers))

    def run(worker):
        start.wait()
        for _ in range(passes):
            worker.drain_once()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_two_deliverers_send_each_message_once(session, chat_app, db, sim, now):
    for i in range(40):
        enqueue(
            session=session,
            target=user_target(ChatPlatform.wecom, "lisi"),
            message=OutboundMessage.plain(f"消息{i:02d}"),
            kind="t",
            now=now(),
        )
    session.commit()
    _drain_in_threads(chat_app, db, now)
    texts = sorted(content(m) for m in pushed(sim, "wecom:user:lisi"))
    assert texts == [f"消息{i:02d}" for i in range(40)]
    assert {r.status for r in rows(session)} == {OutboxStatus.sent}


def test_two_deliverers_share_one_robot_window(session, chat_app, db, sim, now):
    queue(session, wecom_group(session), *(f"群消息{i:02d}" for i in range(30)), now=now())
    _drain_in_threads(chat_app, db, now)
    sent = pushed(sim, WECOM_GROUP)
    assert len(sent) <= 20
    text = "\n".join(content(m) for m in sent)
    assert all(text.count(f"群消息{i:02d}") == 1 for i in range(30))
    assert not [c for c in calls(sim, "/cgi-bin/webhook/send") if c["errcode"] == 45009]
