"""The closed loop of a site issue (问题点):

    open -> in_progress (the owner says 收到) -> resolved (the owner, with a note)
         -> verified (someone other than the resolver) | reopened (with a reason) -> ...

The owner may also resolve straight from open or reopened (fixing it is the answer). Each
step is written to the issue's event table and, through the audited row, to the change log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.services.core import Actor, acting_roles, acts, validated
from app.services.core import note as log_note
from app.services.field.issues import (
    load_issue,
    record_event,
    require_open_order,
    state_error,
)
from app.services.orders import attach_photos
from models.base import utcnow
from models.enums import IssueAction, IssueState, Role
from models.errors import Forbidden
from models.issues import IssueReopen, IssueResolve, IssueVerify, SiteIssue
from models.orders import Order

RESOLUTION_ENTITY = "site_issue_resolution"
# Who may check a resolution (besides admins), and reopen it.
VERIFIER_ROLES = {Role.tracker, Role.quality, Role.site_engineer}


def _open(session: Session, actor: Actor, issue_id: int) -> tuple[SiteIssue, Order]:
    issue, order = load_issue(session, actor, issue_id, for_update=True)
    require_open_order(order)
    return issue, order


def _require_owner(actor: Actor, issue: SiteIssue, action: str) -> None:
    if actor.id is None or actor.id != issue.owner_id:
        raise Forbidden(f"只有问题点 #{issue.id} 的责任人可以{action}", code="not_issue_owner")


def _require_verifier(session: Session, actor: Actor, order: Order, action: str) -> None:
    if actor.is_admin or acting_roles(session, actor, order) & VERIFIER_ROLES:
        return
    raise Forbidden(f"只有本订单的跟单员、质检或现场工程师可以{action}", code="forbidden_role")


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, int((end - start).total_seconds()))


def _acknowledge(issue: SiteIssue, now: datetime) -> None:
    # The first response counts for the KPI; later acknowledgements after a reopen do not.
    if issue.acknowledged_at is None:
        issue.acknowledged_at = now
        issue.response_seconds = _seconds(issue.created_at, now)


def _move(session, actor, issue, action, state, now, text=None) -> SiteIssue:
    before = issue.state
    issue.state = state
    issue.updated_at = now
    session.add(issue)
    if text:
        log_note(session, issue, text)
    record_event(session, issue, actor, action, before, now, text)
    session.flush()
    return issue


@acts
def acknowledge_issue(
    *, session: Session, actor: Actor, issue_id: int, now: datetime | None = None
) -> SiteIssue:
    """The owner takes the issue on ("收到 #12"): open or reopened -> in progress."""
    now = now or utcnow()
    issue, _ = _open(session, actor, issue_id)
    _require_owner(actor, issue, "确认收到")
    if issue.state not in (IssueState.open, IssueState.reopened):
        raise state_error(issue, "确认收到")
    _acknowledge(issue, now)
    return _move(session, actor, issue, IssueAction.acknowledged, IssueState.in_progress, now)


@acts
def resolve_issue(
    *,
    session: Session,
    actor: Actor,
    issue_id: int,
    resolution: str,
    photo_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> SiteIssue:
    """The owner reports the issue fixed, with what was done and optional photos."""
    now = now or utcnow()
    data = validated(IssueResolve, {"resolution": resolution, "photo_ids": list(photo_ids)})
    issue, _ = _open(session, actor, issue_id)
    _require_owner(actor, issue, "提交处理结果")
    if issue.state not in IssueState.waiting():
        raise state_error(issue, "提交处理结果")
    _acknowledge(issue, now)
    issue.resolution = data.resolution
    issue.resolved_by_id = actor.id
    issue.resolved_at = now
    issue.resolution_seconds = _seconds(issue.created_at, now)
    attach_photos(
        session=session,
        order_id=issue.order_id,
        photo_ids=data.photo_ids,
        entity=RESOLUTION_ENTITY,
        entity_id=issue.id,
    )
    return _move(
        session, actor, issue, IssueAction.resolved, IssueState.resolved, now, data.resolution
    )


@acts
def verify_issue(
    *,
    session: Session,
    actor: Actor,
    issue_id: int,
    note: str | None = None,
    now: datetime | None = None,
) -> SiteIssue:
    """Confirm a resolution on site and close the issue; never by the one who resolved it."""
    now = now or utcnow()
    data = validated(IssueVerify, {"note": note})
    issue, order = _open(session, actor, issue_id)
    _require_verifier(session, actor, order, "验证问题点")
    if issue.state != IssueState.resolved:
        raise state_error(issue, "验证")
    if actor.id is not None and actor.id == issue.resolved_by_id:
        raise Forbidden("不能验证自己处理的问题点，请由其他人验证", code="own_resolution")
    issue.verified_by_id = actor.id
    issue.verified_at = now
    return _move(
        session, actor, issue, IssueAction.verified, IssueState.verified, now, data.note or None
    )


@acts
def reopen_issue(
    *, session: Session, actor: Actor, issue_id: int, reason: str, now: datetime | None = None
) -> SiteIssue:
    """Send a resolution back to the owner with the reason (verifiers or the issue's creator)."""
    now = now or utcnow()
    data = validated(IssueReopen, {"reason": reason})
    issue, order = _open(session, actor, issue_id)
    if issue.created_by_id is None or actor.id != issue.created_by_id:
        _require_verifier(session, actor, order, "退回问题点")
    if issue.state != IssueState.resolved:
        raise state_error(issue, "退回")
    issue.resolution = None
    issue.resolved_at = None
    issue.resolved_by_id = None
    issue.resolution_seconds = None
    return _move(session, actor, issue, IssueAction.reopened, IssueState.reopened, now, data.reason)
