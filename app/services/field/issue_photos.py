"""Adding photos to a site issue after it was reported (the chat sends them one by one)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from app.services.core import Actor, acts, require_member
from app.services.field.issues import ISSUE_ENTITY, load_issue, require_open_order
from app.services.orders import attach_photos
from models.enums import IssueState
from models.errors import Conflict
from models.issues import SiteIssue


@acts
def add_issue_photos(
    *, session: Session, actor: Actor, issue_id: int, photo_ids: Sequence[int]
) -> SiteIssue:
    """Attach uploaded photos of the issue's order to an issue that is not closed yet."""
    issue, order = load_issue(session, actor, issue_id, for_update=True)
    require_member(session, actor, order, "给问题点添加照片")
    require_open_order(order)
    if issue.state == IssueState.verified:
        raise Conflict(f"问题点 #{issue.id} 已验证关闭，不能再添加照片", code="issue_closed")
    attach_photos(
        session=session,
        order_id=issue.order_id,
        photo_ids=list(photo_ids),
        entity=ISSUE_ENTITY,
        entity_id=issue.id,
    )
    return issue
