from decimal import Decimal

import pytest
from sqlmodel import select

from app.services.procurement import record_scan
from models.bom import BomLine
from models.changes import ChangeLog
from models.enums import PurchaseStatus, StageKind
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.materials import Material
from models.purchasing import PurchaseLine
from models.scans import Scan
from models.stages import Stage
from scanning.payload import GendanLabel, LabelKind, format_payload
from tests.factories import (
    act,
    count,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_purchase,
    make_warehouse,
    scan_in,
)
from tests.plans import plans_of


def _setup(session, needed=10, is_key=False):
    order = make_procuring_order(session)
    material = make_material(session, "STEEL-3MM", name="钢板", unit="kg", is_key=is_key)
    line = make_bom_line(session, order, material, needed=needed)
    worker = make_warehouse(session, order)
    return order, material, line, act(session, worker)


def _scan(session, actor, data):
    return record_scan(session=session, actor=actor, data=data)


def test_scanning_a_material_code_receives_onto_the_open_line(session):
    order, material, line, worker = _setup(session)
    result, applied = _scan(session, worker, scan_in("STEEL-3MM", quantity=4))
    assert applied and result.order.code == order.code
    assert (result.received, result.needed, result.missing) == (4, 10, 6)
    assert result.material.code == "STEEL-3MM" and result.stock == 4
    assert "还缺 6kg" in result.message
    session.refresh(line)
    assert line.received == Decimal(4) and session.get(Material, material.id).stock == 4
    logged = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "bom_line", ChangeLog.field == "received")
    ).one()
    assert (logged.old_value, logged.new_value, logged.note) == ("0", "4", "扫码入库 4kg")


def test_the_same_client_id_counts_once_and_returns_the_original(session):
    _, _, line, worker = _setup(session)
    data = scan_in("STEEL-3MM", quantity=3)
    first, _ = _scan(session, worker, data)
    again, applied = _scan(session, worker, data)
    assert not applied and again.duplicate and not again.content_differs
    assert again.received == first.received == 3
    changed = data.model_copy(update={"quantity": Decimal(5)})
    third, applied = _scan(session, worker, changed)
    assert not applied and third.content_differs and third.received == 3
    assert "内容与原记录不同" in third.message
    session.refresh(line)
    assert line.received == 3 and count(session, Scan) == 1


def test_a_client_id_of_another_user_is_refused(session):
    order, _, _, worker = _setup(session)
    data = scan_in("STEEL-3MM", quantity=1)
    _scan(session, worker, data)
    other = act(session, make_warehouse(session, order))
    with pytest.raises(Conflict) as err:
        _scan(session, other, data)
    assert err.value.code == "client_id_taken"


def test_over_receipt_needs_confirming(session):
    _, material, line, worker = _setup(session, needed=5)
    with pytest.raises(Conflict) as err:
        _scan(session, worker, scan_in("STEEL-3MM", quantity=7))
    assert err.value.code == "over_receipt" and "超出 2" in err.value.message
    assert err.value.details["confirm_field"] == "confirm_over"
    assert count(session, Scan) == 0
    session.refresh(line)
    assert line.received == 0 and session.get(Material, material.id).stock == 0
    result, _ = _scan(session, worker, scan_in("STEEL-3MM", quantity=7, confirm_over=True))
    assert result.over and result.received == 7 and result.missing == 0


@pytest.mark.parametrize("quantity", [0, None])
def test_zero_or_missing_quantity_is_refused_and_nothing_is_stored(session, quantity):
    _, _, _, worker = _setup(session)
    with pytest.raises(InvalidInput) as err:
        _scan(session, worker, scan_in("STEEL-3MM", quantity=quantity))
    assert err.value.message in ("数量必须大于 0", "请填写数量")
    assert count(session, Scan) == 0


def test_negative_quantity_is_refused_by_the_schema():
    with pytest.raises(ValueError):
        scan_in("STEEL-3MM", quantity=-1)


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01", "GD1:LOT;M:X", "GD9:MAT;M:X"])
def test_empty_or_garbled_codes_are_refused(session, text):
    _, _, _, worker = _setup(session)
    with pytest.raises(InvalidInput):
        _scan(session, worker, scan_in(text, quantity=1))
    assert count(session, Scan) == 0


