"""Who may see and do what on an order: global role plus membership of that order.

Admins and managers see every order. Everyone else sees the orders they are a member or the
liaison of, and orders whose review asks their department to sign. Acting on an order needs
membership (or liaison) and a role that fits the action; admins may do anything.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, select

from app.services.core.actor import Actor
from models.chat import ChatGroup, ChatGroupOrder
from models.enums import ROLE_NAMES, Role, StageKind
from models.errors import Forbidden, NotFound
from models.orders import Order, OrderMember, Signoff

# Roles that may act on a stage, besides the order's liaison and tracker members.
STAGE_ROLES = {
    StageKind.review: {Role.sales, Role.tracker},
    StageKind.procurement: {Role.buyer, Role.warehouse, Role.tracker},
    StageKind.production: {Role.production, Role.tracker},
    StageKind.delivery: {Role.quality, Role.logistics, Role.tracker},
    StageKind.acceptance: {Role.site_engineer, Role.tracker},
}

ORDER_EDITORS = {Role.tracker, Role.sales}
ORDER_CREATORS = {Role.manager, Role.sales, Role.tracker}
GROUP_MANAGERS = {Role.manager, Role.tracker}


def visible_orders_clause(actor: Actor):
    """A SQL condition selecting the orders the actor may see."""
    if actor.sees_everything:
        return True
    member = select(OrderMember.order_id).where(OrderMember.user_id == actor.id)
    conditions = [Order.id.in_(member), Order.liaison_id == actor.id]
    dept = actor.user.department_id
    if dept is not None:
        signer = select(Signoff.order_id).where(Signoff.department_id == dept)
        conditions.append(Order.id.in_(signer))
    return or_(*conditions)


def membership(session: Session, actor: Actor, order_id: int) -> OrderMember | None:
    """The actor's membership of the order, if any."""
    if actor.id is None:
        return None
    return session.get(OrderMember, (order_id, actor.id))


def _member_once(session: Session, actor: Actor, order_id: int) -> Callable[[], OrderMember | None]:
    """The actor's membership, looked up on first use and kept for this one check only: a
    missing membership (None) is not kept by the session's identity map, nor is a member
    nobody holds on to."""
    found: list[OrderMember | None] = []

    def member() -> OrderMember | None:
        if not found:
            found.append(membership(session, actor, order_id))
        return found[0]

    return member


def can_view(session: Session, actor: Actor, order: Order) -> bool:
    """Whether the actor may read this order."""
    return _can_view(session, actor, order, _member_once(session, actor, order.id))


def _can_view(session: Session, actor: Actor, order: Order, member) -> bool:
    if actor.sees_everything or order.liaison_id == actor.id:
        return True
    if member() is not None:
        return True
    dept = actor.user.department_id if actor.user else None
    if dept is None:
        return False
    query = select(Signoff.id).where(Signoff.order_id == order.id, Signoff.department_id == dept)
    return session.exec(query.limit(1)).first() is not None


def load_order(session: Session, actor: Actor, order_id: int, *, for_update=False) -> Order:
    """The order if it exists and the actor may see it; NotFound or Forbidden otherwise."""
    return _load_order(session, actor, "id", order_id, "update" if for_update else None, None)


def load_order_by_code(session: Session, actor: Actor, code: str, missing: NotFound) -> Order:
    """load_order for the order whose code is `code` ignoring case (through the index on
    upper(code)), with `missing` raised when there is none."""
    return _load_order(session, actor, "code", code.strip().upper(), None, None, missing)


def load_order_to_act(
    session: Session,
    actor: Actor,
    order_id: int,
    allowed: set[Role],
    action: str,
    *,
    for_update=False,
    key_share=False,
) -> Order:
    """load_order then require_order_role, with the same answers and errors, the actor's
    membership read once for both. `key_share`: the order's row locked FOR KEY SHARE (on
    PostgreSQL), the lock a row referring to the order takes anyway, taken now: before the
    locks the caller takes next, so that it meets a writer holding the order's row first."""
    lock = "update" if for_update else "key_share" if key_share else None
    return _load_order(session, actor, "id", order_id, lock, (allowed, action))


def _load_order(session, actor, by, key, lock, acting, missing=None) -> Order:
    order, joined = _order_and_membership(session, actor, by, key, lock)
    if order is None:
        raise missing or NotFound("订单不存在", code="order_not_found")

    def member() -> OrderMember | None:
        return joined

    if not _can_view(session, actor, order, member):
        raise Forbidden("您不是该订单的成员，无权查看", code="not_order_member")
    if acting is not None:
        _require_role(actor, order, member, *acting)
    return order


# How an order is named: its id, or its code upper-cased (`key`).
_ORDER_KEYS = {
    "id": Order.id == bindparam("key"),
    "code": func.upper(Order.code) == bindparam("key"),
}


# The order row's lock: FOR UPDATE, FOR KEY SHARE, or none.
_LOCKS = {"update": {}, "key_share": {"read": True, "key_share": True}}


@cache
def _order_statement(by: str, with_member: bool, lock: str | None):
    """The order named `by` a key, and the actor's membership of it when `with_member`: built
    once per shape, with bound parameters (every order page and chat command runs one)."""
    if not with_member:
        query = select(Order).where(_ORDER_KEYS[by])
    else:
        on = (OrderMember.order_id == Order.id) & (OrderMember.user_id == bindparam("user_id"))
        query = select(Order, OrderMember).outerjoin(OrderMember, on).where(_ORDER_KEYS[by])
    return query if lock is None else query.with_for_update(of=Order, **_LOCKS[lock])


