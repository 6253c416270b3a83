"""What each chat command does: call the same services the REST API calls, answer briefly.

No business rule lives here. A handler finds the order (by code, or the one the group
follows), calls a service, and turns the result into a short Reply; refusals are the
services' DomainErrors, which the dispatcher turns into their Chinese message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session

from app.services.chat import enqueue_task, redeem_binding_code
from app.services.core import Actor, local_date, settings
from app.services.orders import (
    delivery_days_late,
    find_order_by_code,
    get_order,
    list_stages,
    order_progress,
    stage_days_late,
)
from bots import texts
from bots.message import InboundMessage, SessionWebhookContext
from bots.replies import Reply, markdown, plain
from models.chat import ChatGroup
from models.enums import (
    ORDER_STATUS_NAMES,
    STAGE_NAMES,
    Channel,
    ChatPlatform,
    OrderStatus,
    StageKind,
    StageStatus,
)
from models.errors import InvalidInput
from models.orders import Order
from models.people import User

if TYPE_CHECKING:
    from bots.commands import Spec

STAGE_MARKS = {StageStatus.done: "✅", StageStatus.in_progress: "▶", StageStatus.not_started: "○"}


@dataclass
class ChatContext:
    session: Session
    message: InboundMessage
    now: datetime
    user: User | None = None
    actor: Actor | None = None
    group: ChatGroup | None = None
    group_orders: list[int] = field(default_factory=list)
    awaiting: tuple[str, int] | None = None  # an issue waiting for the sender's next image
    spec: Spec | None = None  # the command being handled (its table entry)

    @property
    def platform(self) -> ChatPlatform:
        return ChatPlatform(self.message.platform)

    def order(self, code: str | None) -> Order:
        """The order named in the command, else the one this group follows; the hints show
        the first line of the command's example."""
        example = self.spec.example.split("\n")[0]
        if code:
            return find_order_by_code(session=self.session, actor=self.actor, code=code)
        if len(self.group_orders) == 1:
            return get_order(session=self.session, actor=self.actor, order_id=self.group_orders[0])
        if self.group_orders:
            codes = "、".join(
                get_order(session=self.session, actor=Actor.system(Channel.bot), order_id=i).code
                for i in self.group_orders[:5]
            )
            raise InvalidInput(texts.GROUP_HAS_MANY.format(codes=codes, example=example))
        raise InvalidInput(texts.ORDER_NEEDED.format(example=example), code="order_needed")


def reply_target(message: InboundMessage) -> dict:
    """Where a late answer to this message goes (stored in task payloads)."""
    if isinstance(message.reply, SessionWebhookContext):
        return {
            "channel": "dingtalk_session",
            "url": message.reply.url,
            "expires_at": message.reply.expires_at.isoformat(),
        }
    return {"channel": "user", "platform": message.platform, "external_id": message.sender_id}


def bind(ctx: ChatContext, args: dict) -> Reply:
    identity = redeem_binding_code(
        session=ctx.session,
        actor=Actor.system(Channel.bot),
        platform=ctx.platform,
        external_id=ctx.message.sender_id,
        code=args["code"],
        display_name=ctx.message.sender_name,
        now=ctx.now,
    )
    user = ctx.session.get(User, identity.user_id)
    return plain(texts.BOUND.format(name=user.display_name))


def progress(ctx: ChatContext, args: dict) -> Reply:
    order = ctx.order(args.get("order"))
    stages = list_stages(session=ctx.session, order_id=order.id)
    progress = order_progress(stages)
    # By primary key: no query when the liaison is the sender (already in the session).
    liaison = ctx.session.get(User, order.liaison_id) if order.liaison_id else None
    today = local_date(ctx.now)
    late_days = delivery_days_late(order, today)
    left = (order.delivery_date - today).days
    due = f"已超期 {late_days} 天" if late_days else f"还剩 {left} 天"
    lines = [
        f"### {order.code} · {order.customer}",
        f"状态：{ORDER_STATUS_NAMES[OrderStatus(order.status)]} · 总进度 **{progress}%**",
        f"交期：{order.delivery_date:%Y-%m-%d}（{due}）",
    ]
    if liaison is not None:
        lines.append(f"联络人：{liaison.display_name}")
    for stage in stages:
        status = StageStatus(stage.status)
        percent = 100 if status == StageStatus.done else stage.progress
        late = stage_days_late(stage, today) > 0
        plan = f" · 计划 {stage.planned_end:%m-%d}" if stage.planned_end else ""
        mark = "⚠" if late else STAGE_MARKS[status]
        lines.append(f"- {mark} {STAGE_NAMES[StageKind(stage.kind)]} {percent}%{plan}")
    lines.append(f"[打开订单]({settings().public_base_url}/orders/{order.id})")
    return markdown(f"{order.code} 进度 {progress}%", "\n".join(lines))


def standup(ctx: ChatContext, args: dict) -> Reply:
    order = ctx.order(args.get("order"))
    enqueue_task(
        session=ctx.session,
        kind="standup",
        payload={
            "user_id": ctx.user.id,
            "order_id": order.id,
            "platform": ctx.message.platform,
            "reply": reply_target(ctx.message),
        },
        now=ctx.now,
    )
    return plain(texts.STANDUP_QUEUED.format(code=order.code))
