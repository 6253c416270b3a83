"""/api/orders: orders, their members and their change log."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, Paging, commit, current_actor, db_session, ok
from app.services import orders as svc
from app.services.core import list_changes, settings
from app.services.orders import (
    change_orders_public,
    members_public,
    order_public,
    orders_public,
)
from models.change_orders import ChangeOrderPublic
from models.changes import ChangePage, ChangePublic
from models.enums import OrderStatus
from models.orders import (
    MemberAdd,
    MemberPublic,
    OrderCancel,
    OrderCreate,
    OrderPage,
    OrderPublic,
    OrderUpdate,
)

bp = APIBlueprint(
    "api_orders",
    __name__,
    url_prefix="/api/orders",
    abp_tags=[Tag(name="订单")],
    abp_security=SECURITY,
)


class OrderQuery(Paging):
    status: OrderStatus | None = None
    liaison_id: int | None = None
    customer: str | None = Field(default=None, max_length=200)
    q: str | None = Field(default=None, max_length=200, description="订单号、客户或合同号")


class MemberPath(OrderPath):
    user_id: int


class MemberList(BaseModel):
    items: list[MemberPublic]


@bp.get("", responses={200: OrderPage})
def index(query: OrderQuery):
    """Orders the signed-in user may see, newest first."""
    actor, session = current_actor(), db_session()
    rows, total = svc.list_orders(
        session=session,
        actor=actor,
        status=query.status,
        liaison_id=query.liaison_id,
        customer=query.customer,
        q=query.q,
        page=query.page,
        per_page=query.per_page,
    )
    return ok(
        OrderPage(
            items=orders_public(session, rows),
            total=total,
            page=query.page,
            per_page=query.per_page,
        )
    )


@bp.post("", responses={201: OrderPublic})
def create(body: OrderCreate):
    """Create a draft order with its five stages."""
    actor, session = current_actor(), db_session()
    order = svc.create_order(
        session=session,
        actor=actor,
        data=body,
        default_departments=list(settings().review_departments),
    )
    commit()
    return ok(order_public(session, order), 201)


@bp.get("/<int:order_id>", responses={200: OrderPublic})
def show(path: OrderPath):
    """One order with its derived progress and current stage."""
    actor, session = current_actor(), db_session()
    return ok(
        order_public(session, svc.get_order(session=session, actor=actor, order_id=path.order_id))
    )


@bp.patch("/<int:order_id>", responses={200: OrderPublic, 202: ChangeOrderPublic})
def update(path: OrderPath, body: OrderUpdate):
    """Change an order (logged field by field). tech_params merges keys (null removes one).

    Past review, a change to a reviewed field (delivery date, payment terms, technical
    parameters, special requirements) is not applied: it is recorded as a change order that a
    manager approves, answered with 202 and the change order.
    """
    actor, session = current_actor(), db_session()
    order, change = svc.revise_order(
        session=session, actor=actor, order_id=path.order_id, data=body
    )
    commit()
    if change is not None:
        return ok(change_orders_public(session, [change])[0], 202)
    return ok(order_public(session, order))


@bp.delete("/<int:order_id>", responses={204: None})
def delete(path: OrderPath):
    """Delete a draft order that never went to review."""
    actor, session = current_actor(), db_session()
    svc.delete_order(session=session, actor=actor, order_id=path.order_id)
    commit()
    return ok()


@bp.post("/<int:order_id>/cancel", responses={200: OrderPublic})
def cancel(path: OrderPath, body: OrderCancel):
    """Cancel an order with a reason."""
    actor, session = current_actor(), db_session()
    order = svc.cancel_order(
        session=session, actor=actor, order_id=path.order_id, reason=body.reason
    )
    commit()
    return ok(order_public(session, order))


@bp.get("/<int:order_id>/members", responses={200: MemberList})
def members(path: OrderPath):
    """The order's members and their roles."""
    actor, session = current_actor(), db_session()
    rows = svc.list_members(session=session, actor=actor, order_id=path.order_id)
    return ok(MemberList(items=members_public(session, rows)))


@bp.post("/<int:order_id>/members", responses={201: MemberList})
def add_member(path: OrderPath, body: MemberAdd):
    """Add a user to the order (or change their role in it)."""
    actor, session = current_actor(), db_session()
    svc.add_member(session=session, actor=actor, order_id=path.order_id, data=body)
    commit()
    rows = svc.list_members(session=session, actor=actor, order_id=path.order_id)
    return ok(MemberList(items=members_public(session, rows)), 201)


@bp.delete("/<int:order_id>/members/<int:user_id>", responses={204: None})
def remove_member(path: MemberPath):
    """Remove a member from the order."""
    actor, session = current_actor(), db_session()
    svc.remove_member(session=session, actor=actor, order_id=path.order_id, user_id=path.user_id)
    commit()
    return ok()


@bp.get("/<int:order_id>/changes", responses={200: ChangePage})
def changes(path: OrderPath, query: Paging):
    """The order's change log, newest first."""
    actor, session = current_actor(), db_session()
    rows, total = list_changes(
        session=session,
        actor=actor,
        order_id=path.order_id,
        page=query.page,
        per_page=query.per_page,
    )
    items = [ChangePublic.model_validate(r, from_attributes=True) for r in rows]
    return ok(ChangePage(items=items, total=total, page=query.page, per_page=query.per_page))
