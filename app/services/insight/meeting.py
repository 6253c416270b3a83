"""The standup meeting (站会) of some orders: what the 15 minutes go through, per order.

Per order: the summary line and stages (insight/standup.py); per person yesterday's daily
report: what was done (已完成), the plan for today (计划) and the problems (问题, the
blockers); who did not report; the open warnings by risk with their age (alerts' board); the
milestones really due today (a finished stage is not due) and the open site issues by risk.

One builder for every door: the scheduled group card and the `站会` command render it as
chat messages (meeting_text.py), the /standup/<code> page as HTML. One query per topic for
all the orders, never one per order and topic.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from app.services.alerts import BoardFilters, BoardLine, open_alerts
from app.services.core import Actor, local_date, settings
from app.services.field import missing_reporters
from app.services.insight.standup import StandupSummary, standup_summary
from models import clock
from models.enums import (
    STAGE_NAMES,
    IssueState,
    PurchaseStatus,
    RiskLevel,
    StageKind,
    StageStatus,
)
from models.issues import SiteIssue
from models.people import User
from models.purchasing import PurchaseLine
from models.reports import DailyReport
from models.stages import Stage


@dataclass
class PersonDay:
    """One person's daily report of yesterday, as the standup reads it."""

    user_id: int
    name: str
    done: str
    plan: str
    problems: str


@dataclass
class Reporter:
    user_id: int
    name: str


@dataclass
class OrderStandup:
    summary: StandupSummary
    people: list[PersonDay] = field(default_factory=list)
    missing: list[Reporter] = field(default_factory=list)
    warnings: list[BoardLine] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)
    issues: Counter = field(default_factory=Counter)
    page: str = ""

    @property
    def blockers(self) -> list[PersonDay]:
        return [p for p in self.people if p.problems.strip()]


def standup_page_url(code: str) -> str:
    """The meeting-room page of an order's standup."""
    return f"{settings().public_base_url}/standup/{code}"


def build_standup(
    *, session: Session, actor: Actor, order_ids: list[int], now: datetime
) -> list[OrderStandup]:
    """The standup of these orders today, in the given order (the actor must see each)."""
    today = local_date(now)
    yesterday = today - timedelta(days=1)
    out = []
    for order_id in order_ids:
        summary = standup_summary(session=session, actor=actor, order_id=order_id, now=now)
        out.append(OrderStandup(summary=summary, page=standup_page_url(summary.code)))
    people = _people(session, order_ids, yesterday)
    warnings = open_alerts(
        session=session, actor=actor, now=now, filters=BoardFilters(order_ids=tuple(order_ids))
    )
    milestones = _milestones(session, order_ids, today, now)
    issues = _issues(session, order_ids)
    for item in out:
        oid = item.summary.order_id
        item.people = people.get(oid, [])
        item.missing = _missing(session, oid, yesterday)
        item.warnings = [w for w in warnings if w.alert.order_id == oid]
        item.milestones = milestones.get(oid, [])
        item.issues = issues.get(oid, Counter())
    return out


def _people(session: Session, order_ids: list[int], day: date) -> dict[int, list[PersonDay]]:
    query = (
        select(DailyReport, User.display_name)
        .join(User, User.id == DailyReport.user_id)
        .where(col(DailyReport.order_id).in_(order_ids), DailyReport.day == day)
        .order_by(DailyReport.id)
    )
    out: dict[int, list[PersonDay]] = defaultdict(list)
    for r, name in session.exec(query):
        day = PersonDay(r.user_id, name, r.done_today, r.plan_tomorrow, r.problems)
        out[r.order_id].append(day)
    return out


def _missing(session: Session, order_id: int, day: date) -> list[Reporter]:
    members = missing_reporters(session=session, order_id=order_id, day=day)
    names = dict(
        session.exec(
            select(User.id, User.display_name).where(col(User.id).in_([m.user_id for m in members]))
        ).all()
    )
    return [Reporter(m.user_id, names[m.user_id]) for m in members]


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


def _milestones(session: Session, order_ids: list[int], today, now) -> dict[int, list[str]]:
    """What is really due today: stages planned to end (not done) or to start (not started),
    purchases promised today and not yet received, site issues due today."""
    out: dict[int, list[str]] = defaultdict(list)
    stages = select(Stage).where(
        col(Stage.order_id).in_(order_ids),
        (Stage.planned_start == today) | (Stage.planned_end == today),
    )
    for stage in session.exec(stages.order_by(Stage.order_id, Stage.id)):
        name, status = STAGE_NAMES[StageKind(stage.kind)], StageStatus(stage.status)
        if stage.planned_end == today and status != StageStatus.done:
            out[stage.order_id].append(f"{name}计划今天完成（进度 {stage.progress}%）")
        elif stage.planned_start == today and status == StageStatus.not_started:
            out[stage.order_id].append(f"{name}计划今天开始")
    promised = (
        select(PurchaseLine.order_id, func.count())
        .where(
            col(PurchaseLine.order_id).in_(order_ids),
            col(PurchaseLine.status).in_(PurchaseStatus.open()),
            PurchaseLine.received < PurchaseLine.quantity,
            PurchaseLine.promised_date == today,
        )
        .group_by(PurchaseLine.order_id)
    )
    for order_id, n in session.exec(promised):
        out[order_id].append(f"{n} 项采购承诺今天到货")
    _, end = clock.day_bounds(today)
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