def test_an_unknown_code_offers_to_bind_it(session):
    _, _, _, worker = _setup(session)
    with pytest.raises(NotFound) as err:
        _scan(session, worker, scan_in("X-99-UNKNOWN", quantity=1, scan_type="CODE_128"))
    assert err.value.code == "unknown_code"
    bind = err.value.details["bind"]
    assert bind["url"] == "/api/materials/aliases" and bind["body"]["code"] == "X-99-UNKNOWN"


@pytest.mark.parametrize(
    ("text", "scan_type"), [("6901234567891", "EAN_13"), ("6901234567891", None)]
)
def test_an_ean_with_a_wrong_check_digit_is_refused(session, text, scan_type):
    _, _, _, worker = _setup(session)
    with pytest.raises(InvalidInput) as err:
        _scan(session, worker, scan_in(text, quantity=1, scan_type=scan_type))
    assert err.value.code == "bad_checksum"


def test_a_bound_supplier_code_receives_its_material(session):
    from app.services.procurement import bind_alias
    from models.materials import AliasCreate

    _, material, _, worker = _setup(session)
    bind_alias(
        session=session,
        actor=worker,
        data=AliasCreate(code="036000291452", symbology="UPC_A", material_id=material.id),
    )
    result, _ = _scan(session, worker, scan_in("0036000291452", quantity=2, scan_type="EAN_13"))
    assert result.material.id == material.id and result.received == 2


def test_a_label_with_an_order_goes_to_that_order(session):
    order, material, _, worker = _setup(session)
    other = make_procuring_order(session)
    make_bom_line(session, other, material, needed=10, days=3)
    payload = format_payload(
        GendanLabel(
            kind=LabelKind.LOT,
            material_code="STEEL-3MM",
            lot="L1",
            quantity=Decimal("2.5"),
            order_code=order.code,
        )
    )
    result, _ = _scan(session, worker, scan_in(payload))
    assert result.order.id == order.id and result.quantity == Decimal("2.5")
    assert result.lot == "L1"


def test_a_labels_order_and_a_material_code_in_another_case_are_found_through_indexes(session):
    """The label's order code and a material code that is not exact are looked up ignoring
    case, through ix_orders_code_upper and ix_material_code_upper (not a read of the table)."""
    order, _, _, worker = _setup(session)
    payload = format_payload(
        GendanLabel(
            kind=LabelKind.LOT,
            material_code="steel-3mm",
            lot="L2",
            quantity=Decimal(1),
            order_code=order.code.lower(),
        )
    )

    def scan():
        _scan(session, worker, scan_in(payload))

    plans = plans_of(session, scan, containing="upper(")
    assert len(plans) == 2
    assert "ix_orders_code_upper" in plans[0] and "ix_material_code_upper" in plans[1]


def test_a_label_of_an_order_the_worker_is_not_in_is_forbidden(session):
    _, _, _, worker = _setup(session)
    stranger_order = make_procuring_order(session)
    payload = format_payload(
        GendanLabel(
            kind=LabelKind.MATERIAL, material_code="STEEL-3MM", order_code=stranger_order.code
        )
    )
    with pytest.raises(Forbidden):
        _scan(session, worker, scan_in(payload, quantity=1))
    assert count(session, Scan) == 0


def test_an_unknown_material_on_a_label_is_not_found(session):
    _, _, _, worker = _setup(session)
    payload = format_payload(GendanLabel(kind=LabelKind.MATERIAL, material_code="NOPE"))
    with pytest.raises(NotFound) as err:
        _scan(session, worker, scan_in(payload, quantity=1))
    assert err.value.code == "material_not_found"


def test_earliest_need_wins_and_a_tie_asks_for_the_order(session):
    _, material, _, worker_actor = _setup(session)
    early = make_procuring_order(session)
    make_bom_line(session, early, material, needed=3, days=5)
    worker = worker_actor.user
    from models.enums import Role
    from tests.factories import add_to_order

    add_to_order(session, early, worker, Role.warehouse)
    result, _ = _scan(session, worker_actor, scan_in("STEEL-3MM", quantity=1))
    assert result.order.id == early.id
    tie = make_procuring_order(session)
    make_bom_line(session, tie, material, needed=3, days=5)
    add_to_order(session, tie, worker, Role.warehouse)
    with pytest.raises(Conflict) as err:
        _scan(session, worker_actor, scan_in("STEEL-3MM", quantity=1))
    assert err.value.code == "ambiguous_order"
    assert {c["order_id"] for c in err.value.details["choices"]} == {early.id, tie.id}
    result, _ = _scan(session, worker_actor, scan_in("STEEL-3MM", quantity=1, order_id=tie.id))
    assert result.order.id == tie.id


