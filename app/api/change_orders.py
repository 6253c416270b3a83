"""/api/orders/<id>/change-orders: changes to reviewed fields past review (变更单)."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import orders as svc
from app.services.orders import change_orders_public
from models.change_orders import ChangeOrderDecision, ChangeOrderList, ChangeOrderPublic
from models.enums import ChangeOrderStatus

bp = APIBlueprint(
    "api_change_orders",
    __name__,
    url_prefix="/api/orders/<int:order_id>/change-orders",
    abp_tags=[Tag(name="变更单")],
    abp_security=SECURITY,
)


class ChangePath(OrderPath):
    change_id: int = Field(description="变更单 ID")


class ChangeQuery(BaseModel):
    status: ChangeOrderStatus | None = None


@bp.get("", responses={200: ChangeOrderList})
def index(path: OrderPath, query: ChangeQuery):
    """The order's change orders, newest first (PATCH of a reviewed field creates one)."""
    actor, session = current_actor(), db_session()
    rows = svc.list_change_orders(
        session=session, actor=actor, order_id=path.order_id, status=query.status
    )
    return ok(ChangeOrderList(items=change_orders_public(session, rows)))


@bp.post("/<int:change_id>/approve", responses={200: ChangeOrderPublic})
def approve(path: ChangePath, body: ChangeOrderDecision):
    """A manager approves the change order; the change applies to the order."""
    actor, session = current_actor(), db_session()
    change = svc.approve_change_order(
        session=session,
        actor=actor,
        order_id=path.order_id,
        change_id=path.change_id,
        note_text=body.note,
    )
    commit()
    return ok(change_orders_public(session, [change])[0])


@bp.post("/<int:change_id>/reject", responses={200: ChangeOrderPublic})
def reject(path: ChangePath, body: ChangeOrderDecision):
    """A manager rejects the change order with a reason; the order stays as it was."""
    actor, session = current_actor(), db_session()
    change = svc.reject_change_order(
        session=session,
        actor=actor,
        order_id=path.order_id,
        change_id=path.change_id,
        note_text=body.note,
    )
    commit()
    return ok(change_orders_public(session, [change])[0])
