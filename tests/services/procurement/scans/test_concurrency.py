"""Scans from several phones at once never lose or double a count (PostgreSQL row locks)."""

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import text
from sqlmodel import func, select

from app.services.core import actor_for
from app.services.orders import update_stage
from app.services.orders.sop import checklist
from app.services.procurement import record_scan
from app.services.procurement.bom import KEY_MATERIALS_ITEM
from models import clock
from models.bom import BomLine
from models.enums import Channel, StageKind
from models.materials import Material
from models.people import User
from models.purchasing import PurchaseLine
from models.scans import Scan
from models.stages import Stage, StageUpdate
from tests.factories import (
    bearer,
    count,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_purchase,
    make_warehouse,
    scan_in,
)

PHONES = 6
SCANS_EACH = 15


def _setup(session, needed):
    order = make_procuring_order(session)
    material = make_material(session, "PIPE-DN50", name="无缝钢管")
    line = make_bom_line(session, order, material, needed=needed)
    workers = [make_warehouse(session, order) for _ in range(PHONES)]
    session.commit()
    return line, material, workers


def _phone(db, user_id, barrier, scans):
    """One phone: its own session, each scan committed as the API door would."""
    barrier.wait()
    seen = []
    with db.session() as s:
        actor = actor_for(s, s.get(User, user_id), Channel.api)
        for data in scans:
            result, _ = record_scan(session=s, actor=actor, data=data)
            s.commit()
            seen.append(result.received)
    return seen


def test_parallel_receipts_on_one_line_count_every_scan_once(pg_only, session):
    total = PHONES * SCANS_EACH
    line, material, workers = _setup(session, needed=total)
    barrier = threading.Barrier(PHONES)
    queues = [[scan_in("PIPE-DN50", quantity=1) for _ in range(SCANS_EACH)] for _ in workers]
    with ThreadPoolExecutor(PHONES) as pool:
        futures = [
            pool.submit(_phone, pg_only, w.id, barrier, q)
            for w, q in zip(workers, queues, strict=True)
        ]
        seen = [n for f in futures for n in f.result()]
    # Every scan saw a different running total: they were applied one after another.
    assert sorted(seen) == list(range(1, total + 1))
    session.expire_all()
    assert session.get(BomLine, line.id).received == total
    assert session.get(Material, material.id).stock == total
    assert count(session, Scan) == total


def test_the_same_scan_sent_from_several_threads_counts_once(pg_only, session):
    line, _, workers = _setup(session, needed=10)
    barrier = threading.Barrier(PHONES)
    data = scan_in("PIPE-DN50", quantity=2)
    same_user = workers[0].id
    with ThreadPoolExecutor(PHONES) as pool:
        futures = [pool.submit(_phone, pg_only, same_user, barrier, [data]) for _ in workers]
        seen = [n for f in futures for n in f.result()]
    assert seen == [2] * PHONES
    session.expire_all()
    assert session.get(BomLine, line.id).received == 2
    assert count(session, Scan, Scan.client_id == data.client_id) == 1


def test_parallel_http_clients_lose_no_count(pg_only, app, session):
    total = PHONES * SCANS_EACH
    line, _, workers = _setup(session, needed=total)
    barrier = threading.Barrier(PHONES)

    def phone(user):
        client = app.test_client()
        headers = bearer(user)
        barrier.wait()
        statuses = []
        for _ in range(SCANS_EACH):
            body = {
                "client_id": str(uuid.uuid4()),
                "result": "PIPE-DN50",
                "scanType": "CODE_128",
                "action": "receive",
                "quantity": 1,
            }
            statuses.append(client.post("/api/scans", json=body, headers=headers).status_code)
        return statuses

    with ThreadPoolExecutor(PHONES) as pool:
        statuses = [s for f in [pool.submit(phone, w) for w in workers] for s in f.result()]
    assert statuses == [201] * total
    session.expire_all()
    received = session.exec(select(BomLine.received).where(BomLine.id == line.id)).one()
    assert received == total


