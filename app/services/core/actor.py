"""Who is acting, and through which door. Every service takes one."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from models.enums import Channel, Role
from models.people import User, UserRole


@dataclass(frozen=True)
class Actor:
    user: User | None
    channel: Channel
    roles: frozenset[Role] = field(default_factory=frozenset)

    @property
    def id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def name(self) -> str:
        return self.user.display_name if self.user else "系统"

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def is_admin(self) -> bool:
        return self.is_system or Role.admin in self.roles

    @property
    def sees_everything(self) -> bool:
        return self.is_admin or Role.manager in self.roles

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @classmethod
    def system(cls, channel: Channel = Channel.scheduler) -> Actor:
        return cls(user=None, channel=channel, roles=frozenset())


# Built once with bound parameters: every authenticated request reads its user this way.
_ROLES_OF = select(UserRole.role).where(UserRole.user_id == bindparam("user_id"))
_USER_AND_ROLES = (
    select(User, UserRole.role)
    .outerjoin(UserRole, col(UserRole.user_id) == User.id)
    .where(User.id == bindparam("user_id"))
)


def roles_of(session: Session, user_id: int) -> frozenset[Role]:
    """The global roles a user holds."""
    rows = session.exec(_ROLES_OF, params={"user_id": user_id}).all()
    return frozenset(Role(r) for r in rows)


def user_and_roles(session: Session, user_id: int) -> tuple[User | None, frozenset[Role]]:
    """A user and the global roles they hold, read in one query; (None, no roles) if none."""
    rows = session.exec(_USER_AND_ROLES, params={"user_id": user_id}).all()
    if not rows:
        return None, frozenset()
    return rows[0][0], frozenset(Role(role) for _, role in rows if role is not None)


def actor_for(
    session: Session, user: User, channel: Channel, *, roles: frozenset[Role] | None = None
) -> Actor:
    """Build the actor for an authenticated user, and bind it for the change log. `roles`: the
    user's roles when the caller read them already (user_and_roles), else they are read here."""
    if roles is None:
        roles = roles_of(session, user.id)
    actor = Actor(user=user, channel=channel, roles=roles)
    bind_actor(session, actor)
    return actor


def bind_actor(session: Session, actor: Actor) -> None:
    """Tell the change log who is acting in this session."""
    session.info["actor"] = actor


def acts(fn):
    """Mark a service function that changes data: it binds its `actor` to its `session`, so
    the change log names whoever the caller passed, whatever the session saw before."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        bind_actor(kwargs["session"], kwargs["actor"])
        return fn(*args, **kwargs)

    return wrapper
