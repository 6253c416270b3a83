"""Retention of closed warnings: what the daily prune deletes (closed longer than
ALERT_RETENTION_DAYS, with their outbox rows) and what it keeps (open alerts, acknowledged or
not, recent closed ones, closed ones with a message still on its way); in batches; 0 keeps all.
And the sweep's fast acknowledgement tokens are the serializer's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.alerts import alert_for_token, alert_token, prune_closed_alerts
from app.services.alerts.handling import token_maker
from app.services.core import configure, settings
from models.alerts import Alert
from models.enums import OutboxChannel, OutboxStatus, RiskLevel
from models.outbox import Outbox
from reminders.alert_jobs import prune
from tests.clocks import days, local
from tests.factories import SECRET, make_procuring_order

pytestmark = pytest.mark.clock

_entities = iter(range(1, 1_000_000))


def _alert(session, order, *, day_offset: int, closed_days_ago: int | None = None, acked=False):
    now = local(12)
    raised = local(12, day=days(day_offset))
    alert = Alert(
        rule="stage_overdue",
        entity_type="stage",
        entity_id=next(_entities),
        order_id=order.id,
        level=RiskLevel.medium,
        day=days(day_offset),
        message="逾期",
        created_at=raised,
        since=raised,
        acknowledged_at=raised + timedelta(hours=1) if acked else None,
        resolved_at=now - timedelta(days=closed_days_ago) if closed_days_ago is not None else None,
        resolved_reason="阶段已完成" if closed_days_ago is not None else None,
    )
    session.add(alert)
    session.flush()
    return alert


def _message(session, alert, status: OutboxStatus) -> Outbox:
    row = Outbox(
        kind="alert",
        channel=OutboxChannel.wecom_robot,
        message={"kind": "text", "text": alert.message},
        order_id=alert.order_id,
        alert_id=alert.id,
        dedupe_key=f"alert:{alert.id}:{status}",
        status=status,
        created_at=alert.created_at,
        not_before=alert.created_at,
    )
    session.add(row)
    session.flush()
    return row


def _ids(session, model) -> set[int]:
    return set(session.exec(select(model.id)))


def test_the_prune_deletes_only_alerts_closed_past_the_retention_with_their_messages(session):
    order = make_procuring_order(session)
    old = _alert(session, order, day_offset=-300, closed_days_ago=200)
    old_acked = _alert(session, order, day_offset=-250, closed_days_ago=181, acked=True)
    sent = _message(session, old, OutboxStatus.sent)
    cancelled = _message(session, old_acked, OutboxStatus.cancelled)
    recent = _alert(session, order, day_offset=-200, closed_days_ago=10)
    open_old = _alert(session, order, day_offset=-300)
    acked_open = _alert(session, order, day_offset=-300, acked=True)
    on_its_way = _alert(session, order, day_offset=-300, closed_days_ago=200)
    pending = _message(session, on_its_way, OutboxStatus.pending)
    session.commit()

    gone = prune_closed_alerts(session=session, now=local(12), days=180)
    session.commit()

    assert gone == 2
    assert _ids(session, Alert) == {recent.id, open_old.id, acked_open.id, on_its_way.id}
    left = _ids(session, Outbox)
    assert sent.id not in left and cancelled.id not in left and pending.id in left


def test_the_prune_works_in_batches_and_stops_when_nothing_is_older(session):
    order = make_procuring_order(session)
    for _ in range(5):
        _alert(session, order, day_offset=-400, closed_days_ago=365)
    keep = _alert(session, order, day_offset=-1, closed_days_ago=1)
    session.commit()
    batches = []
    while True:
        batches.append(prune_closed_alerts(session=session, now=local(12), days=180, limit=2))
        session.commit()
        if batches[-1] < 2:
            break
    assert batches == [2, 2, 1]
    assert _ids(session, Alert) == {keep.id}


def test_a_retention_of_zero_keeps_every_alert(session):
    order = make_procuring_order(session)
    old = _alert(session, order, day_offset=-3000, closed_days_ago=2900)
    session.commit()
    assert prune_closed_alerts(session=session, now=local(12), days=0) == 0
    assert _ids(session, Alert) == {old.id}


def test_the_daily_job_prunes_with_the_configured_retention(db, session):
    order = make_procuring_order(session)
    old = _alert(session, order, day_offset=-100, closed_days_ago=40)
    kept = _alert(session, order, day_offset=-100, closed_days_ago=20)
    session.commit()
    old, kept = old.id, kept.id
    assert settings().alert_retention_days == 180
    saved = settings().alert_retention_days
    try:
        prune(db=db, now=local(12), services={})  # the default: both are younger than 180 days
        assert _ids(session, Alert) >= {old, kept}
        session.commit()  # SQLite: the job writes from its own connection
        configure(alert_retention_days=30)
        prune(db=db, now=local(12), services={})
    finally:
        configure(alert_retention_days=saved)
    ids = _ids(session, Alert)
    assert old not in ids and kept in ids


def test_the_sweeps_token_maker_signs_exactly_like_the_serializer(session):
    order = make_procuring_order(session)
    alert = _alert(session, order, day_offset=0)
    session.commit()
    now = local(12)
    make = token_maker(secret=SECRET, now=now)
    for alert_id in (1, 9, 12345, 2_000_000_000):
        assert make(alert_id) == alert_token(alert_id=alert_id, secret=SECRET, now=now)
    found = alert_for_token(session=session, token=make(alert.id), secret=SECRET, now=now)
    assert found.id == alert.id
