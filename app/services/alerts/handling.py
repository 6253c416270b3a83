"""Alerts (预警) once raised: listing them, and acknowledging them ("收到 #A12" in chat, or
the signed one-time link /ack/<token>), which stops their reminders and escalation and
stores the response time for the KPI "exception response time"; messages of the alert still
waiting in the outbox (quiet hours) are cancelled.

Acknowledging an alert acknowledges the whole exception: every unacknowledged alert of the
same rule, entity and order (earlier days' reminders, other levels) and the escalations of
them. The response time is measured from when a message of the exception first reached
someone (`delivered_at`), not from its creation: quiet hours may hold it back (an alert
acknowledged before any message reached anyone counts from its creation).

Only those who answer for the warning may acknowledge it: its owner (of the warning it
escalates, for an escalation), the order's liaison, the order's managers and admins. Anyone
else who may see the order is refused, so that 收到 from a bystander does not stop the
escalation and count as a response.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes
from sqlmodel import Session, col, func, or_, select

from app.services.alerts.lifecycle import ACKNOWLEDGED, cancel_messages
from app.services.alerts.rules import load_rules
from app.services.core import Actor, acts, load_order, settings, visible_orders_clause
from models.alerts import Alert, AlertPublic, AlertResponseStats
from models.base import utcnow
from models.enums import RISK_NAMES, RiskLevel, Role
from models.errors import Conflict, DomainError, Forbidden, NotFound
from models.orders import Order
from models.people import User

_SALT = "gendan.alert-ack.v1"


class AlertNotFound(NotFound):
    code = "alert_not_found"
    message = "预警不存在"


class AlertAcknowledged(Conflict):
    code = "alert_acknowledged"
    message = "该预警已确认过，无需重复确认"


class AckNotAllowed(Forbidden):
    code = "alert_ack_forbidden"
    message = "只有预警的责任人、本单跟单员、管理层或管理员可以确认"


ACK_VIA_NAMES = {"chat": "群聊回复", "link": "确认链接", "api": "接口", "web": "网页"}


class AckLinkInvalid(NotFound):
    code = "ack_link_invalid"
    message = "确认链接无效，请核对链接是否完整，或在群里回复「收到 #A编号」"


class AckLinkExpired(DomainError):
    code = "ack_link_expired"
    status = 410
    message = "确认链接已过期，请在群里回复「收到 #A编号」确认"


def _serializer(secret: str, now: datetime) -> URLSafeTimedSerializer:
    stamp = int(now.timestamp())
    derived: dict[bytes, bytes] = {}

    class _ClockSigner(TimestampSigner):
        # The service's clock, so that expiry follows `now` (frozen in tests).
        def get_timestamp(self) -> int:
            return stamp

        # One key derivation per serializer, not one per token (a sweep signs thousands).
        def derive_key(self, secret_key=None) -> bytes:
            key = self.secret_keys[-1] if secret_key is None else secret_key
            if key not in derived:
                derived[key] = super().derive_key(secret_key)
            return derived[key]

    return URLSafeTimedSerializer(secret, salt=_SALT, signer=_ClockSigner)


def alert_token(*, alert_id: int, secret: str, now: datetime) -> str:
    """The signed token of an alert's acknowledgement link."""
    return _serializer(secret, now).dumps(alert_id)


def token_maker(*, secret: str, now: datetime) -> Callable[[int], str]:
    """alert_token for many alerts signed at one instant (the sweep's): the same tokens, made
    with one key derivation and one HMAC state copied per token instead of the serializer's
    generic path (JSON, compression attempt, signer objects), which cost about 100 µs each."""
    serializer = _serializer(secret, now)
    signer = serializer.make_signer(serializer.salt)
    stamp = base64_encode(int_to_bytes(int(now.timestamp())))
    keyed = hmac.new(signer.derive_key(), digestmod=signer.digest_method)

    def make(alert_id: int) -> str:
        value = base64_encode(b"%d" % alert_id) + b"." + stamp
        mac = keyed.copy()
        mac.update(value)
        return (value + b"." + base64_encode(mac.digest())).decode()

    return make


def ack_url(token: str) -> str:
    """The address the owner taps to acknowledge."""
    return f"{settings().public_base_url}/ack/{token}"


