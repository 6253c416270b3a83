"""The chat platforms down for a quarter of an hour (5xx from one, timeouts from another) on a
frozen clock: messages wait in the outbox with growing backoff, and once the platforms are back
every one is delivered exactly once, without anyone restarting anything."""

from __future__ import annotations

import pytest

from app.services.chat import enqueue, group_target, user_target
from bots.delivery.deliverer import OutboxDeliverer
from models.enums import ChatPlatform, OutboxStatus
from models.messages import OutboundMessage
from tests.bots.conftest import Now, admin
from tests.bots.live import content, pushed
from tests.bots.test_outbox_delivery import DING_GROUP, WECOM_GROUP, ding_group, rows
from tests.bots.test_outbox_delivery import wecom_group as make_wecom_group

OUTAGE = 15 * 60
STEP = 30


@pytest.fixture
def now(sim):
    return Now(sim)


@pytest.fixture
def runtime(chat_app):
    runtime = chat_app.extensions["gendan.chat"]
    robot = runtime.dingtalk_robot_sender
    old = robot.timeout
    # Shorter than the simulated hang (so a hung send times out), yet long enough that an
    # answered send on a loaded machine does not: a send that times out after the simulator
    # took it is retried, and that message arrives twice (0.3 s did, once, at load average 8).
    robot.timeout = 0.5
    yield runtime
    robot.timeout = old


def test_a_quarter_hour_outage_delays_but_neither_loses_nor_doubles(session, db, sim, now, runtime):
    targets = {
        WECOM_GROUP: group_target(make_wecom_group(session)),
        DING_GROUP: group_target(ding_group(session)),
        "wecom:lisi": user_target(ChatPlatform.wecom, "lisi"),
    }
    texts = {name: [f"{name} 第{i}条提醒" for i in range(5)] for name in targets}
    for name, target in targets.items():
        for text in texts[name]:
            enqueue(
                session=session,
                target=target,
                message=OutboundMessage.markdown("提醒", text)
                if "lisi" not in name
                else OutboundMessage.plain(text),
                kind="reliability",
                now=now(),
            )
    session.commit()
    faults = [
        {"path": "/cgi-bin/webhook/send", "kind": "status", "status": 503},
        {"path": "/cgi-bin/message/send", "kind": "status", "status": 502},
        {"path": "/robot/send", "kind": "hang", "hang_seconds": 2},
    ]
    for fault in faults:
        admin(sim, "POST", "faults", json={**fault, "seconds": OUTAGE})
    deliverer = OutboxDeliverer(db, runtime, now=now)
    try:
        passes = 0
        for _ in range(OUTAGE // STEP):
            stats = deliverer.drain_once()
            assert stats.sent == 0 and stats.failed == 0
            passes += 1
            now.advance(seconds=STEP)
        during = rows(session)
        assert {r.status for r in during} == {OutboxStatus.pending}
        # Backoff: far fewer attempts than drain passes, and every row was tried.
        attempts = [r.attempts for r in during]
        assert min(attempts) >= 1 and max(attempts) < passes / 3
        assert pushed(sim) == []
        # Back: the deliverer catches up on its own within the longest backoff.
        for _ in range(120):
            if all(r.status != OutboxStatus.pending for r in rows(session)):
                break
            deliverer.drain_once()
            now.advance(seconds=60)
    finally:
        admin(sim, "DELETE", "faults")
    after = rows(session)
    assert {r.status for r in after} <= {OutboxStatus.sent, OutboxStatus.merged}
    messages = [content(m) for m in pushed(sim)]
    every = [text for name in targets for text in texts[name]]
    assert {text: sum(m.count(text) for m in messages) for text in every} == dict.fromkeys(every, 1)
    for name in (WECOM_GROUP, DING_GROUP):  # the group messages went to their own groups
        assert all(name in text for m in pushed(sim, name) for text in every if text in content(m))
    assert deliverer.drain_once().sent == 0
    assert len(messages) <= 15
