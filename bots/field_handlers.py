"""Chat commands of the field work: daily reports and site issues (问题点) in their loop.

Each calls the service the REST API calls (app/services/field: reports.py, issues.py, issue_flow.py)
and answers in a line or two; a new issue waits for the sender's next image (bots/inbound.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import select

from app.services.alerts import acknowledge_alert
from app.services.chat import user_for_chat
from app.services.core import settings
from app.services.field import (
    ISSUE_ENTITY,
    acknowledge_issue,
    create_issue,
    resolve_issue,
    submit_daily_report,
    verify_issue,
)
from app.services.orders import list_members
from bots.replies import Reply, plain
from models.enums import ISSUE_STATE_NAMES, RISK_NAMES, ChatPlatform, IssueState, RiskLevel
from models.errors import InvalidInput
from models.orders import Order
from models.people import User

if TYPE_CHECKING:
    from bots.handlers import ChatContext

DEFAULT_RISK = RiskLevel.medium


def report(ctx: ChatContext, args: dict) -> Reply:
    order = ctx.order(args.get("order"))
    # Only the parts written are sent: a second 日报 the same day keeps the others.
    parts = {"done_today": "today", "plan_tomorrow": "tomorrow", "problems": "problems"}
    sent = {key: args[name] for key, name in parts.items() if args.get(name) is not None}
    if args.get("hours") is not None:
        sent["hours"] = float(args["hours"])
    daily = submit_daily_report(
        session=ctx.session, actor=ctx.actor, order_id=order.id, now=ctx.now, **sent
    )
    again = "（已更新当天的日报）" if daily.created_at != daily.updated_at else ""
    return plain(f"已收到 {order.code} {daily.day:%m-%d} 的日报{again}。")


def issue(ctx: ChatContext, args: dict) -> Reply:
    order = ctx.order(args.get("order"))
    owner = _owner(ctx, order, args.get("owner"))
    created = create_issue(
        session=ctx.session,
        actor=ctx.actor,
        order_id=order.id,
        description=args["description"],
        risk=args.get("risk") or DEFAULT_RISK,
        owner_id=owner.id if owner else None,
        now=ctx.now,
    )
    ctx.awaiting = (ISSUE_ENTITY, created.id)
    who = ctx.session.get(User, created.owner_id)
    due = created.due_at.astimezone(settings().tz)
    return plain(
        f"已登记问题 #{created.id}（{order.code}）：{created.description}\n"
        f"风险：{RISK_NAMES[RiskLevel(created.risk)]} · 责任人：{who.display_name} · "
        f"期限：{due:%m-%d %H:%M}\n"
        f"10 分钟内发一张现场照片，会附到这个问题上。"
    )


def _owner(ctx: ChatContext, order: Order, name: str | None) -> User | None:
    """The owner named with @: a DingTalk mention of a bound user, or a member's name."""
    if not name:
        return None
    for staff_id in ctx.message.mentions:
        user = user_for_chat(
            session=ctx.session, platform=ChatPlatform.dingtalk, external_id=staff_id
        )
        if user is not None:
            return user
    ids = {m.user_id for m in list_members(session=ctx.session, actor=ctx.actor, order_id=order.id)}
    ids |= {order.liaison_id} - {None}
    users = ctx.session.exec(select(User).where(User.id.in_(ids))).all()
    found = [u for u in users if name.lower() in (u.display_name.lower(), u.username.lower())]
    if len(found) == 1:
        return found[0]
    if found:
        raise InvalidInput(f"本订单有多位成员叫「{name}」，请写用户名", code="owner_ambiguous")
    raise InvalidInput(
        f"本订单成员里没有「{name}」，请写成员的姓名或用户名", code="owner_not_member"
    )


def ack(ctx: ChatContext, args: dict) -> Reply:
    if args.get("alert"):
        alert = acknowledge_alert(
            session=ctx.session, actor=ctx.actor, alert_id=args["id"], via="chat", now=ctx.now
        )
        who = ctx.actor.name
        return plain(f"{who} 已确认收到预警 #A{alert.id}，相关提醒和升级已停止。")
    done = acknowledge_issue(session=ctx.session, actor=ctx.actor, issue_id=args["id"], now=ctx.now)
    state = ISSUE_STATE_NAMES[IssueState(done.state)]
    return plain(f"已确认收到问题 #{done.id}（{state}）。处理完后发送：完成 #{done.id} <处理结果>")


def done(ctx: ChatContext, args: dict) -> Reply:
    if not args.get("note"):
        raise InvalidInput(f"请写上处理结果，例如：完成 #{args['id']} 已更换垫片")
    resolved = resolve_issue(
        session=ctx.session,
        actor=ctx.actor,
        issue_id=args["id"],
        resolution=args["note"],
        now=ctx.now,
    )
    return plain(f"问题 #{resolved.id} 已提交处理结果，等待其他人验证（确认 #{resolved.id}）。")


def verify(ctx: ChatContext, args: dict) -> Reply:
    verified = verify_issue(
        session=ctx.session,
        actor=ctx.actor,
        issue_id=args["id"],
        note=args.get("note"),
        now=ctx.now,
    )
    return plain(f"问题 #{verified.id} 已验证关闭。")
