"""The SQL a scan costs, pinned (issue 18): statements per single receipt and per queue of
receipts, counted at the cursor (an executemany counts once). Counts are deterministic where
times are not; the speed itself is measured in bench/bench_scans.py.

A queue is resolved per distinct code and written set-based, so its count depends on how many
codes, lines and orders it touches, never on how many scans it holds.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

from sqlalchemy import event
from sqlmodel import func, select

from app.services.procurement import record_scan, record_scan_batch
from models.bom import BomLine
from models.changes import ChangeLog
from models.enums import StageKind
from models.materials import Material
from models.scans import Scan, ScanIn
from models.stages import Stage
from tests.factories import (
    act,
    bearer,
    count,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_purchase,
    make_warehouse,
)

CODES = ("Q345R-20", "VALVE-DN150", "MOTOR-75KW", "FLANGE-DN150", "GASKET-DN150", "BOLT-M20")

# Statements for one receipt (the order named), and for a queue of receipts spread over the six
# lines of one order, three of them bought on open purchase lines. The needs are large, so
# that no line, purchase line, checklist item or stage percentage changes state in between
# and every queue takes the same path. ALONE: one receipt without the savepoint (the HTTP
# door's `alone=True`), nor the read of its stored client id (its insert tells a resend);
# HTTP: POST /api/scans, authentication included. The transaction's BEGIN counts on SQLite
# only (BEGIN IMMEDIATE is a statement there, implicit in psycopg); the COMMIT counts on
# neither. The procurement stage's checklist is read only by a run that changes whether the
# order's key materials are all in (the fact behind its derived item). A run of one code locks
# its material with the read that resolves the code.
SINGLE = {"sqlite": 15, "postgresql": 14}
ALONE = {"sqlite": 12, "postgresql": 11}
HTTP = {"sqlite": 13, "postgresql": 12}
BATCH = {"sqlite": 21, "postgresql": 20}
NEEDED = 100_000


@contextmanager
def statements(session):
    """Count the statements the session's engine sends while the block runs."""
    with statements_on(session.get_bind()) as seen:
        yield seen


@contextmanager
def statements_on(engine):
    """Count the statements the engine sends while the block runs."""
    seen: list[str] = []

    def count_one(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count_one)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count_one)


def _setup(session):
    order = make_procuring_order(session)
    lines = []
    for i, code in enumerate(CODES):
        material = make_material(session, code, is_key=i < 2)
        line = make_bom_line(session, order, material, needed=NEEDED)
        lines.append(line)
        if i % 2 == 0:
            make_purchase(session, order, line, quantity=NEEDED)
    worker = make_warehouse(session, order)
    session.commit()
    return order, lines, act(session, worker)


def _receipts(order, n: int) -> list[ScanIn]:
    return [
        ScanIn.model_validate(
            {
                "client_id": uuid.uuid4(),
                "result": CODES[i % len(CODES)],
                "scan_type": "CODE_128",
                "action": "receive",
                "quantity": 1,
                "order_id": order.id,
                "confirm_over": True,
            }
        )
        for i in range(n)
    ]


def _batch_statements(session, order, worker, n: int) -> int:
    scans = _receipts(order, n)
    session.commit()  # each measure starts a transaction (SQLite: BEGIN IMMEDIATE counts)
    with statements(session) as seen:
        result = record_scan_batch(session=session, actor=worker, scans=scans)
        session.commit()
    assert result.applied == n
    return len(seen)


def test_one_receipt_costs_a_fixed_number_of_statements(session):
    order, _, worker = _setup(session)
    engine = session.get_bind().dialect.name
    session.commit()
    with statements(session) as seen:
        result, applied = record_scan(session=session, actor=worker, data=_receipts(order, 1)[0])
        session.commit()
    assert applied and result.received == 1
    assert len(seen) == SINGLE[engine], "\n".join(seen)


def test_a_receipt_that_moves_the_stage_percentage_costs_one_statement_more(session):
    """The stage's new progress is one more UPDATE; its change log row joins the run's."""
    order, _, worker = _setup(session)
    engine = session.get_bind().dialect.name
    # One small line: a receipt on it moves the order's percentage.
    small = make_bom_line(session, order, make_material(session, "PIN-8"), needed=3)
    make_purchase(session, order, small, quantity=3)  # bought, as ALONE's receipt is
    session.commit()
    data = _receipts(order, 1)[0].model_copy(update={"result": "PIN-8"})
    with statements(session) as seen:
        result, applied = record_scan(session=session, actor=worker, data=data, alone=True)
        session.commit()
    assert applied and result.bom_line_id == small.id
    assert result.procurement_progress == session.get(Stage, _stage(session, order).id).progress
    assert sum(s.startswith("UPDATE stage") for s in seen) == 1, "\n".join(seen)
    assert sum(s.startswith("INSERT INTO change_log") for s in seen) == 1, "\n".join(seen)
    assert len(seen) == ALONE[engine] + 1, "\n".join(seen)