def test_no_open_need_in_the_workers_orders_is_a_clear_conflict(session):
    _setup(session)
    outsider = act(session, make_warehouse(session))
    with pytest.raises(Conflict) as err:
        _scan(session, outsider, scan_in("STEEL-3MM", quantity=1))
    assert err.value.code == "no_open_need"


def test_receipts_drive_the_procurement_progress_and_key_materials(session):
    order, _, _, worker = _setup(session, needed=10, is_key=True)
    make_bom_line(session, order, make_material(session, "BOLT"), needed=4)
    result, _ = _scan(session, worker, scan_in("STEEL-3MM", quantity=10))
    assert result.procurement_progress == 50
    assert result.key_materials.all_complete and "关键物料已全部到齐" in result.message
    stage = session.exec(
        select(Stage).where(Stage.order_id == order.id, Stage.kind == StageKind.procurement)
    ).one()
    assert stage.progress == 50


def test_a_receipt_that_moves_the_stage_percentage_writes_and_logs_it_as_the_flush_did(session):
    """The procurement stage's new percentage is written with the receipt's other rows, its
    change log row beside theirs, as refresh_procurement_progress's flush wrote it."""
    order, _, _, worker = _setup(session, needed=10, is_key=True)
    make_bom_line(session, order, make_material(session, "BOLT"), needed=4)
    stage = session.exec(
        select(Stage).where(Stage.order_id == order.id, Stage.kind == StageKind.procurement)
    ).one()
    before = stage.progress
    session.commit()
    result, _ = _scan(session, worker, scan_in("BOLT", quantity=2))  # key materials still out
    session.commit()
    assert result.procurement_progress == 25 and not result.key_materials.all_complete
    session.expire_all()
    assert session.get(Stage, stage.id).progress == 25
    logged = session.exec(
        select(ChangeLog.entity_id, ChangeLog.field, ChangeLog.old_value, ChangeLog.new_value,
               ChangeLog.note, ChangeLog.actor_id, ChangeLog.order_id, ChangeLog.action)
        .where(ChangeLog.entity == "stage", ChangeLog.entity_id == str(stage.id),
               ChangeLog.actor_id == worker.id)
    ).all()  # fmt: skip
    assert logged == [(str(stage.id), "progress", str(before), "25", None, worker.id, order.id,
                       "update")]  # fmt: skip
    result, _ = _scan(session, worker, scan_in("BOLT", quantity=1))
    session.commit()
    assert result.procurement_progress == 37
    session.expire_all()
    assert session.get(Stage, stage.id).progress == 37


def test_a_receipt_closes_the_purchase_lines_it_completes(session):
    order, _, line, worker = _setup(session, needed=10)
    first = make_purchase(session, order, line, quantity=4)
    second = make_purchase(session, order, line, quantity=6)
    _scan(session, worker, scan_in("STEEL-3MM", quantity=5))
    session.refresh(first)
    session.refresh(second)
    assert first.status == PurchaseStatus.received and first.arrived_on is not None
    assert second.received == 1 and second.status == PurchaseStatus.ordered


def test_the_purchase_lines_a_receipt_fills_are_logged_as_the_flush_logs_them(session):
    """Written set-based with the scan's other rows, each filled purchase line's change log is
    still one row per changed field, the arrival noted on a completed one, as the ORM flush
    wrote it before."""
    from models.changes import ChangeLog

    order, _, line, worker = _setup(session, needed=10)
    first = make_purchase(session, order, line, quantity=4)
    second = make_purchase(session, order, line, quantity=6)
    _scan(session, worker, scan_in("STEEL-3MM", quantity=5))
    session.commit()
    logged = session.exec(
        select(ChangeLog.entity_id, ChangeLog.field, ChangeLog.old_value, ChangeLog.new_value,
               ChangeLog.note, ChangeLog.actor_id, ChangeLog.order_id)
        .where(ChangeLog.entity == "purchase_line", ChangeLog.action == "update")
        .order_by(ChangeLog.id)
    ).all()  # fmt: skip
    today = session.get(PurchaseLine, first.id).arrived_on.isoformat()
    done = "收货入库，已全部到货"
    me = (worker.id, order.id)
    assert sorted(logged, key=str) == sorted(
        [
            (str(first.id), "status", "ordered", "received", done, *me),
            (str(first.id), "received", "0", "4", done, *me),
            (str(first.id), "arrived_on", None, today, done, *me),
            (str(second.id), "received", "0", "1", None, *me),
        ],
        key=str,
    )


