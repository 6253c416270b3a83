"""What an alert and an outbox row name must exist, on both engines: SQLite checks the declared
foreign keys, PostgreSQL statement triggers (migrations f2a9c4e7b1d3, c3e8a1f5d9b7) that check a
statement's rows together. The same writes are refused and the same deletes cascade on both."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from models import clock
from models.alerts import Alert
from models.chat import ChatGroup
from models.enums import OutboxChannel, OutboxStatus
from models.orders import Order
from models.outbox import Outbox
from models.people import User
from tests.factories import make_chat_group, make_order, make_user

MISSING = 987_654
# The rows these tests write (creating a group queues a message of its own).
MINE = {Alert: (), Outbox: (Outbox.dedupe_key.in_(("k1", "a", "b", "x", "o")),)}


def _alert(order_id: int, owner_id: int | None, entity_id: int = 1) -> dict:
    now = clock.now()
    return {
        "rule": "stage_overdue",
        "entity_type": "stage",
        "entity_id": entity_id,
        "order_id": order_id,
        "level": "medium",
        "day": now.date(),
        "owner_id": owner_id,
        "message": "阶段逾期",
        "created_at": now,
        "since": now,
    }


def _message(group_id: int | None, order_id: int | None, key: str = "k1") -> dict:
    now = clock.now()
    return {
        "created_at": now,
        "kind": "alert",
        "channel": OutboxChannel.wecom_robot,
        "group_id": group_id,
        "target": {},
        "message": {"kind": "text", "text": "提醒"},
        "order_id": order_id,
        "dedupe_key": key,
        "status": OutboxStatus.pending,
        "not_before": now,
        "attempts": 0,
    }


@pytest.fixture
def named(session):
    """An order, its owner and a group following it, committed."""
    order = make_order(session)
    owner = make_user(session)
    group = make_chat_group(session, order_ids=[order.id])
    session.commit()
    return order.id, owner.id, group.id


def _count(session, model, *where) -> int:
    return session.execute(select(func.count()).select_from(model).where(*where)).scalar()


@pytest.mark.parametrize(
    "write",
    [
        lambda o, u, g: (Alert, [_alert(MISSING, u)]),
        lambda o, u, g: (Alert, [_alert(o, MISSING)]),
        lambda o, u, g: (Outbox, [_message(MISSING, o)]),
        lambda o, u, g: (Outbox, [_message(g, MISSING)]),
        # one bad row among good ones refuses the whole statement
        lambda o, u, g: (Alert, [_alert(o, u, 1), _alert(MISSING, u, 2), _alert(o, None, 3)]),
        lambda o, u, g: (Outbox, [_message(g, o, "a"), _message(g, MISSING, "b")]),
    ],
    ids=[
        "alert-order",
        "alert-owner",
        "outbox-group",
        "outbox-order",
        "alerts-one-bad",
        "outbox-one-bad",
    ],
)
def test_a_row_naming_a_missing_order_person_or_group_is_refused(session, named, write):
    model, rows = write(*named)
    with pytest.raises(IntegrityError):
        session.execute(insert(model.__table__), rows)
        session.commit()
    session.rollback()
    assert _count(session, model, *MINE[model]) == 0


def test_rows_naming_what_exists_or_nothing_are_written(session, named):
    order_id, owner_id, group_id = named
    session.execute(
        insert(Alert.__table__), [_alert(order_id, owner_id), _alert(order_id, None, 2)]
    )
    session.execute(
        insert(Outbox.__table__), [_message(group_id, order_id), _message(None, None, "x")]
    )
    session.commit()
    assert (_count(session, Alert), _count(session, Outbox, *MINE[Outbox])) == (2, 2)


def test_changing_a_reference_to_a_missing_row_is_refused(session, named):
    order_id, owner_id, group_id = named
    session.execute(insert(Alert.__table__), [_alert(order_id, owner_id)])
    session.execute(insert(Outbox.__table__), [_message(group_id, order_id)])
    session.commit()
    for statement in (
        update(Alert).values(order_id=MISSING),
        update(Alert).values(owner_id=MISSING),
        update(Outbox).values(group_id=MISSING),
        update(Outbox).values(order_id=MISSING),
    ):
        with pytest.raises(IntegrityError):
            session.execute(statement)
            session.commit()
        session.rollback()
    session.execute(update(Alert).values(owner_id=None, message="改过"))  # what exists: fine
    session.commit()


def test_deleting_an_order_deletes_its_alerts_and_unlinks_its_messages(session, named):
    order_id, owner_id, group_id = named
    other = make_order(session).id
    session.execute(
        insert(Alert.__table__), [_alert(order_id, owner_id), _alert(other, owner_id, 2)]
    )
    session.execute(
        insert(Outbox.__table__), [_message(group_id, order_id), _message(group_id, other, "o")]
    )
    session.commit()
    session.execute(delete(Order).where(Order.id == order_id))
    session.commit()
    assert session.execute(select(Alert.order_id)).scalars().all() == [other]
    mine = select(Outbox.order_id).where(*MINE[Outbox]).order_by(Outbox.id)
    orders = session.execute(mine).scalars().all()
    assert orders == [None, other]


def test_deleting_a_group_deletes_its_messages(session, named):
    order_id, _, group_id = named
    other = make_chat_group(session).id
    session.execute(
        insert(Outbox.__table__), [_message(group_id, order_id), _message(other, order_id, "o")]
    )
    session.commit()
    session.execute(delete(ChatGroup).where(ChatGroup.id == group_id))
    session.commit()
    groups = session.execute(select(Outbox.group_id).where(*MINE[Outbox])).scalars().all()
    assert groups == [other]


def test_deleting_a_person_who_owns_an_alert_is_refused(session, named):
    order_id, owner_id, _ = named
    session.execute(insert(Alert.__table__), [_alert(order_id, owner_id)])
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(delete(User).where(User.id == owner_id))
        session.commit()
    session.rollback()
    assert _count(session, User, User.id == owner_id) == 1


def test_an_order_referenced_by_an_alert_keeps_its_id(session, named):
    order_id, owner_id, _ = named
    session.execute(insert(Alert.__table__), [_alert(order_id, owner_id)])
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(update(Order).where(Order.id == order_id).values(id=MISSING))
        session.commit()
    session.rollback()


def _second_waits_for_first(db, session, first, second) -> list:
    """Run the statement `first` in a transaction left open, then `second` in a thread, on a
    session of its own: the thread is seen waiting for a lock (pg_locks, polled up to 30 s)
    until the first transaction commits. What the thread ended with (its result or the
    exception)."""
    outcome: list = []
    pid: list = []

    def run():
        try:
            with db.session() as other:
                pid.append(other.execute(text("SELECT pg_backend_pid()")).scalar())
                other.execute(second)
                other.commit()
                outcome.append("done")
        except Exception as exc:  # handed to the test
            outcome.append(exc)

    holder = db.session()
    holder.execute(first)  # not committed
    thread = threading.Thread(target=run)
    thread.start()
    waiting = text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted")
    deadline, waited = time.monotonic() + 30, False
    while not waited and time.monotonic() < deadline:
        waited = bool(pid) and bool(session.connection().execute(waiting, {"pid": pid[0]}).scalar())
        session.rollback()
        time.sleep(0 if waited else 0.02)
    assert waited and not outcome, "the second transaction must wait for the first"
    holder.commit()
    holder.close()
    thread.join(30)
    return outcome


def test_an_order_deleted_while_an_alert_is_written_for_it_takes_the_alert(session, named, db):
    """The alert's statement locks the order: the delete waits for its commit, then takes it."""
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: the two cannot overlap")
    order_id, owner_id, _ = named
    write = insert(Alert.__table__).values(_alert(order_id, owner_id))
    outcome = _second_waits_for_first(db, session, write, delete(Order).where(Order.id == order_id))
    assert outcome == ["done"]
    assert _count(session, Alert) == 0


def test_an_alert_for_an_order_being_deleted_waits_and_is_refused(session, named, db):
    if db.is_sqlite:
        pytest.skip("SQLite has one writer: the two cannot overlap")
    order_id, owner_id, _ = named
    write = insert(Alert.__table__).values(_alert(order_id, owner_id))
    outcome = _second_waits_for_first(db, session, delete(Order).where(Order.id == order_id), write)
    assert len(outcome) == 1 and isinstance(outcome[0], IntegrityError)
    assert _count(session, Alert) == 0
