"""The overview (总览): every visible order with progress, current stage, delay warnings, open
issues by risk, shortages and the next milestone, most at risk first.

Set-based: a fixed handful of queries whatever the number of orders (orders, their stages,
issue counts, late purchase lines, the shortage query, liaisons), never one per order.

Delay warnings are computed from the existing data, each with a weight; the risk score is the
sum of the weights plus the open high (2) and medium (1) issues, and sorts the list:

    delivery date passed, order not accepted      5
    stage past its planned end, not done          3 per stage
    overdue site issue                            4 if high risk, else 2
    shortage                                      3 if the need date passed, else 1
    purchase line delayed or past its promise     2
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import case, func, or_
from sqlmodel import Session, col, select

from app.services.core import Actor, local_date, visible_orders_clause
from app.services.orders import (
    current_stage,
    delivery_days_late,
    order_progress,
    stage_brief,
    stage_days_late,
)
from app.services.people import user_brief, users_by_id
from app.services.procurement import find_shortages
from models.base import utcnow
from models.dashboard import DelayWarning, Milestone, Overview, OverviewFilters, OverviewRow
from models.enums import (
    ORDER_STATUS_NAMES,
    STAGE_NAMES,
    IssueState,
    OrderStatus,
    PurchaseStatus,
    RiskLevel,
    StageKind,
    StageStatus,
)
from models.issues import SiteIssue
from models.orders import Order
from models.purchasing import PurchaseLine
from models.stages import Stage

SHOWN = (*OrderStatus.open(), OrderStatus.completed)


def order_overview(
    *,
    session: Session,
    actor: Actor,
    filters: OverviewFilters | None = None,
    now: datetime | None = None,
) -> Overview:
    """Every order the actor may see (not cancelled), filtered, most at risk first."""
    now = now or utcnow()
    today = local_date(now)
    filters = filters or OverviewFilters()
    orders = _orders(session, actor, filters)
    ids = [o.id for o in orders]
    facts = _Facts(
        stages=_stages(session, ids),
        issues=_issue_counts(session, ids, now),
        purchases=_late_purchases(session, ids, today),
        shortages=_shortages(session, actor, ids, now),
    )
    users = users_by_id(session, [o.liaison_id for o in orders])
    rows = [_row(order, facts, users, today) for order in orders]
    if filters.stage is not None:
        rows = [r for r in rows if r.current_stage and r.current_stage.kind == filters.stage]
    if filters.at_risk is not None:
        rows = [r for r in rows if r.at_risk == filters.at_risk]
    rows.sort(key=lambda r: (-r.risk_score, r.status == OrderStatus.completed, r.delivery_date))
    return Overview(
        today=today, items=rows, total=len(rows), at_risk=sum(1 for r in rows if r.at_risk)
    )


class _Facts:
    def __init__(self, *, stages, issues, purchases, shortages):
        self.stages, self.issues = stages, issues
        self.purchases, self.shortages = purchases, shortages


def _orders(session: Session, actor: Actor, filters: OverviewFilters) -> list[Order]:
    query = select(Order).where(col(Order.status).in_(SHOWN), visible_orders_clause(actor))
    if filters.liaison_id is not None:
        query = query.where(Order.liaison_id == filters.liaison_id)
    if filters.customer:
        query = query.where(col(Order.customer).contains(filters.customer.strip()))
    return list(session.exec(query.order_by(Order.delivery_date, Order.id)))


def _stages(session: Session, ids: list[int]) -> dict[int, list[Stage]]:
    out: dict[int, list[Stage]] = defaultdict(list)
    if ids:
        query = select(Stage).where(col(Stage.order_id).in_(ids)).order_by(Stage.seq)
        for stage in session.exec(query):
            out[stage.order_id].append(stage)
    return out


def _issue_counts(session: Session, ids: list[int], now: datetime) -> dict[int, dict]:
    """Per order and risk: (unclosed, overdue) site issues, in one grouped query."""
    out: dict[int, dict] = defaultdict(dict)
    if not ids:
        return out
    late = case(
        (col(SiteIssue.state).in_(IssueState.waiting()) & (col(SiteIssue.due_at) < now), 1), else_=0
    )
    query = (
        select(SiteIssue.order_id, SiteIssue.risk, func.count(), func.sum(late))
        .where(col(SiteIssue.order_id).in_(ids), col(SiteIssue.state).in_(IssueState.unclosed()))
        .group_by(SiteIssue.order_id, SiteIssue.risk)
    )
    for order_id, risk, count, overdue in session.exec(query):
        out[order_id][RiskLevel(risk)] = (count, int(overdue or 0))
    return out


def _late_purchases(session: Session, ids: list[int], today: date) -> dict[int, int]:
    """Per order: open purchase lines announced delayed or past their promised date."""
    if not ids:
        return {}
    late = or_(
        PurchaseLine.status == PurchaseStatus.delayed,
        col(PurchaseLine.promised_date) < today,
    )
    query = (
        select(PurchaseLine.order_id, func.count())
        .where(
            col(PurchaseLine.order_id).in_(ids),
            col(PurchaseLine.status).in_(PurchaseStatus.open()),
            late,
        )
        .group_by(PurchaseLine.order_id)
    )
    return dict(session.exec(query).all())


def _shortages(session, actor, ids, now) -> dict[int, tuple[int, int]]:
    """Per order: (shortages, escalated ones), from the one shortage query."""
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    if ids:
        wanted = set(ids)
        for item in find_shortages(session=session, now=now, actor=actor).items:
            if item.order_id in wanted:
                out[item.order_id][0] += 1
                out[item.order_id][1] += int(item.escalated)
    return {k: (v[0], v[1]) for k, v in out.items()}


def _row(order: Order, facts: _Facts, users, today: date) -> OverviewRow:
    stages = facts.stages.get(order.id, [])
    issues = facts.issues.get(order.id, {})
    shortages, escalated = facts.shortages.get(order.id, (0, 0))
    late_purchases = facts.purchases.get(order.id, 0)
    active = order.status in OrderStatus.open()
    warnings = _warnings(order, stages, issues, (shortages, escalated), late_purchases, today)
    if not active:
        warnings = []
    open_issues = {r.value: issues.get(r, (0, 0))[0] for r in RiskLevel}
    score = sum(w.weight for w in warnings)
    if active:
        score += 2 * open_issues["high"] + open_issues["medium"]
    return OverviewRow(
        id=order.id,
        code=order.code,
        customer=order.customer,
        status=order.status,
        status_name=ORDER_STATUS_NAMES[OrderStatus(order.status)],
        delivery_date=order.delivery_date,
        liaison=user_brief(users.get(order.liaison_id)),
        progress=order_progress(stages),
        current_stage=stage_brief(current_stage(stages)),
        open_issues=open_issues,
        overdue_issues=sum(v[1] for v in issues.values()),
        shortages=shortages,
        escalated_shortages=escalated,
        late_purchases=late_purchases,
        warnings=warnings,
        risk_score=score,
        at_risk=bool(warnings),
        next_milestone=_next_milestone(order, stages, today) if active else None,
    )


def _warnings(order, stages, issues, shortages, late_purchases, today) -> list[DelayWarning]:
    out = []
    late_days = delivery_days_late(order, today)
    if late_days:
        out.append(DelayWarning(kind="delivery_overdue", weight=5, text=f"已超交期 {late_days} 天"))
    for s in stages:
        if days := stage_days_late(s, today):
            name = STAGE_NAMES[StageKind(s.kind)]
            out.append(DelayWarning(kind="stage_overdue", weight=3, text=f"{name}超期 {days} 天"))
    high = issues.get(RiskLevel.high, (0, 0))[1]
    overdue = sum(v[1] for v in issues.values())
    if overdue:
        text = f"超期问题点 {overdue} 个" + (f"（高风险 {high} 个）" if high else "")
        out.append(
            DelayWarning(kind="issue_overdue", weight=4 * high + 2 * (overdue - high), text=text)
        )
    count, escalated = shortages
    if count:
        text = f"缺料 {count} 项" + (f"（{escalated} 项已过需求日期）" if escalated else "")
        out.append(
            DelayWarning(kind="shortage", weight=3 * escalated + (count - escalated), text=text)
        )
    if late_purchases:
        out.append(
            DelayWarning(
                kind="purchase_late",
                weight=2 * late_purchases,
                text=f"采购逾期 {late_purchases} 行",
            )
        )
    return out


def _next_milestone(order: Order, stages: list[Stage], today: date) -> Milestone | None:
    for s in stages:
        if s.status != StageStatus.done and s.planned_end is not None:
            name = f"{STAGE_NAMES[StageKind(s.kind)]}完成"
            return Milestone(name=name, due=s.planned_end, days_left=(s.planned_end - today).days)
    due = order.delivery_date
    return Milestone(name="交付", due=due, days_left=(due - today).days)