def _stage(session, order):
    return session.exec(
        select(Stage).where(Stage.order_id == order.id, Stage.kind == StageKind.procurement)
    ).one()


def test_one_receipt_alone_costs_three_statements_less(session):
    order, _, worker = _setup(session)
    engine = session.get_bind().dialect.name
    session.commit()
    with statements(session) as seen:
        data = _receipts(order, 1)[0]
        result, applied = record_scan(session=session, actor=worker, data=data, alone=True)
        session.commit()
    assert applied and result.received == 1
    assert not any("SAVEPOINT" in s for s in seen), "\n".join(seen)
    assert len(seen) == ALONE[engine], "\n".join(seen)


def test_a_receipt_sent_again_alone_is_told_by_its_insert_and_answered_as_before(session):
    order, _, worker = _setup(session)
    session.commit()
    data = _receipts(order, 1)[0]
    first, applied = record_scan(session=session, actor=worker, data=data, alone=True)
    session.commit()
    again, applied_again = record_scan(session=session, actor=worker, data=data, alone=True)
    session.commit()
    assert (applied, applied_again) == (True, False)
    assert again.duplicate and not first.duplicate and "已处理过" in again.message
    assert (again.bom_line_id, again.received) == (first.bom_line_id, first.received)
    assert count(session, Scan) == 1
    assert session.exec(select(func.sum(Material.stock))).one() == 1


def test_one_receipt_through_the_api_costs_a_fixed_number_of_statements(app, session):
    order, _, worker = _setup(session)
    engine = session.get_bind().dialect.name
    headers = bearer(worker.user)
    body = _receipts(order, 1)[0].model_dump(mode="json", exclude_none=True)
    session.commit()  # the actor's roles were read in a transaction (SQLite: the write lock)
    client = app.test_client()
    with statements_on(app.extensions["gendan.db"].engine) as seen:
        answer = client.post("/api/scans", json=body, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["received"] == 1
    assert len(seen) == HTTP[engine], "\n".join(seen)


def test_a_queue_of_500_costs_what_a_queue_of_50_costs(session):
    order, _, worker = _setup(session)
    engine = session.get_bind().dialect.name
    small = _batch_statements(session, order, worker, 50)
    large = _batch_statements(session, order, worker, 500)
    assert small == large == BATCH[engine]
    # Every receipt counted once, with its own change log rows.
    session.expire_all()
    total = session.exec(select(func.sum(BomLine.received))).one()
    assert total == 550 and count(session, Scan) == 550
    assert session.exec(select(func.sum(Material.stock))).one() == 550
    logged = session.exec(
        select(func.count()).where(ChangeLog.entity == "bom_line", ChangeLog.field == "received")
    ).one()
    assert logged == 550


def test_a_replayed_queue_counts_nothing_twice_and_costs_no_more(session):
    order, _, worker = _setup(session)
    engine = session.get_bind().dialect.name
    scans = _receipts(order, 100)
    record_scan_batch(session=session, actor=worker, scans=scans[:40])
    session.commit()
    with statements(session) as seen:
        result = record_scan_batch(session=session, actor=worker, scans=scans)
        session.commit()
    assert (result.applied, result.duplicates) == (60, 40)
    assert len(seen) <= BATCH[engine]
    again = record_scan_batch(session=session, actor=worker, scans=scans)
    session.commit()
    assert (again.applied, again.duplicates) == (0, 100)
    session.expire_all()
    assert session.exec(select(func.sum(BomLine.received))).one() == 100
    assert count(session, Scan) == 100


def test_a_receipt_that_completes_the_key_materials_reads_and_ticks_the_checklist(session):
    from app.services.orders.sop import checklist
    from app.services.procurement.bom import KEY_MATERIALS_ITEM
    from models.enums import StageKind
    from models.stages import Stage

    order, lines, worker = _setup(session)
    for line in lines:
        line.needed = 1
        session.add(line)
    session.commit()
    stage = session.exec(
        select(Stage).where(Stage.order_id == order.id, Stage.kind == StageKind.procurement)
    ).one()
    title = KEY_MATERIALS_ITEM

    def item():
        session.expire_all()
        return next(i for i in checklist(session=session, stage_id=stage.id) if i.title == title)

    assert item().done is False
    first, second = _receipts(order, 2)  # the two key materials
    with statements(session) as seen:
        record_scan(session=session, actor=worker, data=first, alone=True)
        session.commit()
    # Still one key material short: the checklist is not read.
    assert not any("checklist_item" in s for s in seen), "\n".join(seen)
    assert item().done is False
    with statements(session) as seen:
        record_scan(session=session, actor=worker, data=second, alone=True)
        session.commit()
    assert any("checklist_item" in s for s in seen), "\n".join(seen)
    assert item().done is True