def _order_and_membership(session, actor, by, key, lock):
    """The order named `by` `key` and the actor's membership of it (None when not a member),
    in one round trip."""
    if actor.id is None:
        query = _order_statement(by, False, lock)
        return session.exec(query, params={"key": key}).first(), None
    query = _order_statement(by, True, lock)
    return session.exec(query, params={"key": key, "user_id": actor.id}).first() or (None, None)


def acting_roles(session: Session, actor: Actor, order: Order) -> set[Role]:
    """The roles the actor acts in on this order: global roles if a member, plus the member role."""
    return _acting_roles(actor, order, _member_once(session, actor, order.id))


def _acting_roles(actor: Actor, order: Order, member_once) -> set[Role]:
    if order.liaison_id is not None and order.liaison_id == actor.id:
        return set(actor.roles) | {Role.tracker}
    member = member_once()
    if member is None:
        return set()
    return set(actor.roles) | {Role(member.role)}


def can_act_in(session: Session, actor: Actor, order: Order, allowed: set[Role]) -> bool:
    """Whether the actor is an admin or acts on this order in one of the allowed roles."""
    return actor.is_admin or bool(acting_roles(session, actor, order) & allowed)


def is_member(session: Session, actor: Actor, order: Order) -> bool:
    """Whether the actor is an admin, the liaison or a member of the order."""
    return actor.is_admin or bool(acting_roles(session, actor, order))


def can_manage_order(session: Session, actor: Actor, order: Order) -> bool:
    """Order-level management: admins, managers, the liaison and tracker/sales members."""
    return actor.has(Role.manager) or can_act_in(session, actor, order, ORDER_EDITORS)


def require_order_role(
    session: Session, actor: Actor, order: Order, allowed: set[Role], action: str
) -> None:
    """Refuse unless the actor is an admin or acts on this order in one of the allowed roles."""
    _require_role(actor, order, _member_once(session, actor, order.id), allowed, action)


def _require_role(actor: Actor, order: Order, member, allowed: set[Role], action: str) -> None:
    if not (actor.is_admin or _acting_roles(actor, order, member) & allowed):
        names = "、".join(sorted(ROLE_NAMES[r] for r in allowed))
        raise Forbidden(f"只有本订单的{names}可以{action}", code="forbidden_role")


def require_member(session: Session, actor: Actor, order: Order, action: str) -> None:
    """Refuse unless the actor is an admin, the liaison or a member of the order."""
    if not is_member(session, actor, order):
        raise Forbidden(f"只有本订单的成员可以{action}", code="not_order_member")


def require_manage_order(session: Session, actor: Actor, order: Order, action: str) -> None:
    """Order-level management: admins, managers, the liaison and tracker/sales members."""
    if not actor.has(Role.manager):
        require_order_role(session, actor, order, ORDER_EDITORS, action)


def can_sign_for(actor: Actor, department_id: int) -> bool:
    """Whether the actor may sign a review on behalf of this department (its staff, admins)."""
    return actor.is_admin or (actor.user is not None and actor.user.department_id == department_id)


def can_manage_groups(actor: Actor) -> bool:
    """Whether the actor's role lets them manage chat groups at all (admins, managers, trackers)."""
    return actor.is_admin or actor.has(*GROUP_MANAGERS)


def _group_orders(session: Session, group: ChatGroup) -> list[Order]:
    linked = select(ChatGroupOrder.order_id).where(ChatGroupOrder.group_id == group.id)
    return list(session.exec(select(Order).where(Order.id.in_(linked))).all())


def can_view_group(session: Session, actor: Actor, group: ChatGroup) -> bool:
    """A group manager who sees every order, created the group or belongs to an order it follows."""
    if not can_manage_groups(actor):
        return False
    if actor.sees_everything or group.created_by_id == actor.id:
        return True
    return any(is_member(session, actor, order) for order in _group_orders(session, group))


def can_manage_group(session: Session, actor: Actor, group: ChatGroup) -> bool:
    """A group manager who is a member of every order the group follows: changing its robot
    redirects or silences all of those orders' messages. A group that follows no order is its
    creator's (and admins' and managers')."""
    if not can_manage_groups(actor):
        return False
    if actor.sees_everything:
        return True
    orders = _group_orders(session, group)
    if not orders:
        return group.created_by_id == actor.id
    return all(is_member(session, actor, order) for order in orders)


def require_manage_groups(actor: Actor) -> None:
    """Refuse unless the actor's role lets them manage chat groups."""
    if not can_manage_groups(actor):
        raise Forbidden("只有管理员、管理层或跟单员可以管理聊天群")


def require_view_group(session: Session, actor: Actor, group: ChatGroup) -> None:
    """Refuse unless the actor may see this group's settings."""
    require_manage_groups(actor)
    if not can_view_group(session, actor, group):
        raise Forbidden("您不是该群所跟订单的成员，无权查看该聊天群", code="not_order_member")


def require_manage_group(session: Session, actor: Actor, group: ChatGroup) -> None:
    """Refuse unless the actor may change this group."""
    require_manage_groups(actor)
    if not can_manage_group(session, actor, group):
        raise Forbidden("您不是该群所跟订单的成员，无权管理该聊天群", code="not_order_member")
