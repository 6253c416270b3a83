"""What each chat command does: call the same services the REST API calls, answer briefly.

No business rule lives here. A handler finds the order (by code, or the one the group
follows), calls a service, and turns the result into a short Reply; refusals are the
services' DomainErrors, which the dispatcher turns into their Chinese message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from app.services.chat import enqueue_task, redeem_binding_code
from app.services.core import Actor, local_date, settings
from app.services.orders import find_order_by_code, get_order, list_stages, order_public
from bots import field_handlers, procure_handlers, texts
from bots.commands import SPECS
from bots.message import InboundMessage, SessionWebhookContext
from bots.replies import Reply, markdown, plain
from models.chat import ChatGroup
from models.enums import STAGE_NAMES, Channel, ChatPlatform, StageKind, StageStatus
from models.errors import InvalidInput
from models.orders import Order
from models.people import User

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

    @property
    def platform(self) -> ChatPlatform:
        return ChatPlatform(self.message.platform)

    def order(self, code: str | None, example: str) -> Order:
        """The order named in the command, else the one this group follows."""
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


def help_(ctx: ChatContext, args: dict) -> Reply:
    return markdown(*texts.help_text(args.get("topic")))


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
    order = ctx.order(args.get("order"), SPECS["progress"].example)
    public = order_public(ctx.session, order)
    left = (order.delivery_date - local_date(ctx.now)).days
    due = f"还剩 {left} 天" if left >= 0 else f"已超期 {-left} 天"
    lines = [
        f"### {order.code} · {order.customer}",
        f"状态：{public.status_name} · 总进度 **{public.progress}%**",
        f"交期：{order.delivery_date:%Y-%m-%d}（{due}）",
    ]
    if public.liaison:
        lines.append(f"联络人：{public.liaison.display_name}")
    for stage in list_stages(session=ctx.session, order_id=order.id):
        status = StageStatus(stage.status)
        percent = 100 if status == StageStatus.done else stage.progress
        late = (
            status != StageStatus.done
            and stage.planned_end
            and stage.planned_end < local_date(ctx.now)
        )
        plan = f" · 计划 {stage.planned_end:%m-%d}" if stage.planned_end else ""
        mark = "⚠" if late else STAGE_MARKS[status]
        lines.append(f"- {mark} {STAGE_NAMES[StageKind(stage.kind)]} {percent}%{plan}")
    lines.append(f"[打开订单]({settings().public_base_url}/orders/{order.id})")
    return markdown(f"{order.code} 进度 {public.progress}%", "\n".join(lines))


def standup(ctx: ChatContext, args: dict) -> Reply:
    order = ctx.order(args.get("order"), SPECS["standup"].example)
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


HANDLERS: dict[str, Callable[[ChatContext, dict], Reply]] = {
    "help": help_,
    "bind": bind,
    "progress": progress,
    "standup": standup,
    "report": field_handlers.report,
    "issue": field_handlers.issue,
    "ack": field_handlers.ack,
    "done": field_handlers.done,
    "verify": field_handlers.verify,
    "shortage": procure_handlers.shortage,
    "receive": procure_handlers.receive,
}
NO_BINDING_NEEDED = frozenset({"help", "bind"})
