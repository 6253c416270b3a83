"""Shipment plans: packaging, handling, insurance, carrier and vehicle, planned and actual
dates, the remote-site checklist; status moves forward only from planned to delivered.

Dispatch is gated: the production stage done, the order's latest inspection passed with no
rework open, carrier and vehicle named, and for a remote site every checklist item done and
the site's lifting capacity known. Delivery needs the receiver's name and proof-of-delivery
photos; the delivery stage's "已签收回单" is derived: every shipment delivered with its proof."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.services.core import Actor, acts, load_order, local_date, note
from app.services.orders import (
    attach_photos,
    check_source,
    list_stages,
    photos_of,
    require_executing,
    row_of_order,
    sync_order_checks,
)
from app.services.shipping.inspections import require_passed_inspection
from app.services.shipping.site_checks import DISPATCHED, checks_of, open_for_logistics, seed_checks
from models.base import utcnow
from models.enums import (
    SHIPMENT_FLOW,
    SHIPMENT_STATUS_NAMES,
    ShipmentStatus,
    StageKind,
    StageStatus,
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


def _require_production_done(session: Session, order_id: int) -> None:
    stages = list_stages(session=session, order_id=order_id)
    production = next(s for s in stages if s.kind == StageKind.production)
    if production.status != StageStatus.done:
        raise Conflict(
            f"生产阶段尚未完成（进度 {production.progress}%），不能发车",
            code="production_not_done",
        )


def _dispatch_gate(session: Session, shipment: Shipment) -> None:
    _require_production_done(session, shipment.order_id)
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
        sync_order_checks(session=session, order_id=order_id, now=now)
    return shipment


@check_source(StageKind.delivery, SIGNED_ITEM, "发货单：全部已签收，且有签收人和回单照片")
def all_delivered_with_proof(*, session: Session, order_id: int) -> bool:
    """The order has shipments, each delivered with a receiver and proof-of-delivery photos."""
    shipments = session.exec(select(Shipment).where(Shipment.order_id == order_id)).all()
    if not shipments:
        return False
    if any(s.status != ShipmentStatus.delivered or not s.receiver_name for s in shipments):
        return False
    proof = photos_of(session=session, entity="shipment", entity_ids=[s.id for s in shipments])
    return all(proof.get(s.id) for s in shipments)


def list_shipments(*, session: Session, actor: Actor, order_id: int) -> list[Shipment]:
    """The order's shipments, oldest first."""
    load_order(session, actor, order_id)
    query = select(Shipment).where(Shipment.order_id == order_id)
    return list(session.exec(query.order_by(Shipment.id)))


def get_shipment(*, session: Session, actor: Actor, order_id: int, shipment_id: int) -> Shipment:
    """One shipment of the order."""
    load_order(session, actor, order_id)
    return row_of_order(session, Shipment, shipment_id, order_id, "发货单")
