"""/api/auth: exchange a password for a bearer token, revoke tokens, who am I."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_openapi3 import Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services.people import authenticate, issue_token, revoke_tokens, user_public
from models.people import UserPublic

bp = APIBlueprint("api_auth", __name__, url_prefix="/api", abp_tags=[Tag(name="认证")])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class TokenOut(BaseModel):
    token: str
    token_type: str = "Bearer"
    expires_at: datetime
    user: UserPublic


@bp.post("/auth/token", responses={200: TokenOut})
def login(body: LoginIn):
    """Exchange username and password for a bearer token."""
    session = db_session()
    user = authenticate(session=session, username=body.username, password=body.password)
    token, expires = issue_token(
        user=user,
        secret=current_app.config["SECRET_KEY"],
        ttl_hours=current_app.config["TOKEN_TTL_HOURS"],
    )
    return ok(
        TokenOut(token=token, expires_at=expires, user=user_public(session=session, user=user))
    )


@bp.post("/auth/revoke", responses={204: None}, security=SECURITY)
def revoke():
    """Revoke every token of the signed-in user (logout everywhere)."""
    actor = current_actor()
    revoke_tokens(session=db_session(), user=actor.user)
    commit()
    return ok()


@bp.get("/me", responses={200: UserPublic}, security=SECURITY)
def me():
    """The signed-in user."""
    actor = current_actor()
    return ok(user_public(session=db_session(), user=actor.user))
