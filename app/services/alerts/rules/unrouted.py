"""A warning that reached nobody is itself a warning, to the admins: nothing is dropped silently.

Runs after the other rules' alerts and messages are written (phase 3): an open alert of today
that no group following its order received and that has no message on its way (pending, sent
or merged; a private message refused for good does not count) is raised again, high risk, to
the first admin, naming what to fix (a chat binding, a group for the order).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import col, select

from app.services.alerts.rules import Finding, RuleContext, restrict, rule
from models.alerts import Alert
from models.chat import ChatGroup, ChatGroupOrder
from models.enums import OutboxStatus, RiskLevel, Role
from models.orders import Order
from models.outbox import Outbox
from models.people import User, UserRole

UNROUTED = "unrouted"
ON_ITS_WAY = (OutboxStatus.pending, OutboxStatus.sending, OutboxStatus.sent, OutboxStatus.merged)


@rule(UNROUTED, "预警无人接收", phase=3)
def unrouted(ctx: RuleContext) -> Iterable[Finding]:
    on_its_way = select(Outbox.id).where(
        Outbox.alert_id == Alert.id, col(Outbox.status).in_(ON_ITS_WAY)
    )
    followed = (
        select(ChatGroupOrder.order_id)
        .join(ChatGroup, ChatGroup.id == ChatGroupOrder.group_id)
        .where(ChatGroupOrder.order_id == Alert.order_id, ChatGroup.active)
    )
    admin = (
        select(func.min(User.id))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.admin, User.is_active)
        .scalar_subquery()
    )
    query = (
        select(Alert.id, Alert.order_id, Order.code, Alert.message, admin)
        .join(Order, Order.id == Alert.order_id)
        .where(
            Alert.day == ctx.today,
            Alert.rule != UNROUTED,
            col(Alert.acknowledged_at).is_(None),
            col(Alert.resolved_at).is_(None),
            ~on_its_way.exists(),
            ~followed.exists(),
        )
    )
    for alert_id, order_id, code, message, admin_id in ctx.session.exec(
        restrict(query, Alert.order_id, ctx)
    ):
        yield Finding(
            entity_type="alert",
            entity_id=alert_id,
            order_id=order_id,
            level=RiskLevel.high,
            owner_id=admin_id,
            message=(
                f"预警 #A{alert_id} 没有送达任何人：责任人、跟单员和管理层都没有绑定聊天账号，"
                f"订单 {code} 也没有关注的群。请绑定聊天账号或把订单加入群。原预警：{message}"
            ),
        )
