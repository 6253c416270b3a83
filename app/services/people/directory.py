"""The staff directory (/api/users): who may look up whom, and who sees mobile numbers.

Staff (any role besides customer) find every user. Outside accounts (customers, and any account
without a staff role) find only themselves and the people on their own orders: the members and
the liaison of the orders they are a member or liaison of. Mobile numbers and e-mail addresses
are shown to the roles whose work is to call people (MOBILE_ROLES) and to the user themself;
everyone else gets them blank.
"""

from __future__ import annotations

from sqlalchemy import union
from sqlmodel import Session, col, select

from app.services.core import Actor, visible_orders_clause
from app.services.people.users import get_user, list_users, user_public
from models.enums import Role
from models.errors import NotFound
from models.orders import Order, OrderMember
from models.people import User, UserPublic

# Coordinators, the site and the drivers phone people as part of the job; others use the chat.
MOBILE_ROLES = frozenset(
    {Role.admin, Role.manager, Role.tracker, Role.site_engineer, Role.logistics}
)
OUTSIDE_ROLES = frozenset({Role.customer})


def is_outside(actor: Actor) -> bool:
    """Whether the actor is an outside account (customer) rather than staff."""
    return not actor.is_system and not (actor.roles - OUTSIDE_ROLES)


def _sees_contacts(actor: Actor) -> bool:
    return actor.is_admin or (not is_outside(actor) and actor.has(*MOBILE_ROLES))


def _co_member_ids(session: Session, actor: Actor) -> set[int]:
    """The actor and everyone on the orders the actor is on."""
    orders = select(Order.id).where(visible_orders_clause(actor))
    members = select(OrderMember.user_id).where(col(OrderMember.order_id).in_(orders))
    liaisons = select(Order.liaison_id).where(col(Order.id).in_(orders))
    ids = {i for i in session.execute(union(members, liaisons)).scalars() if i is not None}
    return ids | {actor.id}


def directory_entry(*, session: Session, actor: Actor, user: User) -> UserPublic:
    """A user as this actor may see them: contacts blank unless the actor's role needs them."""
    entry = user_public(session=session, user=user)
    if user.id == actor.id or _sees_contacts(actor):
        return entry
    return entry.model_copy(update={"mobile": None, "email": None})


def list_directory(
    *, session: Session, actor: Actor, role: Role | None = None, q: str | None = None
) -> list[UserPublic]:
    """The users this actor may look up, optionally of one role or matching a name."""
    users = list_users(session=session, actor=actor, role=role, q=q)
    if is_outside(actor):
        allowed = _co_member_ids(session, actor)
        users = [u for u in users if u.id in allowed]
    return [directory_entry(session=session, actor=actor, user=u) for u in users]


def find_in_directory(*, session: Session, actor: Actor, user_id: int) -> UserPublic:
    """One user as this actor may see them; outside accounts get 404 for people not on their
    orders, exactly as for ids that do not exist."""
    user = get_user(session=session, user_id=user_id)
    if user is None or (is_outside(actor) and user_id not in _co_member_ids(session, actor)):
        raise NotFound("用户不存在")
    return directory_entry(session=session, actor=actor, user=user)
