"""Quantities keep their unit's precision: whole numbers for 件/台/套..., three places for kg/m/L,
unless the material says otherwise; checked wherever a quantity comes in."""

from decimal import Decimal

import pytest

from app.services.core import ImportFailed
from app.services.procurement import (
    import_bom,
    record_scan,
    set_purchase_status,
    update_bom_line,
    update_material,
    update_purchase_line,
)
from models.bom import BomLineUpdate
from models.enums import PurchaseStatus, Role
from models.errors import Conflict, InvalidInput
from models.materials import MaterialUpdate
from models.people import User
from models.purchasing import PurchaseLineUpdate, PurchaseStatusIn
from tests.factories import (
    act,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_purchase,
    make_user,
    make_warehouse,
    scan_in,
)

WHOLE = "数量单位为件，须为整数"


def _refused(exc_info, message: str = WHOLE) -> None:
    assert exc_info.value.code == "quantity_places"
    assert exc_info.value.message == message


def test_count_units_take_whole_numbers_and_other_units_three_places(session):
    assert make_material(session, unit="件").quantity_places == 0
    assert make_material(session, unit="台").quantity_places == 0
    assert make_material(session, unit="PCS").quantity_places == 0
    assert make_material(session, unit="kg").quantity_places == 3
    assert make_material(session, unit="件", quantity_places=1).quantity_places == 1


def test_a_bom_line_in_a_count_unit_refuses_a_fraction(session):
    order = make_procuring_order(session)
    pump = make_material(session, name="水泵", unit="台")
    with pytest.raises(Conflict) as exc:
        make_bom_line(session, order, pump, needed="2.5")
    _refused(exc, "数量单位为台，须为整数")
    line = make_bom_line(session, order, pump, needed=2)
    liaison = act(session, session.get(User, order.liaison_id))
    with pytest.raises(Conflict) as exc:
        update_bom_line(
            session=session,
            actor=liaison,
            order_id=order.id,
            line_id=line.id,
            data=BomLineUpdate(needed=Decimal("1.5")),
        )
    _refused(exc, "数量单位为台，须为整数")


def test_a_material_may_allow_places_its_unit_does_not(session):
    order = make_procuring_order(session)
    cable = make_material(session, name="电缆", unit="卷", quantity_places=1)
    assert make_bom_line(session, order, cable, needed="2.5").needed == Decimal("2.5")
    with pytest.raises(Conflict) as exc:
        make_bom_line(session, make_procuring_order(session), cable, needed="2.55")
    _refused(exc, "数量单位为卷，最多 1 位小数")


def test_purchase_lines_and_explicit_receipts_refuse_a_fraction_of_a_piece(session):
    order = make_procuring_order(session)
    line = make_bom_line(session, order, make_material(session, unit="件"), needed=10)
    with pytest.raises(Conflict) as exc:
        make_purchase(session, order, line, quantity="3.5")
    _refused(exc)
    purchase = make_purchase(session, order, line, quantity=4)
    liaison = act(session, session.get(User, order.liaison_id))
    with pytest.raises(Conflict) as exc:
        update_purchase_line(
            session=session,
            actor=liaison,
            purchase_id=purchase.id,
            data=PurchaseLineUpdate(quantity=Decimal("4.2")),
        )
    _refused(exc)
    with pytest.raises(Conflict) as exc:
        set_purchase_status(
            session=session,
            actor=liaison,
            purchase_id=purchase.id,
            data=PurchaseStatusIn(status=PurchaseStatus.received, received_quantity="1.5"),
        )
    _refused(exc)
    assert exc.value.details["field"] == "received_quantity"


def test_scans_receive_issue_and_count_whole_pieces(session):
    order = make_procuring_order(session)
    make_bom_line(session, order, make_material(session, "BOLT-M12", unit="件"), needed=10)
    worker = act(session, make_warehouse(session, order))
    for action in ("receive", "issue", "stock_check"):
        with pytest.raises(Conflict) as exc:
            record_scan(
                session=session, actor=worker, data=scan_in("BOLT-M12", action, quantity="1.5")
            )
        _refused(exc)
    result, _ = record_scan(session=session, actor=worker, data=scan_in("BOLT-M12", quantity=2))
    assert result.received == 2


def test_the_bom_importer_reports_a_fraction_of_a_piece_by_row(session):
    order = make_procuring_order(session)
    make_material(session, "PUMP-1", name="水泵", unit="台")
    csv = (
        "物料编码,物料名称,单位,需求数量,需求日期\n"
        "PUMP-1,水泵,,1.5,2027-03-01\n"
        "VALVE-2,球阀,个,2.5,2027-03-01\n"
        "PIPE-3,钢管,m,2.5,2027-03-01\n"
    )
    liaison = act(session, session.get(User, order.liaison_id))
    with pytest.raises(ImportFailed) as exc:
        import_bom(session=session, actor=liaison, order_id=order.id, data=csv.encode())
    assert [(e["row"], e["column"], e["reason"]) for e in exc.value.details["errors"]] == [
        (2, "需求数量", "数量单位为台，须为整数"),
        (3, "需求数量", "数量单位为个，须为整数"),
    ]


def test_fewer_places_are_refused_while_a_quantity_has_more(session):
    buyer = act(session, make_user(session, Role.buyer))
    steel = make_material(session, name="钢板", unit="kg")
    make_bom_line(session, make_procuring_order(session), steel, needed="2.5")
    with pytest.raises(InvalidInput) as exc:
        update_material(
            session=session, actor=buyer, material_id=steel.id, data=MaterialUpdate(unit="张")
        )
    assert exc.value.code == "quantity_places_in_use"
    assert exc.value.message.startswith("数量单位为张，须为整数")
    changed = update_material(
        session=session,
        actor=buyer,
        material_id=steel.id,
        data=MaterialUpdate(unit="张", quantity_places=1),
    )
    assert (changed.unit, changed.quantity_places) == ("张", 1)


def test_a_new_unit_brings_its_own_places_unless_they_are_given(session):
    buyer = act(session, make_user(session, Role.buyer))
    paint = make_material(session, name="油漆", unit="桶")
    changed = update_material(
        session=session, actor=buyer, material_id=paint.id, data=MaterialUpdate(unit="L")
    )
    assert changed.quantity_places == 3
    changed = update_material(
        session=session,
        actor=buyer,
        material_id=paint.id,
        data=MaterialUpdate(quantity_places=None),
    )
    assert changed.quantity_places == 3
