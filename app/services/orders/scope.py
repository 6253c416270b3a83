"""Helpers for services that act on the rows of one order: open the order for a role, find a
row of that order by id, check who may be named on it."""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session

from app.services.core import Actor, acting_roles, load_order, require_order_role, roles_of
from models.enums import ROLE_NAMES, Channel, OrderStatus, Role
from models.errors import Conflict, InvalidInput, NotFound
from models.orders import Order
from models.people import User

T = TypeVar("T")


def refuse_closed(order: Order, message: str = "订单已关闭") -> None:
    """Refuse a change to a closed (accepted or cancelled) order: 409 `order_closed`."""
    if order.status in OrderStatus.closed():
        raise Conflict(message, code="order_closed")


def open_order(
    session: Session, actor: Actor, order_id: int, roles: set[Role], action: str
) -> Order:
    """The order, locked, when the actor may act on it in one of `roles` and it is not closed."""
    order = load_order(session, actor, order_id, for_update=True)
    require_order_role(session, actor, order, roles, action)
    refuse_closed(order)
    return order


def require_executing(order: Order, action: str) -> None:
    """Refuse work that needs a confirmed order (review passed, not closed)."""
    if order.status not in OrderStatus.executing():
        raise Conflict(f"订单评审通过后才能{action}", code="order_not_confirmed")


def row_of_order(session: Session, model: type[T], row_id: int, order_id: int, what: str) -> T:
    """A row by id that belongs to the order; NotFound for unknown ids and other orders' rows."""
    row = session.get(model, row_id)
    if row is None or row.order_id != order_id:
        raise NotFound(f"{what}不存在", code="not_found")
    return row


def require_member_in_role(
    session: Session, order: Order, user_id: int, role: Role | None, field: str, label: str
) -> User:
    """An active user acting on the order (in `role`, when given): NotFound for a missing or
    inactive user, InvalidInput for one not acting on the order."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(f"{label}不存在或已停用", field=field)
    as_actor = Actor(user=user, channel=Channel.api, roles=roles_of(session, user.id))
    roles = acting_roles(session, as_actor, order)
    if not roles:
        raise InvalidInput(f"{label}必须是本订单的成员", field=field)
    if role is not None and role not in roles:
        raise InvalidInput(f"{label}必须是本订单的{ROLE_NAMES[role]}成员", field=field)
    return user
