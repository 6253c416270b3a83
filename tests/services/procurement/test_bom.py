from decimal import Decimal

import pytest
from sqlmodel import select

from app.services.procurement import bom_summary, delete_bom_line, record_scan, update_bom_line
from models.bom import BomLine, BomLineUpdate
from models.enums import StageKind
from models.errors import Conflict, Forbidden
from models.people import User
from tests.factories import (
    act,
    count,
    make_bom_line,
    make_material,
    make_order,
    make_procuring_order,
    make_purchase,
    make_warehouse,
    scan_in,
)


def _tracker(session, order):
    return act(session, session.get(User, order.liaison_id))


def test_a_material_is_listed_once_per_order(session):
    order = make_order(session)
    material = make_material(session)
    make_bom_line(session, order, material)
    with pytest.raises(Conflict) as err:
        make_bom_line(session, order, material)
    assert err.value.code == "duplicate" and count(session, BomLine) == 1


def test_warehouse_staff_cannot_edit_the_bom(session):
    order = make_order(session)
    line = make_bom_line(session, order)
    worker = act(session, make_warehouse(session, order))
    with pytest.raises(Forbidden):
        update_bom_line(
            session=session,
            actor=worker,
            order_id=order.id,
            line_id=line.id,
            data=BomLineUpdate(needed=Decimal(3)),
        )


def test_a_line_with_receipts_or_purchases_cannot_be_deleted(session):
    order = make_procuring_order(session)
    bought = make_bom_line(session, order)
    make_purchase(session, order, bought)
    received = make_bom_line(session, order, make_material(session, "R-1"))
    worker = act(session, make_warehouse(session, order))
    record_scan(session=session, actor=worker, data=scan_in("R-1", quantity=1))
    for line in (bought, received):
        with pytest.raises(Conflict):
            delete_bom_line(
                session=session, actor=_tracker(session, order), order_id=order.id, line_id=line.id
            )
    free = make_bom_line(session, order)
    delete_bom_line(
        session=session, actor=_tracker(session, order), order_id=order.id, line_id=free.id
    )
    assert count(session, BomLine) == 2


def test_progress_is_the_mean_received_share_whatever_the_units(session):
    order = make_procuring_order(session)
    make_bom_line(session, order, make_material(session, "KG", unit="kg"), needed=1000)
    make_bom_line(session, order, make_material(session, "PC", is_key=True), needed=2)
    worker = act(session, make_warehouse(session, order))
    record_scan(session=session, actor=worker, data=scan_in("KG", quantity=500))
    record_scan(session=session, actor=worker, data=scan_in("PC", quantity=2))
    summary = bom_summary(session, order.id)
    assert summary.progress == 75
    keys = summary.key_materials
    assert (keys.total, keys.complete, keys.all_complete) == (1, 1, True)


def test_raising_the_need_lowers_the_running_stage_progress(session):
    from models.stages import Stage

    order = make_procuring_order(session)
    line = make_bom_line(session, order, make_material(session, "A"), needed=2)
    worker = act(session, make_warehouse(session, order))
    record_scan(session=session, actor=worker, data=scan_in("A", quantity=2))
    update_bom_line(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        line_id=line.id,
        data=BomLineUpdate(needed=Decimal(4)),
    )
    stage = session.exec(
        select(Stage).where(Stage.order_id == order.id, Stage.kind == StageKind.procurement)
    ).one()
    assert stage.progress == 50


def test_procurement_progress_cannot_be_typed_once_there_is_a_bom(session):
    from app.services.orders import update_stage
    from models.stages import StageUpdate

    order = make_procuring_order(session)
    make_bom_line(session, order)
    with pytest.raises(Conflict) as err:
        update_stage(
            session=session,
            actor=_tracker(session, order),
            order_id=order.id,
            kind=StageKind.procurement,
            data=StageUpdate(progress=60),
        )
    assert err.value.code == "progress_derived"


def test_starting_procurement_picks_up_what_was_already_received(session):
    from app.services.orders import start_stage
    from tests.factories import make_confirmed_order

    order = make_confirmed_order(session)
    make_bom_line(session, order, make_material(session, "EARLY"), needed=4)
    worker = act(session, make_warehouse(session, order))
    record_scan(session=session, actor=worker, data=scan_in("EARLY", quantity=1))
    stage = start_stage(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        kind=StageKind.procurement,
    )
    assert stage.progress == 25
