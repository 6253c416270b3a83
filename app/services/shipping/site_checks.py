"""The remote-site checklist of a shipment: site conditions, lifting, customs papers. Items
are seeded when a shipment is marked remote, and can be added, ticked or removed until the
shipment is dispatched."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, Checklist, acts, tick
from app.services.orders import open_order, row_of_order
from models.base import utcnow
from models.enums import SHIPMENT_FLOW, Role, ShipmentStatus, SiteCheckKind
from models.errors import Conflict
from models.shipments import Shipment, ShipmentCheck

LOGISTICS = {Role.logistics, Role.tracker}
REMOTE_CHECKS = [
    (SiteCheckKind.site, "进场道路满足大件运输条件"),
    (SiteCheckKind.site, "卸货及临时存放场地已确认"),
    (SiteCheckKind.lifting, "现场吊装设备已落实（不小于最大单件重量）"),
    (SiteCheckKind.customs, "报关/通关单据齐全"),
]
DISPATCHED = SHIPMENT_FLOW.index(ShipmentStatus.dispatched)
# A shipment's remote-site checklist: every item is ticked by hand.
SITE_CHECKLIST = Checklist(ShipmentCheck, "shipment_id")


def open_for_logistics(session: Session, actor: Actor, order_id: int):
    """The order, locked, for logistics work (logistics and tracker members, admins)."""
    return open_order(session, actor, order_id, LOGISTICS, "安排发货")


def seed_checks(session: Session, shipment: Shipment) -> None:
    """Give a remote shipment the default checklist."""
    for position, (kind, title) in enumerate(REMOTE_CHECKS, start=1):
        session.add(
            ShipmentCheck(
                shipment_id=shipment.id,
                order_id=shipment.order_id,
                kind=kind,
                title=title,
                position=position,
            )
        )


def checks_of(*, session: Session, shipment_ids: list[int]) -> dict[int, list[ShipmentCheck]]:
    """The remote-site checklist of each shipment, in order."""
    out: dict[int, list[ShipmentCheck]] = defaultdict(list)
    if shipment_ids:
        query = select(ShipmentCheck).where(col(ShipmentCheck.shipment_id).in_(shipment_ids))
        for check in session.exec(query.order_by(ShipmentCheck.position, ShipmentCheck.id)):
            out[check.shipment_id].append(check)
    return out


def _editable_check(session: Session, actor: Actor, order_id: int, shipment_id: int) -> Shipment:
    open_for_logistics(session, actor, order_id)
    shipment = row_of_order(session, Shipment, shipment_id, order_id, "发货单")
    if SHIPMENT_FLOW.index(shipment.status) >= DISPATCHED:
        raise Conflict("已发车，现场检查清单不能再修改", code="shipment_dispatched")
    return shipment


@acts
def add_site_check(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    shipment_id: int,
    kind: SiteCheckKind,
    title: str,
) -> ShipmentCheck:
    """Add an item to a shipment's remote-site checklist before dispatch."""
    shipment = _editable_check(session, actor, order_id, shipment_id)
    check = ShipmentCheck(
        shipment_id=shipment.id,
        order_id=order_id,
        kind=kind,
        title=title,
        position=SITE_CHECKLIST.next_position(session, shipment.id),
    )
    session.add(check)
    session.flush()
    return check


@acts
def set_site_check(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    check_id: int,
    done: bool,
    note_text: str | None = None,
    now: datetime | None = None,
) -> ShipmentCheck:
    """Tick or untick a remote-site checklist item before dispatch."""
    check = row_of_order(session, ShipmentCheck, check_id, order_id, "检查项")
    _editable_check(session, actor, order_id, check.shipment_id)
    tick(
        session=session,
        checklist=SITE_CHECKLIST,
        item=check,
        actor=actor,
        done=done,
        note_text=note_text,
        now=now or utcnow(),
    )
    return check


@acts
def delete_site_check(*, session: Session, actor: Actor, order_id: int, check_id: int) -> None:
    """Remove a checklist item that does not apply to this site, before dispatch."""
    check = row_of_order(session, ShipmentCheck, check_id, order_id, "检查项")
    _editable_check(session, actor, order_id, check.shipment_id)
    session.delete(check)
    session.flush()
