"""Who a rule's finding goes to, as SQL expressions (no query per row)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from models.enums import Role
from models.orders import Order, OrderMember

# Orders whose work is under way: the rules watch these.


def role_member(role: Role):
    """Subquery: per order, the first member (lowest user id) holding `role` on it."""
    return (
        select(OrderMember.order_id, func.min(OrderMember.user_id).label("user_id"))
        .where(OrderMember.role == role)
        .group_by(OrderMember.order_id)
        .subquery()
    )


def buyer_or_liaison(buyers, created_by=None):
    """The order's buyer, else whoever created the row, else the order's liaison."""
    if created_by is None:
        return func.coalesce(buyers.c.user_id, Order.liaison_id)
    return func.coalesce(buyers.c.user_id, created_by, Order.liaison_id)