def alert_for_token(*, session: Session, token: str, secret: str, now: datetime) -> Alert:
    """The alert a link points to; invalid or expired links are refused (not yet whether it
    was acknowledged: the page says so)."""
    max_age = settings().alert_link_hours * 3600
    try:
        alert_id = _serializer(secret, now).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise AckLinkExpired() from exc
    except BadSignature as exc:
        raise AckLinkInvalid() from exc
    alert = session.get(Alert, alert_id) if isinstance(alert_id, int) else None
    if alert is None:
        raise AckLinkInvalid()
    return alert


def parse_ref(text: str) -> int | None:
    """12 from "A12" / "#A12" / "a12"; None for anything else."""
    text = text.strip().lstrip("#").strip()
    if text[:1] in ("A", "a") and text[1:].isdigit() and len(text) <= 10:
        return int(text[1:])
    return None


def _load(session: Session, alert_id: int, *, for_update: bool = False) -> Alert:
    query = select(Alert).where(Alert.id == alert_id)
    alert = session.exec(query.with_for_update() if for_update else query).first()
    if alert is None:
        raise AlertNotFound(f"预警 #A{alert_id} 不存在")
    return alert


def _chain(session: Session, alert: Alert) -> list[Alert]:
    """The unacknowledged alerts of the same exception, and their escalations."""
    root = session.get(Alert, alert.parent_id) if alert.parent_id else alert
    root = root or alert
    same = select(Alert.id).where(
        Alert.rule == root.rule,
        Alert.entity_type == root.entity_type,
        Alert.entity_id == root.entity_id,
        Alert.order_id == root.order_id,
    )
    query = select(Alert).where(
        col(Alert.acknowledged_at).is_(None),
        or_(col(Alert.id).in_(same), col(Alert.parent_id).in_(same), Alert.id == alert.id),
    )
    return list(session.exec(query.with_for_update()))


def get_alert(*, session: Session, actor: Actor, alert_id: int) -> Alert:
    """An alert of an order the actor may see (AlertNotFound, or the order's refusal)."""
    alert = _load(session, alert_id)
    load_order(session, actor, alert.order_id)
    return alert


def may_acknowledge(session: Session, actor: Actor, alert: Alert, order: Order) -> bool:
    """Whether the actor answers for this warning: the system, admins, managers (they manage
    every order), the owner (of the warning an escalation escalates, too), the liaison."""
    if actor.is_admin or actor.has(Role.manager):
        return True
    root = session.get(Alert, alert.parent_id) if alert.parent_id else None
    return actor.id in {alert.owner_id, root.owner_id if root else None, order.liaison_id} - {None}


def _require_may_acknowledge(session: Session, actor: Actor, alert: Alert) -> None:
    order = load_order(session, actor, alert.order_id)
    if may_acknowledge(session, actor, alert, order):
        return
    owner = session.get(User, alert.owner_id) if alert.owner_id else None
    who = f"责任人{owner.display_name}" if owner else "责任人"
    raise AckNotAllowed(
        f"预警 #A{alert.id} 只能由{who}、本单跟单员、管理层或管理员确认",
        alert_id=alert.id,
        owner_id=alert.owner_id,
    )


