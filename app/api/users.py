"""/api/users and /api/departments."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services.people import (
    create_user,
    find_in_directory,
    list_departments,
    list_directory,
    revoke_user_tokens,
    update_user,
    user_public,
)
from models.enums import Role
from models.people import DepartmentPublic, UserCreate, UserPublic, UserUpdate

bp = APIBlueprint(
    "api_users", __name__, url_prefix="/api", abp_tags=[Tag(name="人员")], abp_security=SECURITY
)


class UserPath(BaseModel):
    user_id: int


class UserQuery(BaseModel):
    role: Role | None = None
    q: str | None = Field(default=None, max_length=64)


class UserList(BaseModel):
    items: list[UserPublic]


class DepartmentList(BaseModel):
    items: list[DepartmentPublic]


@bp.get("/users", responses={200: UserList})
def users_index(query: UserQuery):
    """Users, optionally filtered by role or name: customers see only the people on their own
    orders; mobiles and e-mail only for roles that need them (see docs/SECURITY.md)."""
    actor, session = current_actor(), db_session()
    items = list_directory(session=session, actor=actor, role=query.role, q=query.q)
    return ok(UserList(items=items))


@bp.post("/users", responses={201: UserPublic})
def users_create(body: UserCreate):
    """Create a user (admins)."""
    actor, session = current_actor(), db_session()
    user = create_user(session=session, actor=actor, data=body)
    commit()
    return ok(user_public(session=session, user=user), 201)


@bp.get("/users/<int:user_id>", responses={200: UserPublic})
def users_show(path: UserPath):
    """One user, as the directory shows them to the caller."""
    actor, session = current_actor(), db_session()
    return ok(find_in_directory(session=session, actor=actor, user_id=path.user_id))


@bp.patch("/users/<int:user_id>", responses={200: UserPublic})
def users_update(path: UserPath, body: UserUpdate):
    """Change a user (admins; anyone their own name and password)."""
    actor, session = current_actor(), db_session()
    user = update_user(session=session, actor=actor, user_id=path.user_id, data=body)
    commit()
    return ok(user_public(session=session, user=user))


@bp.post("/users/<int:user_id>/revoke-tokens", responses={204: None})
def users_revoke_tokens(path: UserPath):
    """Sign a user out everywhere: every token and web session issued so far stops working
    (admins for anyone, e.g. a lost phone; anyone for themselves)."""
    actor, session = current_actor(), db_session()
    revoke_user_tokens(session=session, actor=actor, user_id=path.user_id)
    commit()
    return ok()


@bp.get("/departments", responses={200: DepartmentList})
def departments_index():
    """All departments."""
    current_actor()
    depts = list_departments(session=db_session())
    return ok(
        DepartmentList(
            items=[DepartmentPublic.model_validate(d, from_attributes=True) for d in depts]
        )
    )
