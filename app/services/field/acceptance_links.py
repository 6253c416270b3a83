"""One-time acceptance links (验收链接) for customers who have no account.

The tracker creates a link; the customer opens it on a phone, reads the order summary and
confirms acceptance with a satisfaction score. The token in the URL is signed and carries
the link id and a random secret of which only the hash is stored; a link works once, until it
expires, and only while it is the order's newest link.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col, select

from app.services.core import (
    Actor,
    acts,
    load_order,
    local_date,
    require_order_role,
    settings,
    validated,
)
from app.services.field.acceptance import close_by_acceptance, punctuality, ready_for_acceptance
from models.acceptance import Acceptance, AcceptanceLink, CustomerConfirm
from models.base import utcnow
from models.enums import AcceptanceMethod, OrderStatus, Role
from models.errors import Conflict, DomainError, NotFound
from models.orders import Order

_SALT = "gendan.acceptance-link.v1"


class LinkInvalid(NotFound):
    code = "link_invalid"
    message = "验收链接无效，请核对链接是否完整"


class LinkExpired(DomainError):
    code = "link_expired"
    status = 410
    message = "验收链接已过期，请联系跟单员重新发送"


class LinkReplaced(DomainError):
    code = "link_replaced"
    status = 410
    message = "该链接已被新发送的验收链接取代，请使用最新的链接"


class LinkUsed(Conflict):
    code = "link_used"
    message = "订单已确认验收，该链接已使用过或已失效"


class LinkClosed(DomainError):
    code = "link_closed"
    status = 410
    message = "订单已取消，验收链接已失效"


def _hash(secret_part: str) -> str:
    return hashlib.sha256(secret_part.encode()).hexdigest()


def link_url(token: str) -> str:
    """The address the customer opens."""
    return f"{settings().public_base_url}/accept/{token}"


@acts
def create_acceptance_link(
    *, session: Session, actor: Actor, order_id: int, secret: str, now: datetime | None = None
) -> tuple[AcceptanceLink, str]:
    """A new one-time link for the customer (trackers); earlier unused links stop working."""
    now = now or utcnow()
    order = load_order(session, actor, order_id, for_update=True)
    require_order_role(session, actor, order, {Role.tracker}, "发送验收链接")
    ready_for_acceptance(session=session, order=order)
    live = session.exec(
        select(AcceptanceLink).where(
            AcceptanceLink.order_id == order.id,
            col(AcceptanceLink.used_at).is_(None),
            col(AcceptanceLink.revoked_at).is_(None),
        )
    ).all()
    for old in live:
        old.revoked_at = now
        session.add(old)
    secret_part = secrets.token_urlsafe(24)
    link = AcceptanceLink(
        order_id=order.id,
        secret_hash=_hash(secret_part),
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(hours=settings().acceptance_link_hours),
    )
    session.add(link)
    session.flush()
    token = URLSafeSerializer(secret, salt=_SALT).dumps({"l": link.id, "s": secret_part})
    return link, token


def open_link(
    *, session: Session, token: str, secret: str, now: datetime | None = None, lock=False
) -> tuple[AcceptanceLink, Order]:
    """The link and its order if the token is good and the link still usable. With lock, the
    order row is locked first (as on every acceptance path) and the link read again after."""
    try:
        data = URLSafeSerializer(secret, salt=_SALT).loads(token)
    except BadSignature as exc:
        raise LinkInvalid() from exc
    if not isinstance(data, dict) or not isinstance(data.get("l"), int):
        raise LinkInvalid()
    link = session.get(AcceptanceLink, data["l"])
    if link is None or not secrets.compare_digest(link.secret_hash, _hash(str(data.get("s")))):
        raise LinkInvalid()
    query = select(Order).where(Order.id == link.order_id)
    order = session.exec(query.with_for_update() if lock else query).one()
    if lock:
        session.refresh(link)
    _check_usable(link, order, now or utcnow())
    return link, order


def _check_usable(link: AcceptanceLink, order: Order, now: datetime) -> None:
    if link.used_at is not None or order.status == OrderStatus.completed:
        raise LinkUsed()
    if order.status == OrderStatus.cancelled:
        raise LinkClosed()
    if link.revoked_at is not None:
        raise LinkReplaced()
    if link.expires_at <= now:
        raise LinkExpired()


@acts
def accept_by_link(
    *,
    session: Session,
    actor: Actor,
    token: str,
    secret: str,
    signer_name: str,
    satisfaction: int,
    comment: str = "",
    now: datetime | None = None,
) -> Acceptance:
    """The customer confirms acceptance through the link (the link is the permission)."""
    now = now or utcnow()
    data = validated(
        CustomerConfirm,
        {"signer_name": signer_name, "satisfaction": satisfaction, "comment": comment},
    )
    link, order = open_link(session=session, token=token, secret=secret, now=now, lock=True)
    ready = ready_for_acceptance(session=session, order=order)
    link.used_at = now
    session.add(link)
    acceptance = Acceptance(
        order_id=order.id,
        method=AcceptanceMethod.link,
        link_id=link.id,
        signer_name=data.signer_name,
        satisfaction=data.satisfaction,
        comment=data.comment,
        **punctuality(order, local_date(now)),
        recorded_at=now,
    )
    session.add(acceptance)
    session.flush()
    text = f"客户 {data.signer_name} 通过验收链接确认验收"
    return close_by_acceptance(session, actor, order, ready, acceptance, text)
