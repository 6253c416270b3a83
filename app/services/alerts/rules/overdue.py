"""Overdue rules: stage past its planned end, purchase line past its promised date, site issue
past due, sign-off pending too long, daily report missing at the group's cut-off."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import case, literal
from sqlmodel import col, select

from app.services.alerts.rules import (
    Finding,
    RuleContext,
    SqlFinding,
    restrict,
    rule,
    set_rule,
)
from app.services.alerts.rules._owners import buyer_or_liaison, role_member
from app.services.alerts.rules._sql import (
    days_from,
    joined,
    local_minute,
    month_day,
    named,
    shortened,
)
from app.services.alerts.schedules import group_times
from app.services.orders import late_clause
from models.bom import BomLine
from models.chat import ChatGroup, ChatGroupOrder
from models.enums import (
    ISSUE_STATE_NAMES,
    RISK_NAMES,
    STAGE_NAMES,
    IssueState,
    OrderStatus,
    PurchaseStatus,
    ReviewStatus,
    RiskLevel,
    RiskType,
    Role,
    SignoffStatus,
    StageKind,
)
from models.issues import SiteIssue
from models.materials import Material
from models.orders import Order, OrderMember, Review, Signoff
from models.people import Department, User
from models.purchasing import PurchaseLine
from models.reports import DailyReport
from models.stages import Stage
from models.suppliers import Supplier

LATE_DAYS_HIGH = 7  # a stage or purchase this many days late is high risk


def _late_level_sql(due, today: date):
    """SQL: the level of something due on `due` (a date column) as of `today`: high once it is
    LATE_DAYS_HIGH days late, else medium."""
    return case(
        (due <= today - timedelta(days=LATE_DAYS_HIGH), literal(RiskLevel.high.value)),
        else_=literal(RiskLevel.medium.value),
    )


def _stage_query(ctx: RuleContext):
    """Late stages of live orders (lateness.late_clause), in stage id order."""
    query = (
        select(
            Stage.id.label("entity_id"),
            Stage.order_id.label("order_id"),
            _late_level_sql(col(Stage.planned_end), ctx.today).label("level"),
            Stage.kind,
            Stage.planned_end,
            Order.code,
            Order.liaison_id,
        )
        .join(Order, Order.id == Stage.order_id)
        .where(late_clause(ctx.today), col(Order.status).in_(OrderStatus.live()))
        .order_by(Stage.id)
    )
    return restrict(query, Stage.order_id, ctx)


def _stage_sql(ctx: RuleContext, columns) -> SqlFinding:
    _, _, _, kind, planned_end, code, liaison, *_ = columns
    return SqlFinding(
        owner_id=liaison,
        message=joined(
            code,
            " ",
            named(kind, STAGE_NAMES),
            "计划 ",
            month_day(planned_end),
            " 完成，已逾期 ",
            days_from(planned_end, ctx.today),
            " 天",
        ),
    )


@set_rule("stage_overdue", "阶段逾期", entity_type="stage", query=_stage_query, sql=_stage_sql)
def stage_overdue(ctx: RuleContext, row) -> Finding:
    stage_id, order_id, level, kind, planned_end, code, liaison = row
    return Finding(
        entity_type="stage",
        entity_id=stage_id,
        order_id=order_id,
        level=RiskLevel(level),
        owner_id=liaison,
        message=(
            f"{code} {STAGE_NAMES[StageKind(kind)]}计划 {planned_end:%m-%d} 完成，"
            f"已逾期 {(ctx.today - planned_end).days} 天"
        ),
    )


def _purchase_query(ctx: RuleContext):
    buyers = role_member(Role.buyer)
    level = case(
        (col(Material.is_key), literal(RiskLevel.high.value)),
        else_=_late_level_sql(col(PurchaseLine.promised_date), ctx.today),
    )
    query = (
        select(
            PurchaseLine.id.label("entity_id"),
            PurchaseLine.order_id.label("order_id"),
            level.label("level"),
            PurchaseLine.promised_date,
            Order.code,
            Material.id,
            Material.name,
            Supplier.name,
            buyer_or_liaison(buyers, PurchaseLine.created_by_id),
        )
        .join(Order, Order.id == PurchaseLine.order_id)
        .join(BomLine, BomLine.id == PurchaseLine.bom_line_id)
        .join(Material, Material.id == BomLine.material_id)
        .join(Supplier, Supplier.id == PurchaseLine.supplier_id)
        .outerjoin(buyers, buyers.c.order_id == PurchaseLine.order_id)
        .where(
            col(Order.status).in_(OrderStatus.live()),
            col(PurchaseLine.status).in_(PurchaseStatus.open()),
            PurchaseLine.received < PurchaseLine.quantity,
            col(PurchaseLine.promised_date).is_not(None),
            PurchaseLine.promised_date < ctx.today,
        )
    )
    return restrict(query, PurchaseLine.order_id, ctx)


def _purchase_sql(ctx: RuleContext, columns) -> SqlFinding:
    _, _, _, promised, code, material_id, name, supplier, owner, *_ = columns
    return SqlFinding(
        owner_id=owner,
        message=joined(
            code,
            " ",
            name,
            "（",
            supplier,
            "）承诺 ",
            month_day(promised),
            " 到货，已逾期 ",
            days_from(promised, ctx.today),
            " 天仍未到齐",
        ),
        risk_type=RiskType.supplier_delay,
        material_id=material_id,
    )


@set_rule(
    "purchase_overdue",
    "采购逾期未到货",
    entity_type="purchase_line",
    query=_purchase_query,
    sql=_purchase_sql,
)
def purchase_overdue(ctx: RuleContext, row) -> Finding:
    line_id, order_id, level, promised, code, material_id, name, supplier, owner = row
    days = (ctx.today - promised).days
    return Finding(
        entity_type="purchase_line",
        entity_id=line_id,
        order_id=order_id,
        level=RiskLevel(level),
        owner_id=owner,
        message=f"{code} {name}（{supplier}）承诺 {promised:%m-%d} 到货，已逾期 {days} 天仍未到齐",
        risk_type=RiskType.supplier_delay,
        material_id=material_id,
    )


def _issue_query(ctx: RuleContext):
    query = (
        select(
            SiteIssue.id.label("entity_id"),
            SiteIssue.order_id.label("order_id"),
            SiteIssue.risk.label("level"),
            SiteIssue.state,
            SiteIssue.due_at,
            SiteIssue.description,
            SiteIssue.owner_id,
            SiteIssue.created_at,
            Order.code,
        )
        .join(Order, Order.id == SiteIssue.order_id)
        .where(col(SiteIssue.state).in_(IssueState.waiting()), SiteIssue.due_at < ctx.now)
    )
    return restrict(query, SiteIssue.order_id, ctx)


ISSUE_TEXT = 40  # characters of an issue's description quoted in its warning


def _issue_sql(ctx: RuleContext, columns) -> SqlFinding:
    issue_id, _, risk, state, due, text, owner, created, code, *_ = columns
    return SqlFinding(
        owner_id=owner,
        message=joined(
            code,
            " 问题 #",
            issue_id,
            "「",
            shortened(text, ISSUE_TEXT),
            "」（",
            named(risk, RISK_NAMES),
            "风险，",
            named(state, ISSUE_STATE_NAMES),
            "）期限 ",
            local_minute(due, ctx.matrix.timezone),
            " 已过",
        ),
        since=created,
    )


@set_rule(
    "issue_overdue", "问题点超期", entity_type="site_issue", query=_issue_query, sql=_issue_sql
)
def issue_overdue(ctx: RuleContext, row) -> Finding:
    issue_id, order_id, risk, state, due, text, owner, created, code = row
    short = text if len(text) <= ISSUE_TEXT else text[: ISSUE_TEXT - 1] + "…"
    risk, due = RiskLevel(risk), due.astimezone(ctx.matrix.tz)
    return Finding(
        entity_type="site_issue",
        entity_id=issue_id,
        order_id=order_id,
        level=risk,
        owner_id=owner,
        message=(
            f"{code} 问题 #{issue_id}「{short}」（{RISK_NAMES[risk]}风险，"
            f"{ISSUE_STATE_NAMES[IssueState(state)]}）期限 {due:%m-%d %H:%M} 已过"
        ),
        since=created,
    )


@rule("signoff_pending", "会签超时")
def signoff_pending(ctx: RuleContext) -> Iterable[Finding]:
    limit = timedelta(hours=ctx.settings.signoff_limit_hours)
    query = (
        select(
            Signoff.id,
            Signoff.order_id,
            Department.name,
            Review.submitted_at,
            Order.code,
            Order.liaison_id,
        )
        .join(Review, Review.id == Signoff.review_id)
        .join(Order, Order.id == Signoff.order_id)
        .join(Department, Department.id == Signoff.department_id)
        .where(
            Order.status == OrderStatus.in_review,
            Review.status == ReviewStatus.pending,
            Signoff.status == SignoffStatus.pending,
            Review.submitted_at <= ctx.now - limit,
        )
    )
    for signoff_id, order_id, dept, submitted, code, liaison in ctx.session.exec(
        restrict(query, Signoff.order_id, ctx)
    ):
        hours = int((ctx.now - submitted).total_seconds() // 3600)
        yield Finding(
            entity_type="signoff",
            entity_id=signoff_id,
            order_id=order_id,
            level=RiskLevel.medium,
            owner_id=liaison,
            message=f"{code} 订单评审待{dept}会签，已等待 {hours} 小时",
            since=submitted + limit,
        )


def _cutoff_groups(ctx: RuleContext) -> tuple[list[int], bool]:
    """Groups whose report cut-off has passed today, and whether the default one has."""
    if ctx.group_id is not None:  # the group's own cut-off job: it is the cut-off
        return [ctx.group_id], False
    local = ctx.now.astimezone(ctx.matrix.tz)
    weekday, clock = local.weekday(), local.time()
    due = [
        g.group_id
        for g in group_times(ctx.session)
        if weekday in g.days and g.report_cutoff <= clock
    ]
    return due, weekday in ctx.settings.standup_days and ctx.settings.report_cutoff <= clock


@rule("report_missing", "日报未交", combine=True, daily=True)
def report_missing(ctx: RuleContext) -> Iterable[Finding]:
    groups, default_due = _cutoff_groups(ctx)
    followed = (
        select(ChatGroupOrder.order_id)
        .join(ChatGroup, ChatGroup.id == ChatGroupOrder.group_id)
        .where(ChatGroup.active)
    )
    due_orders = select(ChatGroupOrder.order_id).where(col(ChatGroupOrder.group_id).in_(groups))
    in_scope = col(OrderMember.order_id).in_(due_orders)
    if default_due:
        in_scope = in_scope | col(OrderMember.order_id).not_in(followed)
    reported = select(DailyReport.id).where(
        DailyReport.order_id == OrderMember.order_id,
        DailyReport.user_id == OrderMember.user_id,
        DailyReport.day == ctx.today,
    )
    roles = [Role(r) for r in ctx.settings.report_roles]
    query = (
        select(OrderMember.order_id, OrderMember.user_id, User.display_name, Order.code)
        .join(User, User.id == OrderMember.user_id)
        .join(Order, Order.id == OrderMember.order_id)
        .where(
            col(Order.status).in_(OrderStatus.executing()),
            col(OrderMember.role).in_(roles),
            User.is_active,
            in_scope,
            ~reported.exists(),
        )
    )
    rows = ctx.session.exec(restrict(query, OrderMember.order_id, ctx)).all()
    for order_id, user_id, name, code in rows:
        yield Finding(
            entity_type="order_member",
            entity_id=user_id,
            order_id=order_id,
            level=RiskLevel.low,
            owner_id=user_id,
            message=f"{code} {name} 今天（{ctx.today:%m-%d}）还没有提交日报",
        )
