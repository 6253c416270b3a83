"""Chat identities: which Gendan user a WeChat / WeCom / DingTalk account is, and binding them.

A signed-in user asks for a one-time code and sends `绑定 <code>` from the chat account; admins
may also bind an account directly by its platform id. Codes live 10 minutes, work once, and a
chat account gets 5 wrong tries per 15 minutes (counted from the inbound message log).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, func, select

from app.services.core import Actor, acts
from app.services.people import user_brief
from models.base import utcnow
from models.chat import BindingCode, ChatIdentity, ChatIdentityPublic, ChatInbound
from models.enums import ChatPlatform, Role
from models.errors import Forbidden, InvalidInput, NotFound, RateLimited, Unavailable
from models.people import User, UserRole

CODE_TTL = timedelta(minutes=10)
CODES_PER_HOUR = 5
FAILED_ATTEMPTS_LIMIT = 5
ATTEMPT_WINDOW = timedelta(minutes=15)
CODE_PATTERN = re.compile(r"\d{6}")


def _hash(code: str) -> str:
    return hashlib.sha256(f"gendan-binding:{code}".encode()).hexdigest()


@acts
def issue_binding_code(
    *, session: Session, actor: Actor, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new one-time binding code for the signed-in user; their older codes stop working."""
    now = now or utcnow()
    if actor.user is None:
        raise Forbidden("只有登录用户可以获取绑定码")
    recent = session.exec(
        select(func.count())
        .select_from(BindingCode)
        .where(BindingCode.user_id == actor.id, BindingCode.created_at > now - timedelta(hours=1))
    ).one()
    if recent >= CODES_PER_HOUR:
        raise RateLimited("获取绑定码太频繁，请一小时后再试", code="binding_code_rate_limited")
    live = col(BindingCode.code_hash).is_not(None)
    stale = (BindingCode.user_id == actor.id) | (BindingCode.expires_at <= now)
    session.exec(update(BindingCode).where(live, stale).values(code_hash=None))
    code = _free_code(session)
    expires_at = now + CODE_TTL
    session.add(
        BindingCode(user_id=actor.id, code_hash=_hash(code), created_at=now, expires_at=expires_at)
    )
    session.flush()
    return code, expires_at


def _free_code(session: Session) -> str:
    for _ in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        taken = select(BindingCode.id).where(BindingCode.code_hash == _hash(code))
        if session.exec(taken).first() is None:
            return code
    raise Unavailable("暂时无法生成绑定码，请稍后再试", code="binding_code_exhausted")


def failed_binding_attempts(
    *, session: Session, platform: ChatPlatform, external_id: str, now: datetime
) -> int:
    """Wrong `绑定` attempts from this chat account in the last 15 minutes."""
    return session.exec(
        select(func.count())
        .select_from(ChatInbound)
        .where(
            ChatInbound.platform == platform,
            ChatInbound.sender_id == external_id,
            ChatInbound.command == "bind",
            ChatInbound.outcome == "error",
            ChatInbound.received_at > now - ATTEMPT_WINDOW,
        )
    ).one()


def record_failed_binding(
    *, session: Session, platform: ChatPlatform, external_id: str, now: datetime | None = None
) -> None:
    """Count a wrong binding code sent through another door than the chat (mini-program login)."""
    now = now or utcnow()
    session.add(
        ChatInbound(
            platform=platform,
            message_id=f"login-{secrets.token_hex(12)}",
            sender_id=external_id,
            conversation_id=external_id,
            kind="login",
            command="bind",
            outcome="error",
            received_at=now,
        )
    )
    session.flush()


@acts
def redeem_binding_code(
    *,
    session: Session,
    actor: Actor,
    platform: ChatPlatform,
    external_id: str,
    code: str,
    display_name: str = "",
    now: datetime | None = None,
) -> ChatIdentity:
    """Bind the chat account to the user the code was issued to; the code is used up."""
    now = now or utcnow()
    attempts = failed_binding_attempts(
        session=session, platform=platform, external_id=external_id, now=now
    )
    if attempts >= FAILED_ATTEMPTS_LIMIT:
        raise RateLimited("绑定码错误次数过多，请 15 分钟后再试", code="binding_attempts_exceeded")
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidInput("绑定码是 6 位数字", code="binding_code_invalid")
    query = select(BindingCode).where(BindingCode.code_hash == _hash(code)).with_for_update()
    row = session.exec(query).first()
    if row is None:
        raise InvalidInput(
            "绑定码无效或已使用，请在 Gendan 网页重新获取", code="binding_code_invalid"
        )
    if row.expires_at <= now:
        raise InvalidInput("绑定码已过期，请在 Gendan 网页重新获取", code="binding_code_expired")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise InvalidInput("该绑定码对应的用户已停用", code="binding_code_invalid")
    row.code_hash, row.used_at, row.used_platform = None, now, str(platform)
    session.add(row)
    return _bind(session, user, platform, external_id, display_name, "code", now)


