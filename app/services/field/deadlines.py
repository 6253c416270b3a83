"""An issue's deadline keeps its history.

The due time an issue was raised with is kept (`first_due_at`). A change of risk or due time may
bring the deadline closer; only a manager, with a reason, may move it later, so lowering and then
raising the risk cannot reset the clock of an overdue issue. Every change is a step of the issue's
timeline with who, why and the due time after it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.services.core import Actor, settings
from app.services.risk import deadline_for, risk_matrix
from models.enums import RISK_NAMES, IssueAction, RiskLevel, Role
from models.errors import Forbidden, InvalidInput
from models.issues import IssueEvent, SiteIssue


def due_for(session: Session, risk: RiskLevel, start: datetime) -> datetime:
    """The due time of an issue of this risk raised at `start` (the risk matrix in force)."""
    return deadline_for(RiskLevel(risk), start, risk_matrix(session=session))


def may_extend(actor: Actor) -> bool:
    """Managers (and admins) may move a deadline later."""
    return actor.is_admin or actor.has(Role.manager)


def aware(value: datetime) -> datetime:
    """A time typed without a zone is a local wall-clock time."""
    return value if value.tzinfo else value.replace(tzinfo=settings().tz)


def check_due(due_at: datetime, now: datetime) -> datetime:
    """A due time typed by a person must lie in the future."""
    due_at = aware(due_at)
    if due_at <= now:
        raise InvalidInput("处理期限必须晚于现在", field="due_at")
    return due_at


_RANK = {RiskLevel.low: 0, RiskLevel.medium: 1, RiskLevel.high: 2}


def check_risk_change(actor: Actor, issue: SiteIssue, fields: dict, reason: str | None) -> None:
    """Lowering a risk needs a reason, and lowering a high risk (which blocks acceptance) a
    manager too."""
    new = fields.get("risk")
    if new is None or _RANK[RiskLevel(new)] >= _RANK[RiskLevel(issue.risk)]:
        return
    if issue.risk == RiskLevel.high and not may_extend(actor):
        raise Forbidden("只有管理层可以降低高风险问题点的等级", code="risk_downgrade")
    if not reason:
        raise InvalidInput("降低风险等级须填写原因", field="reason")


def next_due(
    session: Session, actor: Actor, issue: SiteIssue, fields: dict, reason: str | None, now
) -> datetime:
    """The due time after this change of due time or risk; refuses a later one it may not set.

    A change of risk can only bring the deadline closer (a higher risk from now), never push it
    out, so lowering and raising the risk cannot reset the clock. A later due time is set only
    explicitly, by a manager, with a reason.
    """
    current = issue.due_at
    if fields.get("due_at") is None:
        if fields.get("risk") in (None, issue.risk):
            return current
        return min(current, due_for(session, fields["risk"], now))
    wanted = check_due(fields["due_at"], now)
    if wanted <= current:
        return wanted
    if not may_extend(actor):
        raise Forbidden("只有管理层可以推迟问题点的处理期限", code="deadline_extension")
    if not reason:
        raise InvalidInput("推迟处理期限须填写原因", field="reason")
    return wanted


def _local(value: datetime) -> str:
    return value.astimezone(settings().tz).strftime("%m-%d %H:%M")


def change_note(issue: SiteIssue, fields: dict, due: datetime, reason: str | None) -> str:
    """The timeline's words for one change: what moved, and why."""
    parts = []
    if fields.get("risk") not in (None, issue.risk):
        old, new = RISK_NAMES[RiskLevel(issue.risk)], RISK_NAMES[RiskLevel(fields["risk"])]
        parts.append(f"风险 {old} → {new}")
    if due != issue.due_at:
        parts.append(f"处理期限 {_local(issue.due_at)} → {_local(due)}")
    elif fields.get("risk") not in (None, issue.risk) or fields.get("due_at") is not None:
        parts.append(f"处理期限不变（{_local(due)}）")
    for key in ("description", "location", "category"):
        if fields.get(key) not in (None, getattr(issue, key)):
            parts.append({"description": "描述", "location": "位置", "category": "类别"}[key])
    text = "，".join(parts) or "修改"
    return f"{text}；原因：{reason}" if reason else text


def change_action(issue: SiteIssue, due: datetime) -> IssueAction:
    """`extended` when the deadline moves later, `updated` otherwise."""
    return IssueAction.extended if due > issue.due_at else IssueAction.updated


def respects_first_deadline(session: Session, issue: SiteIssue) -> bool:
    """Whether the issue's due time is no later than its first one, or a manager's reasoned
    extension set exactly this due time."""
    if issue.due_at <= issue.first_due_at:
        return True
    query = select(IssueEvent).where(
        IssueEvent.issue_id == issue.id, IssueEvent.action == IssueAction.extended
    )
    return any(e.due_at == issue.due_at and e.note for e in session.exec(query))
