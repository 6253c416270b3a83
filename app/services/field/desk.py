"""The phone's 日报 screen and the tracker's reminder to file one.

`report_desk` gathers, for the signed-in person, each open order they belong to with their report
of the day and of the day before (its 明日计划 prefills the day's 今日完成), and, where they manage
the order (trackers, managers), who has not reported yet. `remind_reporter` records a chat
message through the outbox to the order's groups (the person @mentioned), or to the person's own
chat when no group follows the order; once per person, order and day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, or_, select

from app.services.chat import chat_ids_of_user, enqueue, group_target, order_groups, user_target
from app.services.core import (
    Actor,
    acts,
    can_manage_order,
    load_order,
    local_date,
    require_manage_order,
)
from app.services.field.public import reports_public
from app.services.field.reports import missing_reporters
from app.services.orders import members_public, refuse_closed
from app.services.people import user_brief
from models.base import utcnow
from models.chat import ChatIdentity
from models.enums import CHAT_PLATFORM_NAMES, ChatPlatform, OrderStatus
from models.errors import Conflict, Forbidden, NotFound
from models.messages import OutboundMessage
from models.orders import Order, OrderMember
from models.people import User
from models.reports import (
    DailyReport,
    DailyReportPublic,
    MissingReporter,
    ReportDesk,
    ReportDeskOrder,
    ReportReminderOut,
)

REMINDER_KIND = "report_reminder"


@dataclass
class _DeskOrder:
    order: Order
    report: DailyReport | None = None
    yesterday: DailyReport | None = None
    can_remind: bool = False
    missing: list[OrderMember] = field(default_factory=list)


def report_desk(
    *, session: Session, actor: Actor, day: date | None = None, now: datetime | None = None
) -> ReportDesk:
    """The person's open orders (member or liaison) with their reports of the day and the day
    before, and who has not reported on the orders they manage."""
    if actor.id is None:
        raise Forbidden("日报必须由具体人员提交", code="report_needs_user")
    day = day or local_date(now or utcnow())
    member_of = select(OrderMember.order_id).where(OrderMember.user_id == actor.id)
    orders = session.exec(
        select(Order)
        .where(
            or_(col(Order.id).in_(member_of), Order.liaison_id == actor.id),
            col(Order.status).in_(OrderStatus.open()),
        )
        .order_by(col(Order.id).desc())
    ).all()
    desk = {o.id: _DeskOrder(order=o) for o in orders}
    if desk:
        before = day - timedelta(days=1)
        reports = session.exec(
            select(DailyReport).where(
                DailyReport.user_id == actor.id,
                col(DailyReport.order_id).in_(desk),
                col(DailyReport.day).in_([day, before]),
            )
        ).all()
        for report in reports:
            entry = desk[report.order_id]
            if report.day == day:
                entry.report = report
            else:
                entry.yesterday = report
    for entry in desk.values():
        if can_manage_order(session, actor, entry.order):
            entry.can_remind = True
            entry.missing = missing_reporters(session=session, order_id=entry.order.id, day=day)
    shown = [r for e in desk.values() for r in (e.report, e.yesterday) if r is not None]
    public = {p.id: p for p in reports_public(session, shown)}
    return ReportDesk(day=day, items=[_public(session, e, public) for e in desk.values()])


def _public(
    session: Session, entry: _DeskOrder, public: dict[int, DailyReportPublic]
) -> ReportDeskOrder:
    report, yesterday = (
        public[r.id] if r is not None else None for r in (entry.report, entry.yesterday)
    )
    return ReportDeskOrder(
        order_id=entry.order.id,
        order_code=entry.order.code,
        customer=entry.order.customer,
        report=report,
        yesterday=yesterday,
        can_remind=entry.can_remind,
        missing=[
            MissingReporter(user=m.user, role=m.role)
            for m in members_public(session, entry.missing)
        ],
    )


def _mentions(session: Session, user: User, platform: ChatPlatform) -> dict:
    """@mention the person in a group: their chat account there, else their mobile number."""
    bound = session.exec(
        select(ChatIdentity.external_id).where(
            ChatIdentity.user_id == user.id, ChatIdentity.platform == platform
        )
    ).first()
    if bound:
        return {"mention_user_ids": (bound,)}
    return {"mention_mobiles": (user.mobile,)} if user.mobile else {}


@acts
def remind_reporter(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    user_id: int,
    now: datetime | None = None,
) -> ReportReminderOut:
    """Remind a member who has not filed today's report on an order, through the outbox."""
    now = now or utcnow()
    day = local_date(now)
    order = load_order(session, actor, order_id)
    require_manage_order(session, actor, order, "提醒成员提交日报")
    refuse_closed(order, "订单已关闭，不用再提醒提交日报")
    user = session.get(User, user_id)
    missing = {m.user_id for m in missing_reporters(session=session, order_id=order_id, day=day)}
    if user is None or user_id not in missing:
        reported = session.exec(
            select(DailyReport.id).where(
                DailyReport.order_id == order_id,
                DailyReport.user_id == user_id,
                DailyReport.day == day,
            )
        ).first()
        if user is not None and reported is not None:
            raise Conflict(f"{user.display_name} 今天已经提交了日报", code="already_reported")
        raise NotFound("此人不是本订单需要提交日报的成员", field="user_id")
    text = (
        f"【日报提醒】{order.code}：{user.display_name}，今天（{day:%m-%d}）的日报还没有提交，"
        f"请在手机上打开「跟单 · 现场」→ 日报填写。（{actor.name} 提醒）"
    )
    key = f"{REMINDER_KIND}:{order_id}:{user_id}:{day.isoformat()}"
    # (target, its name for the answer, @mentions, dedupe suffix)
    targets = [
        (group_target(g), g.name, _mentions(session, user, ChatPlatform(g.platform)), f"g{g.id}")
        for g in order_groups(session=session, order_id=order_id)
    ]
    if not targets:
        for platform in ChatPlatform:
            ids = chat_ids_of_user(session=session, user_id=user_id, platform=platform)
            if ids:
                name = f"{CHAT_PLATFORM_NAMES[platform]}个人消息"
                targets.append((user_target(platform, ids[0]), name, {}, f"u{platform.value}"))
    if not targets:
        raise Conflict(
            f"本订单没有绑定聊天群，{user.display_name} 也没有绑定聊天账号，无法发送提醒",
            code="no_chat_target",
        )
    sent = []
    for target, name, mentions, suffix in targets:
        row = enqueue(
            session=session,
            target=target,
            message=OutboundMessage(text=text, **mentions),
            kind=REMINDER_KIND,
            order_id=order_id,
            dedupe_key=f"{key}:{suffix}",
            now=now,
        )
        if row is not None:
            sent.append(name)
    if not sent:
        raise Conflict(f"今天已经提醒过 {user.display_name}", code="already_reminded")
    return ReportReminderOut(user=user_brief(user), day=day, sent_to=sent)
