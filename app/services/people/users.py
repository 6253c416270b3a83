"""Users, their roles and departments; authentication by password."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.services.core import Actor, acts, roles_of
from app.services.people.departments import get_department
from app.services.people.passwords import hash_password, verify_password
from app.services.people.tokens import revoke_tokens
from models.enums import Role
from models.errors import Conflict, Forbidden, NotAuthenticated, NotFound
from models.people import (
    Department,
    DepartmentPublic,
    User,
    UserBrief,
    UserCreate,
    UserPublic,
    UserRole,
    UserUpdate,
)


class BadCredentials(NotAuthenticated):
    code = "bad_credentials"
    message = "用户名或密码错误"


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以管理用户")


def _department_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    dept = get_department(session=session, code=code)
    if dept is None:
        raise NotFound(f"部门代码 {code} 不存在", field="department")
    return dept.id


def _check_unique(session: Session, *, username=None, mobile=None, exclude_id=None) -> None:
    for column, value, label in (
        (User.username, username, "用户名"),
        (User.mobile, mobile, "手机号"),
    ):
        if value is None:
            continue
        query = select(User.id).where(column == value)
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if session.exec(query).first() is not None:
            raise Conflict(f"{label} {value} 已被使用", code="duplicate")


def _set_roles(session: Session, user: User, roles: list[Role]) -> None:
    current = roles_of(session, user.id)
    wanted = frozenset(Role(r) for r in roles)
    for role in current - wanted:
        session.delete(session.get(UserRole, (user.id, str(role))))
    for role in sorted(wanted - current):
        session.add(UserRole(user_id=user.id, role=role))


@acts
def create_user(*, session: Session, actor: Actor, data: UserCreate) -> User:
    """Create a user with roles, a department and (optionally) a password."""
    _require_admin(actor)
    _check_unique(session, username=data.username, mobile=data.mobile)
    user = User(
        username=data.username,
        display_name=data.display_name or data.username,
        mobile=data.mobile,
        email=data.email,
        department_id=_department_id(session, data.department),
        password_hash=hash_password(data.password) if data.password else None,
    )
    session.add(user)
    session.flush()
    _set_roles(session, user, data.roles)
    session.flush()
    return user


@acts
def update_user(*, session: Session, actor: Actor, user_id: int, data: UserUpdate) -> User:
    """Change a profile, roles, password or active flag (admins; anyone their own password)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    fields = data.model_dump(exclude_unset=True)
    own_password_only = actor.id == user_id and set(fields) <= {"password", "display_name"}
    if not (actor.is_admin or own_password_only):
        raise Forbidden("只有管理员可以修改用户")
    _check_unique(session, mobile=fields.get("mobile"), exclude_id=user_id)
    if "department" in fields:
        user.department_id = _department_id(session, fields.pop("department"))
    if "password" in fields:
        user.password_hash = hash_password(fields.pop("password"))
        user.token_version += 1
    if "roles" in fields:
        _set_roles(session, user, fields.pop("roles"))
    for key, value in fields.items():
        setattr(user, key, value)
    session.add(user)
    session.flush()
    return user


@acts
def revoke_user_tokens(*, session: Session, actor: Actor, user_id: int) -> User:
    """End every bearer token and session of a user (admins; anyone their own)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("用户不存在")
    if not (actor.is_admin or actor.id == user_id):
        raise Forbidden("只有管理员可以让他人的登录失效")
    revoke_tokens(session=session, user=user)
    return user


def get_user(*, session: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return session.get(User, user_id)


def get_user_by_username(*, session: Session, username: str) -> User | None:
    """The user with this login name, or None."""
    return session.exec(select(User).where(User.username == username)).first()


def list_users(
    *, session: Session, actor: Actor, role: Role | None = None, q: str | None = None
) -> list[User]:
    """Users, optionally of one role or matching a name; any signed-in user may look people up."""
    if actor.user is None and not actor.is_system:
        raise Forbidden()
    query = select(User).order_by(User.id)
    if role is not None:
        query = query.join(UserRole, UserRole.user_id == User.id).where(UserRole.role == role)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(col(User.username).ilike(like) | col(User.display_name).ilike(like))
    return list(session.exec(query).all())


def authenticate(*, session: Session, username: str, password: str) -> User:
    """The active user with this username and password; anything else is BadCredentials."""
    user = get_user_by_username(session=session, username=username.strip())
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_active:
        raise BadCredentials()
    return user


def count_users(*, session: Session) -> int:
    """How many users exist."""
    return session.exec(select(func.count()).select_from(User)).one()


def users_by_id(session: Session, ids) -> dict[int, User]:
    """The users with these ids (None ignored), in one query."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))}


def user_brief(user: User | None) -> UserBrief | None:
    """The short public form of a user."""
    if user is None:
        return None
    return UserBrief(id=user.id, username=user.username, display_name=user.display_name)


def user_public(*, session: Session, user: User) -> UserPublic:
    """The full public form of a user, with roles and department."""
    dept = session.get(Department, user.department_id) if user.department_id else None
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        mobile=user.mobile,
        email=user.email,
        department=DepartmentPublic.model_validate(dept, from_attributes=True) if dept else None,
        roles=sorted(roles_of(session, user.id)),
        is_active=user.is_active,
    )