@acts
def acknowledge_alert(
    *,
    session: Session,
    actor: Actor,
    alert_id: int,
    via: str = "api",
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> Alert:
    """Acknowledge an alert and its whole exception (those who answer for it, see
    `may_acknowledge`; a link acknowledges as the alert's owner)."""
    now = now or utcnow()
    alert = _load(session, alert_id, for_update=True)
    if actor.id is not None:
        _require_may_acknowledge(session, actor, alert)
    if alert.acknowledged_at is not None:
        raise AlertAcknowledged(f"预警 #A{alert.id} 已确认过，无需重复确认")
    who = actor.id if actor.id is not None else by_user_id
    chain = _chain(session, alert)
    # The response clock runs from the first message that reached someone; an alert no
    # message reached yet (seen on a page) from when it was raised.
    start = min((row.delivered_at for row in chain if row.delivered_at), default=None)
    start = start or min(row.created_at for row in chain)
    for row in chain:
        row.acknowledged_at = now
        row.acknowledged_by_id = who
        row.ack_via = via
        row.response_seconds = max(0, int((now - start).total_seconds()))
        session.add(row)
    session.flush()
    cancel_messages(session, dict.fromkeys((row.id for row in chain), ACKNOWLEDGED))
    session.refresh(alert)
    return alert


@acts
def acknowledge_by_link(
    *, session: Session, actor: Actor, token: str, secret: str, now: datetime | None = None
) -> Alert:
    """The owner tapped the link in the reminder: acknowledge once, as the owner."""
    now = now or utcnow()
    alert = alert_for_token(session=session, token=token, secret=secret, now=now)
    return acknowledge_alert(
        session=session,
        actor=actor,
        alert_id=alert.id,
        via="link",
        by_user_id=alert.owner_id,
        now=now,
    )


def list_alerts(
    *,
    session: Session,
    actor: Actor,
    order_id: int | None = None,
    acknowledged: bool | None = None,
    level: RiskLevel | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AlertPublic], int]:
    """Alerts of the orders the actor may see, newest first."""
    query = select(Alert, Order.code).join(Order, Order.id == Alert.order_id)
    query = query.where(visible_orders_clause(actor))
    if order_id is not None:
        load_order(session, actor, order_id)
        query = query.where(Alert.order_id == order_id)
    if acknowledged is not None:
        ack = col(Alert.acknowledged_at)
        query = query.where(ack.is_not(None) if acknowledged else ack.is_(None))
    if level is not None:
        query = query.where(Alert.level == level)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Alert.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return alerts_public(session, rows), total


def alerts_public(session: Session, rows: list[tuple[Alert, str]]) -> list[AlertPublic]:
    """Public forms with the rule's and the owner's names."""
    rules = load_rules()
    owners = {u for a, _ in rows for u in (a.owner_id, a.acknowledged_by_id) if u}
    names = {}
    if owners:
        query = select(User.id, User.display_name).where(col(User.id).in_(owners))
        names = dict(session.exec(query).all())
    return [
        AlertPublic(
            **a.model_dump(),
            ref=f"A{a.id}",
            rule_name=rules[a.rule].title if a.rule in rules else a.rule,
            order_code=code,
            level_name=RISK_NAMES[RiskLevel(a.level)],
            owner_name=names.get(a.owner_id),
            acknowledged_by_name=names.get(a.acknowledged_by_id),
            ack_via_name=ACK_VIA_NAMES.get(a.ack_via) if a.ack_via else None,
        )
        for a, code in rows
    ]


def alerts_by_id(*, session: Session, alert_ids: list[int]) -> list[AlertPublic]:
    """The public forms of these alerts, in id order (what a sweep just raised)."""
    if not alert_ids:
        return []
    query = (
        select(Alert, Order.code)
        .join(Order, Order.id == Alert.order_id)
        .where(col(Alert.id).in_(alert_ids))
        .order_by(Alert.id)
    )
    return alerts_public(session, list(session.exec(query).all()))


def alert_public(session: Session, alert: Alert) -> AlertPublic:
    """One alert's public form."""
    return alerts_public(session, [(alert, session.get(Order, alert.order_id).code)])[0]


RESPONSE_TARGET_SECONDS = 2 * 3600  # the KPI target: exceptions answered within 2 hours


def response_stats(
    *,
    session: Session,
    actor: Actor,
    start: datetime,
    end: datetime,
    target_seconds: int = RESPONSE_TARGET_SECONDS,
) -> AlertResponseStats:
    """Exception response time over the exceptions that began in [start, end) on the orders
    the actor may see: each counted once (daily reminders and escalations are not new ones)."""
    exception = (
        Alert.rule,
        Alert.entity_type,
        Alert.entity_id,
        Alert.order_id,
        Alert.level,
        Alert.since,
    )
    query = (
        select(func.max(Alert.acknowledged_at), func.max(Alert.response_seconds))
        .join(Order, Order.id == Alert.order_id)
        .where(
            visible_orders_clause(actor),
            col(Alert.parent_id).is_(None),
            Alert.since >= start,
            Alert.since < end,
        )
        .group_by(*exception)  # one exception however many days it was reminded
    )
    rows = session.exec(query).all()
    answered = [seconds for acked, seconds in rows if acked is not None and seconds is not None]
    return AlertResponseStats(
        raised=len(rows),
        acknowledged=len(answered),
        open=len(rows) - len(answered),
        average_seconds=sum(answered) / len(answered) if answered else None,
        within_target=(
            sum(s <= target_seconds for s in answered) / len(answered) if answered else None
        ),
        target_seconds=target_seconds,
    )