def _bind(
    session: Session,
    user: User,
    platform: ChatPlatform,
    external_id: str,
    display_name: str,
    via: str,
    now: datetime,
) -> ChatIdentity:
    identity = identity_for(session=session, platform=platform, external_id=external_id)
    if identity is None:
        identity = ChatIdentity(platform=platform, external_id=external_id, created_at=now)
    identity.user_id = user.id
    identity.display_name = display_name[:64]
    identity.bound_via = via
    session.add(identity)
    session.flush()
    return identity


@acts
def bind_identity(
    *,
    session: Session,
    actor: Actor,
    user_id: int,
    platform: ChatPlatform,
    external_id: str,
    display_name: str = "",
    via: str = "admin",
    now: datetime | None = None,
) -> ChatIdentity:
    """An admin binds a chat account to a user directly, by its platform id."""
    if not actor.is_admin:
        raise Forbidden("只有管理员可以直接绑定聊天账号")
    external_id = external_id.strip()
    if not external_id or len(external_id) > 128:
        raise InvalidInput("平台用户 ID 不能为空且不超过 128 个字符", field="external_id")
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound("用户不存在或已停用", field="user_id")
    return _bind(session, user, platform, external_id, display_name, via, now or utcnow())


@acts
def unbind_identity(*, session: Session, actor: Actor, identity_id: int) -> None:
    """Remove a binding (the user themself, or an admin)."""
    identity = session.get(ChatIdentity, identity_id)
    if identity is None:
        raise NotFound("绑定不存在")
    if not (actor.is_admin or identity.user_id == actor.id):
        raise Forbidden("只能解除自己的绑定")
    session.delete(identity)
    session.flush()


def identity_for(
    *, session: Session, platform: ChatPlatform, external_id: str
) -> ChatIdentity | None:
    """The binding of a chat account, or None."""
    query = select(ChatIdentity).where(
        ChatIdentity.platform == platform, ChatIdentity.external_id == external_id
    )
    return session.exec(query).first()


def user_for_chat(*, session: Session, platform: ChatPlatform, external_id: str) -> User | None:
    """The active Gendan user a chat account is bound to, or None."""
    return chat_user_and_roles(session=session, platform=platform, external_id=external_id)[0]


# Built once: every chat message reads its sender this way.
_USER_AND_ROLES = (
    select(User, UserRole.role)
    .join(ChatIdentity, col(ChatIdentity.user_id) == User.id)
    .outerjoin(UserRole, col(UserRole.user_id) == User.id)
    .where(
        ChatIdentity.platform == bindparam("platform"),
        ChatIdentity.external_id == bindparam("external_id"),
    )
)


def chat_user_and_roles(
    *, session: Session, platform: ChatPlatform, external_id: str
) -> tuple[User | None, frozenset[Role]]:
    """The active Gendan user a chat account is bound to and the user's global roles, in one
    query; (None, no roles) when the account is not bound or its user is not active."""
    params = {"platform": platform, "external_id": external_id}
    rows = session.execute(_USER_AND_ROLES, params).all()
    if not rows or not rows[0][0].is_active:
        return None, frozenset()
    return rows[0][0], frozenset(Role(role) for _, role in rows if role is not None)


def list_identities(
    *, session: Session, actor: Actor, user_id: int | None = None
) -> list[ChatIdentity]:
    """Chat bindings: one's own, or anyone's for admins."""
    if user_id is None and not actor.is_admin:
        user_id = actor.id
    if user_id != actor.id and not actor.is_admin:
        raise Forbidden("只能查看自己的绑定")
    query = select(ChatIdentity).order_by(ChatIdentity.id)
    if user_id is not None:
        query = query.where(ChatIdentity.user_id == user_id)
    return list(session.exec(query).all())


def chat_ids_of_user(*, session: Session, user_id: int, platform: ChatPlatform) -> list[str]:
    """The user's account ids on one platform, newest binding first."""
    query = select(ChatIdentity.external_id).where(
        ChatIdentity.user_id == user_id, ChatIdentity.platform == platform
    )
    return list(session.exec(query.order_by(col(ChatIdentity.id).desc())).all())


def identities_public(session: Session, rows: list[ChatIdentity]) -> list[ChatIdentityPublic]:
    """Public forms of chat bindings."""
    users = {
        u.id: u
        for u in session.exec(select(User).where(col(User.id).in_({r.user_id for r in rows})))
    }
    return [
        ChatIdentityPublic(
            id=r.id,
            user=user_brief(users[r.user_id]),
            platform=r.platform,
            external_id=r.external_id,
            display_name=r.display_name,
            bound_via=r.bound_via,
            created_at=r.created_at,
        )
        for r in rows
    ]