def test_issue_takes_stock_and_refuses_what_is_not_there(session):
    _, material, _, worker = _setup(session)
    _scan(session, worker, scan_in("STEEL-3MM", quantity=4))
    result, _ = _scan(session, worker, scan_in("STEEL-3MM", action="issue", quantity=3))
    assert result.issued == 3 and result.stock == 1
    with pytest.raises(Conflict) as err:
        _scan(session, worker, scan_in("STEEL-3MM", action="issue", quantity=2))
    assert err.value.code == "insufficient_stock"
    assert session.get(Material, material.id).stock == 1


def test_a_stock_check_sets_the_counted_stock(session):
    _, _, _, worker = _setup(session)
    _scan(session, worker, scan_in("STEEL-3MM", quantity=4))
    looked, _ = _scan(session, worker, scan_in("STEEL-3MM", action="stock_check"))
    assert looked.stock == 4 and "当前库存" in looked.message
    counted, _ = _scan(session, worker, scan_in("STEEL-3MM", action="stock_check", quantity=3))
    assert counted.stock == 3 and counted.stock_before == 4 and "盘亏 1" in counted.message


def test_fractional_quantities_are_exact(session):
    _, _, line, worker = _setup(session, needed="1.5")
    for _ in range(3):
        _scan(session, worker, scan_in("STEEL-3MM", quantity="0.1"))
    result, _ = _scan(session, worker, scan_in("STEEL-3MM", quantity="1.2"))
    assert result.received == Decimal("1.5") and result.missing == 0
    session.expire_all()
    assert session.get(BomLine, line.id).received == Decimal("1.5")


def test_a_batch_answers_per_scan_and_a_bad_one_sinks_nothing(session):
    from app.services.procurement import RejectedScan, record_scan_batch
    from models.errors import InvalidInput as Bad

    _, _, line, worker = _setup(session)
    good = scan_in("STEEL-3MM", quantity=2)
    scans = [
        good,
        scan_in("NOPE", quantity=1),
        RejectedScan(client_id="x", error=Bad("quantity：数值过小")),
        good,
        scan_in("STEEL-3MM", quantity=3),
    ]
    commits = []
    result = record_scan_batch(
        session=session, actor=worker, scans=scans, after_each=lambda: commits.append(1)
    )
    # One run of receipts (the unreadable scan touches nothing): one transaction.
    assert len(commits) == 1
    assert [o.status for o in result.items] == [201, 404, 422, 200, 201]
    assert (result.applied, result.duplicates, result.failed) == (2, 1, 2)
    session.refresh(line)
    assert line.received == 5 and count(session, Scan) == 2


def test_a_batch_over_500_is_refused(session):
    from app.services.procurement import record_scan_batch

    _, _, _, worker = _setup(session)
    with pytest.raises(InvalidInput) as err:
        record_scan_batch(
            session=session, actor=worker, scans=[scan_in("STEEL-3MM", quantity=1)] * 501
        )
    assert err.value.code == "batch_too_large" and count(session, Scan) == 0


def test_a_closed_purchase_line_gets_no_receipt(session):
    order, _, line, worker = _setup(session, needed=10)
    purchase = make_purchase(session, order, line, quantity=10)
    from app.services.procurement import set_purchase_status
    from models.purchasing import PurchaseStatusIn

    set_purchase_status(
        session=session,
        actor=act(session, order_liaison(session, order)),
        purchase_id=purchase.id,
        data=PurchaseStatusIn(status="cancelled", reason="改用库存"),
    )
    _scan(session, worker, scan_in("STEEL-3MM", quantity=10))
    assert session.get(PurchaseLine, purchase.id).received == 0


def order_liaison(session, order):
    from models.people import User

    return session.get(User, order.liaison_id)


def test_issuing_beyond_the_need_needs_confirming(session):
    _, _, _, worker = _setup(session, needed=2)
    _scan(session, worker, scan_in("STEEL-3MM", quantity=3, confirm_over=True))
    with pytest.raises(Conflict) as err:
        _scan(session, worker, scan_in("STEEL-3MM", action="issue", quantity=3))
    assert err.value.code == "over_issue" and "超发" in err.value.message
    result, _ = _scan(
        session, worker, scan_in("STEEL-3MM", action="issue", quantity=3, confirm_over=True)
    )
    assert result.over and result.issued == 3 and result.stock == 0


