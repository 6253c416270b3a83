"""Site issues (问题点): create, change, find and list. The loop itself is in issue_flow.

Each issue's id is global and is the short number people use in chat ("收到 #12").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from app.services.core import (
    Actor,
    acts,
    load_order,
    note,
    require_member,
    require_order_role,
    validated,
    visible_orders_clause,
)
from app.services.field.deadlines import (
    change_action,
    change_note,
    check_due,
    check_risk_change,
    due_for,
    next_due,
)
from app.services.orders import attach_photos, refuse_closed, require_member_in_role
from models.base import utcnow
from models.enums import (
    ISSUE_STATE_NAMES,
    IssueAction,
    IssueCategory,
    IssueState,
    RiskLevel,
    Role,
)
from models.errors import Conflict, InvalidInput, NotFound
from models.issues import IssueCreate, IssueEvent, IssueUpdate, SiteIssue
from models.orders import Order

ISSUE_ENTITY = "site_issue"
# Waiting on the owner: these count as overdue once past their due time.
# Everything short of verified is still open for acceptance and the SOP item.


def is_overdue(issue: SiteIssue, now: datetime) -> bool:
    """Whether the owner is still due to act and the due time has passed."""
    return issue.state in IssueState.waiting() and issue.due_at < now


def record_event(
    session: Session,
    issue: SiteIssue,
    actor: Actor,
    action: IssueAction,
    before: IssueState | None,
    now: datetime,
    text: str | None = None,
    due_at: datetime | None = None,
) -> None:
    """Write one step of the loop to the issue's event table."""
    session.add(
        IssueEvent(
            issue_id=issue.id,
            order_id=issue.order_id,
            action=action,
            from_state=before,
            to_state=issue.state,
            actor_id=actor.id,
            actor_name=actor.name,
            note=text,
            due_at=due_at,
            at=now,
        )
    )


def require_open_order(order: Order) -> None:
    """Issues of a closed order can no longer change."""
    refuse_closed(order, "订单已关闭，问题点不能再变更")


def _check_owner(session: Session, order: Order, owner_id: int) -> None:
    """An active member (or the liaison) of the order, as for an inspection's rework owner."""
    require_member_in_role(session, order, owner_id, None, "owner_id", "责任人")