def test_two_offline_queues_replayed_at_once_all_count(pg_only, app, session):
    order = make_procuring_order(session)
    codes = [f"M-{i}" for i in range(4)]
    for code in codes:
        make_bom_line(session, order, make_material(session, code), needed=1000)
    workers = [make_warehouse(session, order) for _ in range(2)]
    session.commit()
    barrier = threading.Barrier(2)

    def phone(user, order_of_codes):
        scans = [
            {"client_id": str(uuid.uuid4()), "result": code, "action": "receive", "quantity": 1}
            for _ in range(25)
            for code in order_of_codes
        ]
        client = app.test_client()
        barrier.wait()
        return client.post("/api/scans/batch", json={"scans": scans}, headers=bearer(user))

    with ThreadPoolExecutor(2) as pool:
        answers = [
            f.result()
            for f in [
                pool.submit(phone, workers[0], codes),
                pool.submit(phone, workers[1], list(reversed(codes))),
            ]
        ]
    assert [a.get_json()["applied"] for a in answers] == [100, 100]
    session.expire_all()
    total = session.exec(select(func.sum(BomLine.received))).one()
    assert total == 200


def test_one_scan_sent_twice_at_once_to_the_api_counts_once(pg_only, app, app_for, session):
    """The single-scan door runs without a savepoint (`alone`): the request that loses the
    race for the client id rolls back its transaction, applies again and answers as the
    duplicate. The two requests reach two workers (apps): within one worker, the second would
    join the first's run (scans/combine.py) and never race."""
    line, material, workers = _setup(session, needed=10)
    body = {
        "client_id": str(uuid.uuid4()),
        "result": "PIPE-DN50",
        "action": "receive",
        "quantity": 2,
    }
    headers = bearer(workers[0])
    # Hold the material's row lock, so that both requests read "not stored yet" and then wait
    # for it: the second to get it finds the client id taken when it inserts.
    session.exec(select(Material).where(Material.id == material.id).with_for_update()).one()
    me = session.execute(text("SELECT pg_backend_pid()")).scalar_one()

    def phone(worker):
        return worker.test_client().post("/api/scans", json=body, headers=headers)

    # Waiting for my lock, or in the queue behind one who is.
    blocked = text(
        "WITH first AS (SELECT pid FROM pg_stat_activity WHERE :me = ANY(pg_blocking_pids(pid)))"
        " SELECT count(*) FROM pg_stat_activity WHERE pid IN (SELECT pid FROM first)"
        " OR pg_blocking_pids(pid) && ARRAY(SELECT pid FROM first)"
    )
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(phone, a) for a in (app, app_for(pg_only, "second worker"))]
        try:
            deadline = time.monotonic() + 30
            while session.execute(blocked, {"me": me}).scalar_one() < 2:
                assert time.monotonic() < deadline, "the two requests never waited for the lock"
                time.sleep(0.02)
                # pg_stat_activity is read once per transaction unless told to read it again.
                session.execute(text("SELECT pg_stat_clear_snapshot()"))
        finally:
            session.commit()  # the lock released, whatever happened
        answers = [f.result() for f in futures]
    assert sorted(a.status_code for a in answers) == [200, 201]
    duplicate = next(a.get_json() for a in answers if a.status_code == 200)
    assert duplicate["duplicate"] is True and duplicate["received"] == 2
    session.expire_all()
    assert session.get(BomLine, line.id).received == 2
    assert session.get(Material, material.id).stock == 2
    assert count(session, Scan, Scan.client_id == uuid.UUID(body["client_id"])) == 1


