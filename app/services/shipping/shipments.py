"""Shipment plans: packaging, handling, insurance, carrier and vehicle, planned and actual
dates, the remote-site checklist; status moves forward only from planned to delivered.

Dispatch is gated: the order's last inspection passed, carrier and vehicle named, and for a
remote site every checklist item done and the site's lifting capacity known. Delivery needs
the receiver's name and proof-of-delivery photos, and ticks the delivery stage's "已签收回单"
once every shipment of the order is delivered."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.services.core import Actor, acts, load_order, local_date, note
from app.services.orders import attach_photos, require_executing, row_of_order, tick_items
from app.services.shipping.inspections import require_passed_inspection
from app.services.shipping.site_checks import DISPATCHED, checks_of, open_for_logistics, seed_checks
from models.base import utcnow
from models.enums import (
    SHIPMENT_FLOW,
    SHIPMENT_STATUS_NAMES,
    ShipmentStatus,
    StageKind,
)
from models.errors import Conflict, InvalidInput
from models.shipments import (
    Shipment,
    ShipmentAdvance,
    ShipmentCreate,
    ShipmentUpdate,
)

SIGNED_ITEM = "已签收回单"


def _check_dates(shipment: Shipment) -> None:
    start, end = shipment.planned_dispatch, shipment.planned_arrival
    if start and end and end < start:
        raise InvalidInput("计划到货日期不能早于计划发车日期", field="planned_arrival")


@acts
def create_shipment(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: ShipmentCreate,
    now: datetime | None = None,
) -> Shipment:
    """Plan a shipment; a remote site gets the default site, lifting and customs checklist."""
    now = now or utcnow()
    require_executing(open_for_logistics(session, actor, order_id), "安排发货")
    shipment = Shipment(
        **data.model_dump(),
        order_id=order_id,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    _check_dates(shipment)
    session.add(shipment)
    session.flush()
    if shipment.remote_site:
        seed_checks(session, shipment)
        session.flush()
    return shipment


@acts
def update_shipment(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    shipment_id: int,
    data: ShipmentUpdate,
    now: datetime | None = None,
) -> Shipment:
    """Change a shipment plan until it is delivered (every change is logged)."""
    open_for_logistics(session, actor, order_id)
    shipment = row_of_order(session, Shipment, shipment_id, order_id, "发货单")
    if shipment.status == ShipmentStatus.delivered:
        raise Conflict("已签收的发货单不能修改", code="shipment_delivered")
    fields = data.model_dump(exclude_unset=True)
    required = {"destination", "packaging", "handling", "remote_site"}
    for key, value in fields.items():
        if value is not None or key not in required:
            setattr(shipment, key, value)
    _check_dates(shipment)
    if shipment.remote_site and not checks_of(session=session, shipment_ids=[shipment.id]):
        seed_checks(session, shipment)
    shipment.updated_at = now or utcnow()
    session.add(shipment)
    session.flush()
    return shipment


def _dispatch_gate(session: Session, shipment: Shipment) -> None:
    require_passed_inspection(session=session, order_id=shipment.order_id)
    if not shipment.carrier or not shipment.vehicle_plate:
        raise Conflict("发车前请填写承运商和车牌号", code="vehicle_missing")
    if not shipment.remote_site:
        return
    items = checks_of(session=session, shipment_ids=[shipment.id])[shipment.id]
    missing = [c.title for c in items if not c.done]
    if shipment.lifting_capacity_t is None:
        missing.append("现场吊装能力（吨）未填写")
    if missing:
        raise Conflict(
            "偏远现场检查清单未完成，不能发车：" + "、".join(missing),
            code="site_checklist_open",
            open_items=[c.id for c in items if not c.done],
        )


def _deliver(session: Session, shipment: Shipment, data: ShipmentAdvance, now: datetime) -> None:
    receiver = (data.receiver_name or "").strip()
    if not receiver:
        raise InvalidInput("签收时必须填写签收人", field="receiver_name")
    if not data.photo_ids:
        raise InvalidInput("签收时必须上传签收照片（回单）", field="photo_ids")
    attach_photos(
        session=session,
        order_id=shipment.order_id,
        photo_ids=data.photo_ids,
        entity="shipment",
        entity_id=shipment.id,
    )
    shipment.receiver_name = receiver
    shipment.delivered_at = now
    shipment.actual_arrival = local_date(now)


@acts
def advance_shipment(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    shipment_id: int,
    data: ShipmentAdvance,
    now: datetime | None = None,
) -> Shipment:
    """Move a shipment forward (steps may be skipped, never undone), through the gates."""
    now = now or utcnow()
    open_for_logistics(session, actor, order_id)
    shipment = row_of_order(session, Shipment, shipment_id, order_id, "发货单")
    current, target = SHIPMENT_FLOW.index(shipment.status), SHIPMENT_FLOW.index(data.status)
    if target <= current:
        raise Conflict(
            f"发货状态只能向前推进：当前为「{SHIPMENT_STATUS_NAMES[shipment.status]}」，"
            f"不能改为「{SHIPMENT_STATUS_NAMES[data.status]}」",
            code="status_backwards",
        )
    if current < DISPATCHED <= target:
        _dispatch_gate(session, shipment)
        shipment.actual_dispatch = local_date(now)
    if data.status == ShipmentStatus.delivered:
        _deliver(session, shipment, data, now)
    shipment.status = data.status
    shipment.updated_at = now
    if data.note:
        note(session, shipment, data.note)
    session.add(shipment)
    session.flush()
    if data.status == ShipmentStatus.delivered:
        _tick_signed(session, actor, order_id, now)
    return shipment


def _tick_signed(session: Session, actor: Actor, order_id: int, now: datetime) -> None:
    pending = session.exec(
        select(Shipment.id).where(
            Shipment.order_id == order_id, Shipment.status != ShipmentStatus.delivered
        )
    ).first()
    if pending is None:
        tick_items(
            session=session,
            actor=actor,
            order_id=order_id,
            kind=StageKind.delivery,
            title=SIGNED_ITEM,
            done=True,
            note_text="全部发货单已签收",
            now=now,
        )


def list_shipments(*, session: Session, actor: Actor, order_id: int) -> list[Shipment]:
    """The order's shipments, oldest first."""
    load_order(session, actor, order_id)
    query = select(Shipment).where(Shipment.order_id == order_id)
    return list(session.exec(query.order_by(Shipment.id)))


def get_shipment(*, session: Session, actor: Actor, order_id: int, shipment_id: int) -> Shipment:
    """One shipment of the order."""
    load_order(session, actor, order_id)
    return row_of_order(session, Shipment, shipment_id, order_id, "发货单")
