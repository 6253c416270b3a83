"""Where an alert's messages went: recipient, channel, status (pending / held / sent / failed /
cancelled) and times, for GET /api/alerts/<id> and the alert pages."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.services.alerts.handling import AlertNotFound
from app.services.core import Actor, load_order
from models.alerts import Alert, AlertDelivery
from models.chat import ChatGroup
from models.enums import OutboxChannel, OutboxStatus
from models.outbox import Outbox
from models.people import User

DELIVERY_STATUS_NAMES = {
    "pending": "待发送",
    "held": "暂缓（免打扰）",
    "sent": "已发送",
    "failed": "发送失败",
    "cancelled": "已取消",
}
CHANNEL_NAMES = {
    OutboxChannel.wecom_robot: "企业微信群",
    OutboxChannel.dingtalk_robot: "钉钉群",
    OutboxChannel.dingtalk_session: "钉钉会话",
    OutboxChannel.dingtalk_notice: "钉钉工作通知",
    OutboxChannel.wecom_app: "企业微信应用消息",
    OutboxChannel.wechat_custom: "微信客服消息",
    OutboxChannel.wechat_subscribe: "微信订阅消息",
}


def _digests(session: Session, rows: list[Outbox]) -> dict[int, Outbox]:
    ids = {r.digest_id for r in rows if r.digest_id is not None}
    if not ids:
        return {}
    return {d.id: d for d in session.exec(select(Outbox).where(col(Outbox.id).in_(ids)))}


def _state(row: Outbox, digests: dict[int, Outbox], now: datetime) -> tuple[str, datetime | None]:
    """The delivery status people read, and when it was sent."""
    if row.status == OutboxStatus.merged:
        digest = digests.get(row.digest_id)
        return _state(digest, {}, now) if digest else ("sent", row.sent_at)
    if row.status in (OutboxStatus.pending, OutboxStatus.sending):
        held = row.status == OutboxStatus.pending and row.not_before > now
        return ("held" if held else "pending"), None
    return str(row.status), row.sent_at


def _names(session: Session, rows: list[Outbox]) -> tuple[dict, dict]:
    group_ids = {r.group_id for r in rows if r.group_id is not None}
    user_ids = {r.user_id for r in rows if r.user_id is not None}
    groups = users = {}
    if group_ids:
        query = select(ChatGroup.id, ChatGroup.name).where(col(ChatGroup.id).in_(group_ids))
        groups = dict(session.exec(query).all())
    if user_ids:
        query = select(User.id, User.display_name).where(col(User.id).in_(user_ids))
        users = dict(session.exec(query).all())
    return groups, users


def alert_deliveries(
    *, session: Session, actor: Actor, alert_id: int, now: datetime
) -> list[AlertDelivery]:
    """The messages of one alert, oldest first (for those who may see its order)."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(f"预警 #A{alert_id} 不存在")
    load_order(session, actor, alert.order_id)
    rows = list(session.exec(select(Outbox).where(Outbox.alert_id == alert_id).order_by(Outbox.id)))
    digests, (groups, users) = _digests(session, rows), _names(session, rows)
    out = []
    for row in rows:
        status, sent_at = _state(row, digests, now)
        who = groups.get(row.group_id) if row.group_id else users.get(row.user_id)
        out.append(
            AlertDelivery(
                id=row.id,
                recipient=who or "未知",
                recipient_user_id=row.user_id,
                group_id=row.group_id,
                channel=str(row.channel),
                channel_name=CHANNEL_NAMES.get(row.channel, str(row.channel)),
                status=status,
                status_name=DELIVERY_STATUS_NAMES[status],
                created_at=row.created_at,
                not_before=row.not_before,
                sent_at=sent_at,
                cancel_reason=row.cancel_reason,
                last_error=row.last_error,
            )
        )
    return out