def _lot_label(quantity=3, lot="A240501"):
    return format_payload(
        GendanLabel(kind=LabelKind.LOT, material_code="STEEL-3MM", lot=lot, quantity=quantity)
    )


def test_a_lot_label_counts_once_unless_confirmed_as_a_new_delivery(session):
    _, material, line, worker = _setup(session)
    _scan(session, worker, scan_in(_lot_label()))
    with pytest.raises(Conflict, match="该批次已入库") as err:
        _scan(session, worker, scan_in(_lot_label()))
    assert err.value.code == "lot_already_received"
    assert err.value.details == {"lot": "A240501", "confirm_field": "new_delivery"}
    session.refresh(line)
    assert line.received == 3 and count(session, Scan) == 1
    result, applied = _scan(session, worker, scan_in(_lot_label(), new_delivery=True))
    assert applied and result.received == 6
    other_lot, _ = _scan(session, worker, scan_in(_lot_label(lot="A240502")))
    assert other_lot.received == 9 and session.get(Material, material.id).stock == 9


def _queue_world(session, suffix: str):
    """Two orders needing one material (the earlier one 3, the later one 5), one worker in
    both; a second material only the later order needs, 2 of it."""
    from models.enums import Role
    from tests.factories import add_to_order

    material = make_material(session, f"PLATE-{suffix}", name="钢板", unit="张")
    other = make_material(session, f"NUT-{suffix}", name="螺母", unit="个")
    early, late = make_procuring_order(session), make_procuring_order(session)
    make_bom_line(session, early, material, needed=3, days=5)
    make_bom_line(session, late, material, needed=5, days=9)
    make_bom_line(session, late, other, needed=2, days=9)
    worker = make_warehouse(session, early)
    add_to_order(session, late, worker, Role.warehouse)
    return act(session, worker), early, late


def _queue(suffix: str, late_id: int):
    from uuid import UUID

    def scan(n, code, **kw):
        return scan_in(code, client_id=UUID(int=n + 100 * ord(suffix)), **kw)

    plate, nut = f"PLATE-{suffix}", f"NUT-{suffix}"
    again = scan(1, plate, quantity=2)
    return [
        again,
        scan(2, plate, quantity=2),  # 1 left on the earlier order: over-receipt, refused
        scan(3, plate, quantity=1),  # fills the earlier order
        again,  # a resend within the queue
        scan(4, plate, quantity=4),  # the earlier order is full: the later one
        scan(5, nut, quantity=3),  # over the need of 2
        scan(6, nut, quantity=3, confirm_over=True),
        scan(7, "NOPE-" + suffix, quantity=1),
        scan(8, plate, quantity=1, order_id=late_id),
        scan(9, plate, quantity=1, order_id=10**9),
    ]


def test_a_queue_answers_as_its_scans_sent_one_at_a_time(session):
    from app.services.procurement import record_scan_batch

    worker, early, late = _queue_world(session, "A")
    one_by_one = []
    for data in _queue("A", late.id):
        try:
            result, applied = _scan(session, worker, data)
            one_by_one.append((201 if applied else 200, result.message, result.received))
        except (Conflict, NotFound, Forbidden, InvalidInput) as exc:
            one_by_one.append((exc.status, exc.code, exc.message))
    worker_b, early_b, late_b = _queue_world(session, "B")
    batch = record_scan_batch(session=session, actor=worker_b, scans=_queue("B", late_b.id))
    as_queue = [
        (o.status, o.result.message, o.result.received)
        if o.ok
        else (o.status, o.error.code, o.error.message)
        for o in batch.items
    ]

    # The same answers, but for the codes and order numbers in them.
    def same(rows, suffix, *orders):
        def plain(value):
            text = str(value).replace(f"-{suffix}", "-X")
            for name, order in zip(("EARLY", "LATE"), orders, strict=True):
                text = text.replace(order.code, name)
            return text

        return [tuple(plain(v) for v in row) for row in rows]

    assert same(as_queue, "B", early_b, late_b) == same(one_by_one, "A", early, late)
    assert [row[0] for row in as_queue] == [201, 409, 201, 200, 201, 409, 201, 404, 201, 404]
