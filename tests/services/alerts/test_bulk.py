"""The sweep's bulk writes keep every character of a message (PostgreSQL builds array
literals by hand: quotes, backslashes, braces, commas and the word NULL must survive), return
the new rows' ids and keys, and skip what is already there. Outbox messages are stored as
UTF-8 JSON text, not \\u-escaped, whether the sweep COPYs them or the ORM writes them."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlmodel import select

from app.services.alerts.bulk import insert_alerts, insert_outbox
from models.alerts import Alert, exception_key
from models.enums import OutboxChannel, OutboxStatus, RiskLevel
from models.outbox import Outbox
from tests.clocks import local, today
from tests.factories import make_procuring_order

pytestmark = pytest.mark.clock

MESSAGES = ['a"b', "back\\slash\\", "{braces},comma", "NULL", "中文「引号」 #A1", "", "two\nlines"]


def _rows(order_id: int, now) -> list[dict]:
    return [
        {
            "rule": "stage_overdue",
            "entity_type": "stage",
            "entity_id": i,
            "order_id": order_id,
            "level": RiskLevel.high if i % 2 else RiskLevel.medium,
            "day": today(),
            "owner_id": None,
            "message": message,
            "created_at": now,
            "since": now,
            "parent_id": None if i % 3 else 7,
        }
        for i, message in enumerate(MESSAGES, start=1)
    ]


def test_bulk_alerts_keep_every_character_and_return_their_ids_and_keys(session):
    order = make_procuring_order(session)
    now = local(12)
    inserted = insert_alerts(session, _rows(order.id, now), now)
    session.commit()
    stored = {a.id: a for a in session.exec(select(Alert))}
    assert sorted(inserted) == inserted and len(inserted) == len(MESSAGES)
    for (alert_id, key), message in zip(inserted, MESSAGES, strict=True):
        alert = stored[alert_id]
        assert alert.message == message
        assert key == exception_key(
            "stage_overdue", "stage", alert.entity_id, order.id, alert.level
        )
        assert alert.since == now and alert.day == today()
        assert alert.parent_id == (None if alert.entity_id % 3 else 7)


def test_bulk_alerts_already_there_are_skipped(session):
    order = make_procuring_order(session)
    now, later = local(12), local(12, 5)  # a later sweep (SQLite finds its rows by `now`)
    first = insert_alerts(session, _rows(order.id, now)[:3], now)
    again = insert_alerts(session, _rows(order.id, later), later)
    session.commit()
    assert len(first) == 3 and len(again) == len(MESSAGES) - 3
    assert not {i for i, _ in first} & {i for i, _ in again}


CARD = {"kind": "text", "text": "预警 #A1 物料采购逾期「收到」", "quote": 'a"b\\c'}


def _raw_messages(session) -> list[str]:
    query = text("SELECT CAST(message AS TEXT) FROM outbox ORDER BY id")
    return [row[0] for row in session.connection().execute(query)]


def test_outbox_messages_are_stored_as_utf8_json_by_the_sweep_and_the_orm(session):
    order = make_procuring_order(session)
    now = local(12)
    row = {
        "created_at": now,
        "kind": "alert",
        "channel": OutboxChannel.dingtalk_robot,
        "group_id": None,
        "target": {"name": "张三"},
        "message": CARD,
        "order_id": order.id,
        "dedupe_key": "bulk-utf8",
        "status": OutboxStatus.pending,
        "not_before": now,
        "attempts": 0,
        "alert_id": None,
        "user_id": None,
    }
    insert_outbox(session, [row])
    session.add(
        Outbox(kind="reply", channel=OutboxChannel.dingtalk_session, message=CARD, not_before=now)
    )
    session.commit()
    raw = _raw_messages(session)
    assert len(raw) == 2
    for text_form in raw:
        assert "预警 #A1 物料采购逾期「收到」" in text_form and "\\u" not in text_form
    assert [o.message for o in session.exec(select(Outbox).order_by(Outbox.id))] == [CARD, CARD]


def test_outbox_rows_alike_in_value_but_not_in_type_keep_their_own_json(session):
    """The sweep's COPY writes each distinct target and message once: 1, True and 1.0 compare
    equal in Python, but are three different JSON values."""
    order = make_procuring_order(session)
    now = local(12)
    messages = [{"flag": 1}, {"flag": True}, {"flag": 1.0}, {"flag": 1}, {"ids": [1, 2]}]
    rows = [
        {
            "created_at": now,
            "kind": "alert",
            "channel": OutboxChannel.dingtalk_robot,
            "group_id": None,
            "target": message,
            "message": message,
            "order_id": order.id,
            "dedupe_key": f"alike-{i}",
            "status": OutboxStatus.pending,
            "not_before": now,
            "attempts": 0,
            "alert_id": None,
            "user_id": None,
        }
        for i, message in enumerate(messages)
    ]
    insert_outbox(session, rows)
    session.commit()
    stored = session.exec(select(Outbox).order_by(Outbox.id)).all()
    assert [(o.target, o.message) for o in stored] == [(m, m) for m in messages]
    assert [type(o.message["flag"]) for o in stored[:4]] == [int, bool, float, int]
