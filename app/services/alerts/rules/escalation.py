"""Risk-matrix escalation over the alerts themselves: an alert still current today and not
acknowledged past its level's handling limit reminds the owner; past twice the limit it
tells the manager. Acknowledging the alert (or, for a site issue, the issue) stops both, and
so does its closing (the cause went away).

The limit counts from when a message of the exception first reached someone (`delivered_at`),
not from its creation: a warning held by quiet hours is not escalated before it is sent, so an
escalation never reaches a group before the warning it escalates."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.services.alerts.rules import Finding, RuleContext, restrict, rule
from app.services.risk import escalation_stage
from models.alerts import Alert, same_exception
from models.enums import RISK_NAMES, EscalationStage, RiskLevel
from models.issues import SiteIssue

ESCALATION_RULES = ("escalate_owner", "escalate_manager")


def _candidates(ctx: RuleContext) -> list[tuple]:
    shortest = min(ctx.matrix.limit(level) for level in RiskLevel)
    acked_issue = select(SiteIssue.id).where(
        SiteIssue.id == Alert.entity_id, col(SiteIssue.acknowledged_at).is_not(None)
    )
    earlier = aliased(Alert)
    first_delivered = (
        select(func.min(earlier.delivered_at))
        .where(
            same_exception(earlier, Alert),
            col(earlier.acknowledged_at).is_(None),
            col(earlier.delivered_at).is_not(None),  # min skips NULL: ix_alert_first_delivery
        )
        .scalar_subquery()
    )
    query = select(
        Alert.id,
        Alert.entity_type,
        Alert.entity_id,
        Alert.order_id,
        Alert.level,
        Alert.owner_id,
        Alert.message,
        first_delivered,
    ).where(
        Alert.day == ctx.today,
        col(Alert.acknowledged_at).is_(None),
        col(Alert.resolved_at).is_(None),
        col(Alert.parent_id).is_(None),
        col(Alert.rule).not_in(ESCALATION_RULES),
        first_delivered <= ctx.now - shortest,
        ~((Alert.entity_type == "site_issue") & acked_issue.exists()),
    )
    return list(ctx.session.exec(restrict(query, Alert.order_id, ctx)).all())


def _stages(ctx: RuleContext) -> Iterable[tuple[EscalationStage, tuple]]:
    if "escalation" not in ctx.shared:  # both escalation rules read the same candidates
        ctx.shared["escalation"] = _candidates(ctx)
    for row in ctx.shared["escalation"]:
        level, delivered = RiskLevel(row[4]), row[7]
        stage = escalation_stage(level, delivered, None, ctx.now, ctx.matrix)
        if stage is not EscalationStage.none:
            yield stage, row


def _hours(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} 小时" if hours >= 1 else f"{seconds / 60:.0f} 分钟"


def _finding(ctx: RuleContext, row: tuple, manager: bool) -> Finding:
    alert_id, entity_type, entity_id, order_id, level, owner, message, delivered = row
    level = RiskLevel(level)
    limit = _hours(ctx.matrix.limit(level).total_seconds())
    waited = _hours((ctx.now - delivered).total_seconds())
    head = "已超过两倍处理时限，请管理层督办" if manager else "已超过处理时限仍未确认"
    return Finding(
        entity_type=entity_type,
        entity_id=entity_id,
        order_id=order_id,
        level=level,
        owner_id=owner,
        message=(
            f"预警 #A{alert_id} {head}（{RISK_NAMES[level]}风险时限 {limit}，已 {waited}）："
            f"{message}"
        ),
        since=delivered,
        parent_id=alert_id,
        notify_managers=manager,
    )


@rule("escalate_owner", "超时未确认", phase=2)
def escalate_owner(ctx: RuleContext) -> Iterable[Finding]:
    for stage, row in _stages(ctx):
        if stage is EscalationStage.remind_owner:
            yield _finding(ctx, row, manager=False)


@rule("escalate_manager", "升级至管理层", phase=2)
def escalate_manager(ctx: RuleContext) -> Iterable[Finding]:
    for stage, row in _stages(ctx):
        if stage is EscalationStage.tell_manager:
            yield _finding(ctx, row, manager=True)