@acts
def create_issue(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    description: str,
    risk: RiskLevel | str,
    category: IssueCategory | str = IssueCategory.other,
    location: str = "",
    owner_id: int | None = None,
    due_at: datetime | None = None,
    photo_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> SiteIssue:
    """Record a site issue; the owner defaults to the liaison, the due time to the risk limit."""
    now = now or utcnow()
    data = validated(
        IssueCreate,
        {
            "description": description,
            "risk": risk,
            "category": category,
            "location": location,
            "owner_id": owner_id,
            "due_at": due_at,
            "photo_ids": list(photo_ids),
        },
    )
    order = load_order(session, actor, order_id)
    require_member(session, actor, order, "登记问题点")
    require_open_order(order)
    owner = data.owner_id or order.liaison_id or actor.id
    if owner is None:
        raise InvalidInput("请指定责任人", field="owner_id")
    _check_owner(session, order, owner)
    due = check_due(data.due_at, now) if data.due_at else due_for(session, data.risk, now)
    return _new_issue(session, actor, order, data, owner, due, now)


def _new_issue(session, actor, order, data: IssueCreate, owner: int, due, now) -> SiteIssue:
    issue = SiteIssue(
        order_id=order.id,
        description=data.description,
        location=data.location,
        risk=data.risk,
        category=data.category,
        owner_id=owner,
        due_at=due,
        first_due_at=due,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(issue)
    session.flush()
    attach_photos(
        session=session,
        order_id=order.id,
        photo_ids=data.photo_ids,
        entity=ISSUE_ENTITY,
        entity_id=issue.id,
    )
    record_event(session, issue, actor, IssueAction.created, None, now, due_at=due)
    session.flush()
    return issue


def load_issue(
    session: Session, actor: Actor, issue_id: int, *, for_update: bool = False
) -> tuple[SiteIssue, Order]:
    """The issue and its order, if the actor may see the order; NotFound otherwise."""
    query = select(SiteIssue).where(SiteIssue.id == issue_id)
    if for_update:
        query = query.with_for_update()
    issue = session.exec(query).first()
    if issue is None:
        raise NotFound(f"问题点 #{issue_id} 不存在", code="issue_not_found")
    return issue, load_order(session, actor, issue.order_id)


def get_issue(*, session: Session, actor: Actor, issue_id: int) -> SiteIssue:
    """One issue by its number, if the actor may see its order."""
    return load_issue(session, actor, issue_id)[0]


@acts
def update_issue(
    *,
    session: Session,
    actor: Actor,
    issue_id: int,
    data: IssueUpdate,
    now: datetime | None = None,
) -> SiteIssue:
    """Correct an issue or hand it to another owner (its creator, trackers and admins); a
    later due time needs a manager and a reason, and the change goes into the timeline."""
    now = now or utcnow()
    issue, order = load_issue(session, actor, issue_id, for_update=True)
    if issue.created_by_id != actor.id:
        require_order_role(session, actor, order, {Role.tracker}, "修改问题点")
    require_open_order(order)
    if issue.state == IssueState.verified:
        raise Conflict(f"问题点 #{issue.id} 已验证关闭，不能修改", code="issue_closed")
    fields = data.model_dump(exclude_unset=True)
    reason = fields.pop("reason", None)
    check_risk_change(actor, issue, fields, reason)
    due = next_due(session, actor, issue, fields, reason, now)
    if fields.get("owner_id") not in (None, issue.owner_id):
        _reassign(session, actor, issue, order, fields["owner_id"], now)
    fields.pop("owner_id", None)
    _apply(session, actor, issue, fields, due, reason, now)
    issue.updated_at = now
    session.add(issue)
    session.flush()
    return issue


def _apply(session, actor, issue: SiteIssue, fields: dict, due, reason, now) -> None:
    # Every change of the issue itself is a step of its timeline, with who and why.
    asked = {k: v for k, v in fields.items() if k != "due_at" and v is not None}
    changed = due != issue.due_at or any(v != getattr(issue, k) for k, v in asked.items())
    if not changed and fields.get("due_at") is None:
        return
    action, text = change_action(issue, due), change_note(issue, fields, due, reason)
    for key, value in asked.items():
        setattr(issue, key, value)
    issue.due_at = due
    record_event(session, issue, actor, action, issue.state, now, text, due_at=due)


def _reassign(session, actor, issue: SiteIssue, order: Order, owner_id: int, now) -> None:
    _check_owner(session, order, owner_id)
    before = issue.state
    issue.owner_id = owner_id
    # The new owner has not said 收到 yet.
    if issue.state == IssueState.in_progress:
        issue.state = IssueState.open
    note(session, issue, "更换责任人")
    record_event(session, issue, actor, IssueAction.reassigned, before, now)


def list_issues(
    *,
    session: Session,
    actor: Actor,
    order_id: int | None = None,
    state: IssueState | None = None,
    risk: RiskLevel | None = None,
    category: IssueCategory | None = None,
    owner_id: int | None = None,
    overdue: bool | None = None,
    mine: bool | None = None,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> tuple[list[SiteIssue], int]:
    """Issues on the orders the actor may see, filtered, newest first; `mine`: those the actor
    owns or raised."""
    now = now or utcnow()
    if order_id is not None:
        load_order(session, actor, order_id)
    query = (
        select(SiteIssue)
        .join(Order, Order.id == SiteIssue.order_id)
        .where(visible_orders_clause(actor))
    )
    for column, value in (
        (SiteIssue.order_id, order_id),
        (SiteIssue.state, state),
        (SiteIssue.risk, risk),
        (SiteIssue.category, category),
        (SiteIssue.owner_id, owner_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if mine:
        query = query.where(
            or_(SiteIssue.owner_id == actor.id, SiteIssue.created_by_id == actor.id)
        )
    late = col(SiteIssue.state).in_(IssueState.waiting()) & (col(SiteIssue.due_at) < now)
    if overdue is not None:
        query = query.where(late if overdue else ~late)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(SiteIssue.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def unclosed_issues(
    *, session: Session, order_id: int, risk: RiskLevel | None = None
) -> list[SiteIssue]:
    """An order's issues not yet verified (optionally of one risk level), oldest first."""
    query = select(SiteIssue).where(
        SiteIssue.order_id == order_id, col(SiteIssue.state).in_(IssueState.unclosed())
    )
    if risk is not None:
        query = query.where(SiteIssue.risk == risk)
    return list(session.exec(query.order_by(SiteIssue.id)))


def issue_events(*, session: Session, issue_id: int) -> list[IssueEvent]:
    """The loop of one issue, in order."""
    query = select(IssueEvent).where(IssueEvent.issue_id == issue_id)
    return list(session.exec(query.order_by(IssueEvent.id)))


def state_error(issue: SiteIssue, action: str) -> Conflict:
    """The refusal for a step the issue's current state does not allow."""
    state = ISSUE_STATE_NAMES[IssueState(issue.state)]
    return Conflict(f"问题点 #{issue.id} 当前{state}，不能{action}", code="issue_state")
