"""Signed, expiring bearer tokens for the mini-program and API clients.

A token carries the user id and the user's token_version; bumping the version revokes every
token issued before (logout everywhere, or an admin disabling a lost phone).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session

from app.services.core import user_and_roles
from models.base import utcnow
from models.enums import Role
from models.errors import NotAuthenticated
from models.people import User

_SALT = "gendan.api-token.v1"


class TokenExpired(NotAuthenticated):
    code = "token_expired"
    message = "登录已过期，请重新登录"


class TokenInvalid(NotAuthenticated):
    code = "token_invalid"
    message = "登录凭证无效，请重新登录"


def _serializer(secret: str, now: datetime) -> URLSafeTimedSerializer:
    stamp = int(now.timestamp())

    class _ClockSigner(TimestampSigner):
        # The service's clock, not the wall clock, so that expiry follows `now`.
        def get_timestamp(self) -> int:
            return stamp

    return URLSafeTimedSerializer(secret, salt=_SALT, signer=_ClockSigner)


def issue_token(*, user: User, secret: str, ttl_hours: int, now: datetime | None = None):
    """A new bearer token for the user and the moment it expires."""
    now = now or utcnow()
    token = _serializer(secret, now).dumps({"u": user.id, "v": user.token_version})
    return token, now + timedelta(hours=ttl_hours)


def user_for_token(
    *, session: Session, token: str, secret: str, ttl_hours: int, now: datetime | None = None
) -> User:
    """The active user a token belongs to; expired, tampered or revoked tokens are refused."""
    return user_and_roles_for_token(
        session=session, token=token, secret=secret, ttl_hours=ttl_hours, now=now
    )[0]


def user_and_roles_for_token(
    *, session: Session, token: str, secret: str, ttl_hours: int, now: datetime | None = None
) -> tuple[User, frozenset[Role]]:
    """user_for_token, with the user's global roles read in the same query."""
    try:
        data = _serializer(secret, now or utcnow()).loads(token, max_age=ttl_hours * 3600)
    except SignatureExpired as exc:
        raise TokenExpired() from exc
    except BadSignature as exc:
        raise TokenInvalid() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise TokenInvalid()
    user, roles = user_and_roles(session, data["u"])
    if user is None or not user.is_active or user.token_version != data.get("v"):
        raise TokenInvalid()
    return user, roles


def revoke_tokens(*, session: Session, user: User) -> None:
    """Invalidate every token issued to the user so far."""
    user.token_version += 1
    session.add(user)
    session.flush()
