"""Purchase lines: /api/orders/<id>/purchases and /api/purchases/<id> (status, history)."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import procurement as svc
from app.services.alerts import line_forecasts
from app.services.procurement import history_public, purchases_public
from models.base import utcnow
from models.purchasing import (
    PromisedDateHistory,
    PurchaseLineCreate,
    PurchaseLinePublic,
    PurchaseLineUpdate,
    PurchaseList,
    PurchaseStatusIn,
)

bp = APIBlueprint(
    "api_purchases",
    __name__,
    url_prefix="/api",
    abp_tags=[Tag(name="采购")],
    abp_security=SECURITY,
)


class LinePath(OrderPath):
    line_id: int


class PurchasePath(BaseModel):
    purchase_id: int


def _one(session, purchase) -> PurchaseLinePublic:
    return purchases_public(session, [purchase])[0]


@bp.get("/orders/<int:order_id>/purchases", responses={200: PurchaseList})
def index(path: OrderPath):
    """The order's purchase lines; open promised lines carry the predicted probability of
    arriving after their need date and its basis."""
    actor, session = current_actor(), db_session()
    rows = svc.list_purchases(session=session, actor=actor, order_id=path.order_id)
    items = purchases_public(session, rows)
    forecasts = {
        f.purchase_line_id: f
        for f in line_forecasts(session=session, actor=actor, order_id=path.order_id, now=utcnow())
    }
    for item in items:
        if forecast := forecasts.get(item.id):
            item.delay_probability, item.delay_basis = forecast.probability, forecast.basis
    return ok(PurchaseList(items=items))


@bp.post("/orders/<int:order_id>/bom/<int:line_id>/purchases", responses={201: PurchaseLinePublic})
def create(path: LinePath, body: PurchaseLineCreate):
    """Buy for a BOM line: supplier, quantity, unit price, promised date."""
    actor, session = current_actor(), db_session()
    purchase = svc.create_purchase_line(
        session=session, actor=actor, order_id=path.order_id, bom_line_id=path.line_id, data=body
    )
    commit()
    return ok(_one(session, purchase), 201)


@bp.patch("/purchases/<int:purchase_id>", responses={200: PurchaseLinePublic})
def update(path: PurchasePath, body: PurchaseLineUpdate):
    """Change quantity, price, PO number, or the promised date (with a reason)."""
    actor, session = current_actor(), db_session()
    purchase = svc.update_purchase_line(
        session=session, actor=actor, purchase_id=path.purchase_id, data=body
    )
    commit()
    return ok(_one(session, purchase))


@bp.post("/purchases/<int:purchase_id>/status", responses={200: PurchaseLinePublic})
def set_status(path: PurchasePath, body: PurchaseStatusIn):
    """Supplier status: confirmed, shipped, in_transit, delayed (new date + reason),
    received (arrival date), cancelled (reason)."""
    actor, session = current_actor(), db_session()
    purchase = svc.set_purchase_status(
        session=session, actor=actor, purchase_id=path.purchase_id, data=body
    )
    commit()
    return ok(_one(session, purchase))


@bp.get("/purchases/<int:purchase_id>/promised-dates", responses={200: PromisedDateHistory})
def history(path: PurchasePath):
    """Every promised date the supplier gave for the line, first promise included."""
    actor, session = current_actor(), db_session()
    rows = svc.promised_history(session=session, actor=actor, purchase_id=path.purchase_id)
    return ok(PromisedDateHistory(items=history_public(session, rows)))
