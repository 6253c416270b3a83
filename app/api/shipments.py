"""/api/orders/<id>/shipments: shipment plans, the remote-site checklist, status changes and
proof of delivery."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.briefs import attached_photos_public, briefs
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import shipping as svc
from models.enums import SHIPMENT_STATUS_NAMES
from models.shipments import (
    Shipment,
    ShipmentAdvance,
    ShipmentCheckIn,
    ShipmentCheckPublic,
    ShipmentCheckUpdate,
    ShipmentCreate,
    ShipmentPublic,
    ShipmentUpdate,
)

bp = APIBlueprint(
    "api_shipments",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="发货")],
    abp_security=SECURITY,
)


class ShipmentPath(OrderPath):
    shipment_id: int


class CheckPath(OrderPath):
    check_id: int


class ShipmentList(BaseModel):
    items: list[ShipmentPublic]


def shipments_public(session, rows: list[Shipment]) -> list[ShipmentPublic]:
    """Public forms of shipments with their checklists and proof-of-delivery photos."""
    ids = [s.id for s in rows]
    items = svc.checks_of(session=session, shipment_ids=ids)
    photos = attached_photos_public(session, "shipment", ids)
    people = briefs(
        session,
        [s.created_by_id for s in rows] + [c.done_by_id for s in rows for c in items[s.id]],
    )
    return [
        ShipmentPublic.model_validate(
            {
                **s.model_dump(),
                "status_name": SHIPMENT_STATUS_NAMES[s.status],
                "created_by": people.get(s.created_by_id),
                "checks": [
                    {**c.model_dump(), "done_by": people.get(c.done_by_id)} for c in items[s.id]
                ],
                "delivery_photos": photos[s.id],
            }
        )
        for s in rows
    ]


def _one(session, order_id: int, shipment_id: int) -> ShipmentPublic:
    actor = current_actor()
    row = svc.get_shipment(session=session, actor=actor, order_id=order_id, shipment_id=shipment_id)
    return shipments_public(session, [row])[0]


def _change(change, path: ShipmentPath, body):
    """Apply a change to one shipment, commit, and answer with the shipment."""
    actor, session = current_actor(), db_session()
    row = change(
        session=session,
        actor=actor,
        order_id=path.order_id,
        shipment_id=path.shipment_id,
        data=body,
    )
    commit()
    return ok(shipments_public(session, [row])[0])


@bp.get("/shipments", responses={200: ShipmentList})
def index(path: OrderPath):
    """The order's shipments."""
    actor, session = current_actor(), db_session()
    rows = svc.list_shipments(session=session, actor=actor, order_id=path.order_id)
    return ok(ShipmentList(items=shipments_public(session, rows)))


@bp.post("/shipments", responses={201: ShipmentPublic})
def create(path: OrderPath, body: ShipmentCreate):
    """Plan a shipment (logistics members); a remote site gets the default checklist."""
    actor, session = current_actor(), db_session()
    row = svc.create_shipment(session=session, actor=actor, order_id=path.order_id, data=body)
    commit()
    return ok(shipments_public(session, [row])[0], 201)


@bp.get("/shipments/<int:shipment_id>", responses={200: ShipmentPublic})
def show(path: ShipmentPath):
    """One shipment with its checklist and proof-of-delivery photos."""
    return ok(_one(db_session(), path.order_id, path.shipment_id))


@bp.patch("/shipments/<int:shipment_id>", responses={200: ShipmentPublic})
def update(path: ShipmentPath, body: ShipmentUpdate):
    """Change a shipment plan until it is delivered."""
    return _change(svc.update_shipment, path, body)


@bp.post("/shipments/<int:shipment_id>/status", responses={200: ShipmentPublic})
def advance(path: ShipmentPath, body: ShipmentAdvance):
    """Move a shipment forward; dispatch needs a passed inspection, delivery a signed receipt."""
    return _change(svc.advance_shipment, path, body)


@bp.post("/shipments/<int:shipment_id>/checks", responses={201: ShipmentPublic})
def add_check(path: ShipmentPath, body: ShipmentCheckIn):
    """Add an item to the remote-site checklist (before dispatch)."""
    actor, session = current_actor(), db_session()
    svc.add_site_check(
        session=session,
        actor=actor,
        order_id=path.order_id,
        shipment_id=path.shipment_id,
        kind=body.kind,
        title=body.title,
    )
    commit()
    return ok(_one(session, path.order_id, path.shipment_id), 201)


@bp.patch("/shipment-checks/<int:check_id>", responses={200: ShipmentCheckPublic})
def set_check(path: CheckPath, body: ShipmentCheckUpdate):
    """Tick or untick a remote-site checklist item (before dispatch)."""
    actor, session = current_actor(), db_session()
    item = svc.set_site_check(
        session=session,
        actor=actor,
        order_id=path.order_id,
        check_id=path.check_id,
        done=body.done,
        note_text=body.note,
    )
    commit()
    people = briefs(session, [item.done_by_id])
    return ok(
        ShipmentCheckPublic.model_validate(
            {**item.model_dump(), "done_by": people.get(item.done_by_id)}
        )
    )


@bp.delete("/shipment-checks/<int:check_id>", responses={204: None})
def delete_check(path: CheckPath):
    """Remove a checklist item that does not apply to this site (before dispatch)."""
    actor, session = current_actor(), db_session()
    svc.delete_site_check(
        session=session, actor=actor, order_id=path.order_id, check_id=path.check_id
    )
    commit()
    return ok()