def test_the_last_two_key_materials_received_at_once_complete_the_stage(pg_only, session):
    """Two receipts on two lines of one order at once (two workers): each run locks the order's
    procurement stage before it reads the order's lines, so the second reads them only once
    the first has committed, and sees both key materials in: the stage reaches 100 % and its
    checklist item is ticked. Read unlocked, each saw the other line still short.

    Made deterministic with a lock the test holds: the first receipt's purchase line, which
    that run locks after it has read the order's lines."""
    order = make_procuring_order(session)
    lines = [
        make_bom_line(session, order, make_material(session, code, is_key=True), needed=1)
        for code in ("KEY-A", "KEY-B")
    ]
    bought = make_purchase(session, order, lines[0], quantity=1)
    worker = make_warehouse(session, order)
    stage = _procurement_stage(session, order)
    session.commit()
    me, blocked_by = _hold(session, bought)

    def receive(code):
        return _phone(pg_only, worker.id, threading.Barrier(1), [scan_in(code, quantity=1)])

    with ThreadPoolExecutor(2) as pool:
        try:
            first = pool.submit(receive, "KEY-A")
            until(lambda: blocked_by(me), "the first receipt never waited for the purchase line")
            (leader,) = blocked_by(me)
            second = pool.submit(receive, "KEY-B")
            # It waits for the first run (the stage's lock), or (read unlocked) it is done.
            until(lambda: second.done() or blocked_by(leader), "the second receipt hung")
        finally:
            session.commit()  # the lock released, whatever happened
        assert first.result(timeout=30) == [1] and second.result(timeout=30) == [1]
    session.expire_all()
    assert session.get(Stage, stage.id).progress == 100
    item = next(
        i for i in checklist(session=session, stage_id=stage.id) if i.title == KEY_MATERIALS_ITEM
    )
    assert item.done is True


def test_a_stage_edited_while_a_receipt_holds_it_waits_and_both_land(pg_only, session):
    """A receipt run reads its order's row FOR KEY SHARE before it locks the order's
    procurement stage. A request that locks the order's row and then writes the stage (here
    the tracker moving the stage's planned end) therefore waits for the run at the order's
    row. Had the run locked the stage first, the two would deadlock: the edit holding the
    order's row and waiting for the stage, the run holding the stage and waiting for the
    order's row (its scan row's foreign key), and PostgreSQL would fail one of them."""
    order = make_procuring_order(session)
    line = make_bom_line(session, order, make_material(session, "KEY-A", is_key=True), needed=5)
    bought = make_purchase(session, order, line, quantity=5)
    worker = make_warehouse(session, order)
    tracker_id = order.liaison_id
    stage = _procurement_stage(session, order)
    end = clock.today() + timedelta(days=40)
    session.commit()
    me, blocked_by = _hold(session, bought)

    def receive():
        return _phone(pg_only, worker.id, threading.Barrier(1), [scan_in("KEY-A", quantity=1)])

    def edit():
        with pg_only.session() as s:
            tracker = actor_for(s, s.get(User, tracker_id), Channel.api)
            data = StageUpdate(planned_end=end)
            update_stage(
                session=s, actor=tracker, order_id=order.id, kind=StageKind.procurement, data=data
            )
            s.commit()

    with ThreadPoolExecutor(2) as pool:
        try:
            receipt = pool.submit(receive)
            until(lambda: blocked_by(me), "the receipt never waited for the purchase line")
            (run,) = blocked_by(me)
            edited = pool.submit(edit)
            until(lambda: edited.done() or blocked_by(run), "the edit never met the receipt")
        finally:
            session.commit()  # the lock released, whatever happened
        assert receipt.result(timeout=30) == [1]
        edited.result(timeout=30)
    session.expire_all()
    assert session.get(Stage, stage.id).planned_end == end
    assert session.get(BomLine, line.id).received == 1


def _procurement_stage(session, order) -> Stage:
    return session.exec(
        select(Stage).where(Stage.order_id == order.id, Stage.kind == StageKind.procurement)
    ).one()


def _hold(session, purchase):
    """Lock the purchase line's row in the test's transaction (the receipt run locks it after
    it has read the order's lines); this backend's pid, and a function that lists the backends
    waiting for a lock a given backend holds."""
    session.exec(select(PurchaseLine).where(PurchaseLine.id == purchase.id).with_for_update())
    me = session.execute(text("SELECT pg_backend_pid()")).scalar_one()

    def blocked_by(pid) -> list[int]:
        # pg_stat_activity is read once per transaction unless told to read it again.
        session.execute(text("SELECT pg_stat_clear_snapshot()"))
        return session.execute(WAITING_ON, {"pid": pid}).scalar_one() or []

    return me, blocked_by


# The backends that wait for a lock the backend `pid` holds.
WAITING_ON = text(
    "SELECT array_agg(pid ORDER BY pid) FROM pg_stat_activity"
    " WHERE :pid = ANY(pg_blocking_pids(pid))"
)


def until(condition, message: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.01)
