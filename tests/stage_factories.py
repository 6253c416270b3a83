"""Factories that walk an order's stages through their gates by creating the records the
derived SOP items read (a received key material, finished operations, a passed inspection, a
delivered shipment with its proof), never by ticking those items by hand. The items that stay
hand-ticked are ticked as the person responsible would."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.services.orders import (
    checklist,
    close_stage,
    list_stages,
    set_checklist_item,
    source_of,
    start_stage,
    upload_photo,
)
from app.services.procurement import record_scan
from app.services.production import create_operation, report_output
from app.services.shipping import advance_shipment, create_shipment, record_inspection
from models import clock
from models.enums import InspectionKind, InspectionResult, Role, ShipmentStatus, StageKind
from models.orders import Order, OrderMember
from models.people import User
from models.production import OperationCreate
from models.quality import InspectionCreate
from models.shipments import ShipmentAdvance, ShipmentCreate
from tests.factories import (
    act,
    add_to_order,
    make_bom_line,
    make_material,
    make_user,
    scan_in,
)
from tests.images import jpeg


def member(session, order: Order, role: Role) -> User:
    """A member of the order in `role` (added on first use)."""
    from sqlmodel import select

    row = session.exec(
        select(OrderMember).where(OrderMember.order_id == order.id, OrderMember.role == role)
    ).first()
    if row is not None:
        return session.get(User, row.user_id)
    user = make_user(session, role)
    add_to_order(session, order, user, role)
    return user


def liaison(session, order: Order):
    return act(session, session.get(User, order.liaison_id))


def _stage(session, order: Order, kind: StageKind):
    return next(s for s in list_stages(session=session, order_id=order.id) if s.kind == kind)


def tick_by_hand(session, order: Order, kind: StageKind, now: datetime | None = None) -> None:
    """Tick a stage's open hand-ticked items as the liaison (derived items are left alone)."""
    stage = _stage(session, order, kind)
    for item in checklist(session=session, stage_id=stage.id):
        if item.done or source_of(kind, item.title) is not None:
            continue
        set_checklist_item(
            session=session,
            actor=liaison(session, order),
            order_id=order.id,
            item_id=item.id,
            done=True,
            now=now,
        )


def start(session, order: Order, kind: StageKind, now: datetime | None = None) -> None:
    """Start a stage (its predecessor is done) unless it runs already."""
    if _stage(session, order, kind).status == "not_started":
        start_stage(session=session, actor=liaison(session, order), order_id=order.id, kind=kind)


def close(session, order: Order, kind: StageKind, now: datetime | None = None) -> None:
    """Tick the hand items and close a running stage through its gate."""
    tick_by_hand(session, order, kind, now)
    if _stage(session, order, kind).status != "done":
        close_stage(
            session=session, actor=liaison(session, order), order_id=order.id, kind=kind, now=now
        )


def receive_key_material(session, order: Order, needed: int = 2) -> None:
    """A key material on the BOM, scanned in in full by the warehouse."""
    material = make_material(session, is_key=True)
    make_bom_line(session, order, material, needed=needed)
    worker = act(session, member(session, order, Role.warehouse))
    record_scan(session=session, actor=worker, data=scan_in(material.code, quantity=needed))


def finish_operations(session, order: Order, now: datetime | None = None) -> None:
    """One operation, its planned quantity reported as done today."""
    day = clock.local_date(now) if now else clock.today()
    actor = act(session, member(session, order, Role.production))
    op = create_operation(
        session=session,
        actor=actor,
        order_id=order.id,
        data=OperationCreate(
            name="总装", planned_qty=5, planned_start=day - timedelta(days=3), planned_end=day
        ),
        now=now,
    )
    report_output(
        session=session,
        actor=actor,
        order_id=order.id,
        operation_id=op.id,
        day=day,
        quantity=5,
        now=now,
    )


def inspect(session, order: Order, passed: bool = True, now: datetime | None = None):
    """A full inspection of a lot of 5 (a failure opens rework owned by production)."""
    quality = member(session, order, Role.quality)
    data = {"kind": InspectionKind.full, "lot_size": 5}
    if passed:
        data.update(passed_qty=5, failed_qty=0, result=InspectionResult.passed)
    else:
        owner = member(session, order, Role.production)
        data.update(
            passed_qty=3,
            failed_qty=2,
            result=InspectionResult.failed,
            defects=[{"description": "焊缝气孔", "severity": "major"}],
            rework={
                "description": "补焊",
                "owner_id": owner.id,
                "due_date": (clock.local_date(now) if now else clock.today()) + timedelta(days=2),
            },
        )
    return record_inspection(
        session=session,
        actor=act(session, quality),
        order_id=order.id,
        data=InspectionCreate(**data),
        now=now,
    )


def deliver(session, order: Order, now: datetime | None = None):
    """A shipment planned, dispatched and delivered with a receiver and a receipt photo."""
    logistics = act(session, member(session, order, Role.logistics))
    shipment = create_shipment(
        session=session,
        actor=logistics,
        order_id=order.id,
        data=ShipmentCreate(
            destination="项目现场", packaging="木箱", carrier="德邦", vehicle_plate="陕A·12345"
        ),
        now=now,
    )
    photo = upload_photo(
        session=session, actor=logistics, order_id=order.id, data=jpeg(seed=shipment.id), now=now
    )
    for status in (ShipmentStatus.dispatched, ShipmentStatus.delivered):
        extra = {"receiver_name": "王工", "photo_ids": [photo.id]} if status == "delivered" else {}
        advance_shipment(
            session=session,
            actor=logistics,
            order_id=order.id,
            shipment_id=shipment.id,
            data=ShipmentAdvance(status=status, **extra),
            now=now,
        )
    return shipment


def finish_review(session, order: Order, now: datetime | None = None) -> None:
    """Close the review stage of a confirmed order (its items are ticked by hand)."""
    close(session, order, StageKind.review, now)


def finish_procurement(session, order: Order, now: datetime | None = None) -> None:
    """Review and procurement done: a key material received in full."""
    finish_review(session, order, now)
    start(session, order, StageKind.procurement, now)
    if _stage(session, order, StageKind.procurement).status != "done":
        receive_key_material(session, order)
    close(session, order, StageKind.procurement, now)


def finish_production(session, order: Order, now: datetime | None = None) -> None:
    """Procurement and production done: an operation reported complete."""
    finish_procurement(session, order, now)
    start(session, order, StageKind.production, now)
    if _stage(session, order, StageKind.production).status != "done":
        finish_operations(session, order, now)
    close(session, order, StageKind.production, now)


def finish_delivery(session, order: Order, now: datetime | None = None) -> None:
    """Every stage before acceptance done: passed inspection, delivered shipment."""
    finish_production(session, order, now)
    start(session, order, StageKind.delivery, now)
    if _stage(session, order, StageKind.delivery).status != "done":
        inspect(session, order, now=now)
        deliver(session, order, now)
    close(session, order, StageKind.delivery, now)
