"""The morning standup (站会) of a chat group: one markdown message covering every active
order the group follows, short enough for one phone screen.

Per order: status, progress and delivery date, progress per stage, yesterday's daily reports
and who did not report, overdue items, shortages, open issues by risk, today's milestones and
the production bottleneck, with a link to the order's page. The per-order summary
(insight/standup.py) gives stages and overdue stages; the rest comes from one query per
topic for all the group's orders. Posted once per group per day (outbox dedupe key).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from app.services.chat import enqueue, group_target
from app.services.core import Actor, local_date, settings
from app.services.field import missing_reporters
from app.services.insight.standup import STAGE_MARKS, standup_summary
from app.services.procurement import shortage_query
from app.services.production import production_overview
from models.chat import ChatGroup, ChatGroupOrder
from models.enums import (
    RISK_NAMES,
    STAGE_NAMES,
    IssueState,
    OrderStatus,
    PurchaseStatus,
    RiskLevel,
    StageKind,
)
from models.issues import SiteIssue
from models.messages import OutboundMessage
from models.orders import Order
from models.outbox import Outbox
from models.people import User
from models.purchasing import PurchaseLine
from models.reports import DailyReport
from models.stages import Stage

MAX_NAMES = 5


def _names(names: list[str]) -> str:
    more = f" 等 {len(names)} 人" if len(names) > MAX_NAMES else ""
    return "、".join(names[:MAX_NAMES]) + more


def _reports(session: Session, order_ids: list[int], day) -> dict[int, list[str]]:
    query = (
        select(DailyReport.order_id, User.display_name)
        .join(User, User.id == DailyReport.user_id)
        .where(col(DailyReport.order_id).in_(order_ids), DailyReport.day == day)
        .order_by(DailyReport.id)
    )
    out: dict[int, list[str]] = defaultdict(list)
    for order_id, name in session.exec(query):
        out[order_id].append(name)
    return out


def _issues(session: Session, order_ids: list[int]) -> dict[int, Counter]:
    query = (
        select(SiteIssue.order_id, SiteIssue.risk, func.count())
        .where(
            col(SiteIssue.order_id).in_(order_ids), col(SiteIssue.state).in_(IssueState.waiting())
        )
        .group_by(SiteIssue.order_id, SiteIssue.risk)
    )
    out: dict[int, Counter] = defaultdict(Counter)
    for order_id, risk, n in session.exec(query):
        out[order_id][RiskLevel(risk)] = n
    return out


def _late_purchases(session: Session, order_ids: list[int], today) -> Counter:
    query = (
        select(PurchaseLine.order_id, func.count())
        .where(
            col(PurchaseLine.order_id).in_(order_ids),
            col(PurchaseLine.status).in_(PurchaseStatus.open()),
            PurchaseLine.received < PurchaseLine.quantity,
            PurchaseLine.promised_date < today,
        )
        .group_by(PurchaseLine.order_id)
    )
    return Counter(dict(session.exec(query).all()))


def _shortages(session: Session, order_ids: list[int], today) -> dict[int, tuple[int, int]]:
    query = shortage_query(today=today, order_ids=order_ids)
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for row in session.exec(query):
        out[row[1]][0] += 1
        out[row[1]][1] += 1 if row[7] else 0
    return {k: (v[0], v[1]) for k, v in out.items()}


def _milestones(session: Session, order_ids: list[int], today, now) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    stages = select(Stage.order_id, Stage.kind, Stage.planned_start, Stage.planned_end).where(
        col(Stage.order_id).in_(order_ids),
        (Stage.planned_start == today) | (Stage.planned_end == today),
    )
    for order_id, kind, _start, end in session.exec(stages):
        what = "计划完成" if end == today else "计划开始"
        out[order_id].append(f"{STAGE_NAMES[StageKind(kind)]}{what}")
    promised = (
        select(PurchaseLine.order_id, func.count())
        .where(
            col(PurchaseLine.order_id).in_(order_ids),
            col(PurchaseLine.status).in_(PurchaseStatus.open()),
            PurchaseLine.promised_date == today,
        )
        .group_by(PurchaseLine.order_id)
    )
    for order_id, n in session.exec(promised):
        out[order_id].append(f"{n} 项采购承诺今天到货")
    tz = ZoneInfo(settings().timezone)
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    due = (
        select(SiteIssue.order_id, func.count())
        .where(
            col(SiteIssue.order_id).in_(order_ids),
            col(SiteIssue.state).in_(IssueState.waiting()),
            SiteIssue.due_at >= now,
            SiteIssue.due_at < end,
        )
        .group_by(SiteIssue.order_id)
    )
    for order_id, n in session.exec(due):
        out[order_id].append(f"{n} 个问题点今天到期")
    return out


def _bottleneck(session: Session, actor: Actor, order_id: int, now) -> str | None:
    overview = production_overview(session=session, actor=actor, order_id=order_id, now=now)
    return overview.bottleneck.summary if overview.bottleneck else None


def _order_block(session, actor, order: Order, now, facts) -> list[str]:
    summary = standup_summary(session=session, actor=actor, order_id=order.id, now=now)
    reports, issues, late, shortages, milestones = facts
    left = summary.days_left
    due = f"剩 {left} 天" if left >= 0 else f"超期 {-left} 天"
    stages = " ".join(
        f"{'⚠' if s.days_late else STAGE_MARKS[s.status]}{s.name}{s.progress}%"
        for s in summary.stages
    )
    lines = [
        f"**{summary.code} {summary.customer}** · {summary.status_name} · "
        f"{summary.progress}% · 交期 {summary.delivery_date:%m-%d}（{due}）",
        f"- 阶段：{stages}",
    ]
    yesterday = summary.today - timedelta(days=1)
    missing = [
        session.get(User, m.user_id).display_name
        for m in missing_reporters(session=session, order_id=order.id, day=yesterday)
    ]
    done = reports.get(order.id, [])
    line = f"- 昨日日报 {len(done)} 份" + (f"：{_names(done)}" if done else "")
    lines.append(line + (f"；未交：{_names(missing)}" if missing else ""))
    overdue = [f"{s.name}逾期 {s.days_late} 天" for s in summary.stages if s.days_late]
    if late[order.id]:
        overdue.append(f"{late[order.id]} 项采购逾期未到")
    if overdue:
        lines.append("- 逾期：" + "；".join(overdue))
    if order.id in shortages:
        total, key = shortages[order.id]
        lines.append(f"- 缺料 {total} 项" + (f"（关键物料 {key} 项）" if key else ""))
    counts = issues.get(order.id)
    if counts:
        parts = [f"{RISK_NAMES[lv]} {counts[lv]}" for lv in RiskLevel if counts[lv]]
        lines.append("- 未关闭问题点：" + " · ".join(parts))
    if milestones.get(order.id):
        lines.append("- 今日节点：" + "；".join(milestones[order.id]))
    if bottleneck := _bottleneck(session, actor, order.id, now):
        lines.append(f"- 瓶颈：{bottleneck}")
    lines.append(f"[打开订单 {summary.code}]({summary.link})")
    return lines


def group_standup_markdown(
    *, session: Session, group: ChatGroup, now: datetime
) -> tuple[str, str] | None:
    """Title and body of the group's standup today; None when it follows no live order."""
    today = local_date(now)
    orders = list(
        session.exec(
            select(Order)
            .join(ChatGroupOrder, ChatGroupOrder.order_id == Order.id)
            .where(ChatGroupOrder.group_id == group.id, col(Order.status).in_(OrderStatus.live()))
            .order_by(Order.code)
        )
    )
    if not orders:
        return None
    ids = [o.id for o in orders]
    facts = (
        _reports(session, ids, today - timedelta(days=1)),
        _issues(session, ids),
        _late_purchases(session, ids, today),
        _shortages(session, ids, today),
        _milestones(session, ids, today, now),
    )
    actor = Actor.system()
    title = f"站会 {group.name} · {today:%m-%d}"
    lines = [f"### {title}"]
    for order in orders:
        lines += ["", *_order_block(session, actor, order, now, facts)]
    return title, "\n".join(lines)


def post_group_standup(*, session: Session, group_id: int, now: datetime) -> Outbox | None:
    """Queue the group's standup for today (once: a second call the same day does nothing)."""
    group = session.get(ChatGroup, group_id)
    if group is None or not group.active:
        return None
    key = f"standup:g{group_id}:{local_date(now).isoformat()}"
    if session.exec(select(Outbox.id).where(Outbox.dedupe_key == key)).first() is not None:
        return None
    built = group_standup_markdown(session=session, group=group, now=now)
    if built is None:
        return None
    return enqueue(
        session=session,
        target=group_target(group),
        message=OutboundMessage.markdown(*built),
        kind="standup",
        dedupe_key=key,
        now=now,
    )
