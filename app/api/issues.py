"""/api/issues: site issues (问题点) and their loop; created under /api/orders/<id>/issues."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, Paging, commit, current_actor, db_session, ok
from app.services import field as svc
from app.services.field import issues_public
from models.enums import IssueCategory, IssueState, RiskLevel
from models.issues import (
    IssueCreate,
    IssuePublic,
    IssueReopen,
    IssueResolve,
    IssueUpdate,
    IssueVerify,
)

bp = APIBlueprint(
    "api_issues", __name__, url_prefix="/api", abp_tags=[Tag(name="问题点")], abp_security=SECURITY
)


class IssuePath(BaseModel):
    issue_id: int = Field(description="问题点编号（全局唯一，即 #12 中的 12）")


class IssueQuery(Paging):
    order_id: int | None = None
    state: IssueState | None = None
    risk: RiskLevel | None = None
    category: IssueCategory | None = None
    owner_id: int | None = None
    overdue: bool | None = Field(default=None, description="true 只看超期未处理的")
    mine: bool | None = Field(default=None, description="true 只看我负责或我提出的")


class IssuePage(BaseModel):
    items: list[IssuePublic]
    total: int
    page: int
    per_page: int


def _one(session, issue) -> IssuePublic:
    return issues_public(session, [issue], with_events=True)[0]


@bp.post("/orders/<int:order_id>/issues", responses={201: IssuePublic})
def create(path: OrderPath, body: IssueCreate):
    """Record a site issue; owner defaults to the liaison, due time to the risk limit."""
    actor, session = current_actor(), db_session()
    issue = svc.create_issue(
        session=session, actor=actor, order_id=path.order_id, **body.model_dump()
    )
    commit()
    return ok(_one(session, issue), 201)


@bp.get("/issues", responses={200: IssuePage})
def index(query: IssueQuery):
    """Issues on the orders the signed-in user may see, newest first."""
    actor, session = current_actor(), db_session()
    filters = query.model_dump(exclude={"page", "per_page"})
    rows, total = svc.list_issues(
        session=session, actor=actor, page=query.page, per_page=query.per_page, **filters
    )
    return ok(
        IssuePage(
            items=issues_public(session, rows),
            total=total,
            page=query.page,
            per_page=query.per_page,
        )
    )


@bp.get("/issues/<int:issue_id>", responses={200: IssuePublic})
def show(path: IssuePath):
    """One issue with its loop of events."""
    actor, session = current_actor(), db_session()
    return ok(_one(session, svc.get_issue(session=session, actor=actor, issue_id=path.issue_id)))


@bp.patch("/issues/<int:issue_id>", responses={200: IssuePublic})
def update(path: IssuePath, body: IssueUpdate):
    """Correct an issue or hand it to another owner."""
    actor, session = current_actor(), db_session()
    issue = svc.update_issue(session=session, actor=actor, issue_id=path.issue_id, data=body)
    commit()
    return ok(_one(session, issue))


@bp.post("/issues/<int:issue_id>/acknowledge", responses={200: IssuePublic})
def acknowledge(path: IssuePath):
    """The owner takes the issue on (收到)."""
    actor, session = current_actor(), db_session()
    issue = svc.acknowledge_issue(session=session, actor=actor, issue_id=path.issue_id)
    commit()
    return ok(_one(session, issue))


@bp.post("/issues/<int:issue_id>/resolve", responses={200: IssuePublic})
def resolve(path: IssuePath, body: IssueResolve):
    """The owner reports the issue fixed."""
    actor, session = current_actor(), db_session()
    issue = svc.resolve_issue(
        session=session, actor=actor, issue_id=path.issue_id, **body.model_dump()
    )
    commit()
    return ok(_one(session, issue))


@bp.post("/issues/<int:issue_id>/verify", responses={200: IssuePublic})
def verify(path: IssuePath, body: IssueVerify):
    """Someone other than the resolver confirms the fix and closes the issue."""
    actor, session = current_actor(), db_session()
    issue = svc.verify_issue(session=session, actor=actor, issue_id=path.issue_id, note=body.note)
    commit()
    return ok(_one(session, issue))


@bp.post("/issues/<int:issue_id>/reopen", responses={200: IssuePublic})
def reopen(path: IssuePath, body: IssueReopen):
    """Send a resolution back to the owner with the reason."""
    actor, session = current_actor(), db_session()
    issue = svc.reopen_issue(
        session=session, actor=actor, issue_id=path.issue_id, reason=body.reason
    )
    commit()
    return ok(_one(session, issue))
