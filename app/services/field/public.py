"""Public (API) forms of daily reports, site issues, documents and acceptance, in few queries."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.services.field.acceptance import FORM_ENTITY
from app.services.field.issue_flow import RESOLUTION_ENTITY
from app.services.field.issues import ISSUE_ENTITY, is_overdue, issue_events
from app.services.field.reports import REPORT_ENTITY, labour_of
from app.services.orders import photos_of, photos_public
from app.services.people import user_brief, users_by_id
from models.acceptance import Acceptance, AcceptancePublic, DocumentPublic, OrderDocument
from models.base import utcnow
from models.enums import (
    DOCUMENT_KIND_NAMES,
    ISSUE_CATEGORY_NAMES,
    ISSUE_STATE_NAMES,
    RISK_NAMES,
    DocumentKind,
    IssueCategory,
    IssueState,
    RiskLevel,
)
from models.issues import IssueEventPublic, IssuePublic, SiteIssue
from models.orders import Order
from models.reports import DailyReport, DailyReportPublic, LabourPublic


def reports_public(session: Session, reports: list[DailyReport]) -> list[DailyReportPublic]:
    """Public forms of daily reports with their labour lines and photos."""
    ids = [r.id for r in reports]
    users = users_by_id(session, [r.user_id for r in reports])
    labour = labour_of(session=session, report_ids=ids)
    photos = photos_of(session=session, entity=REPORT_ENTITY, entity_ids=ids)
    return [
        DailyReportPublic(
            id=r.id,
            order_id=r.order_id,
            user=user_brief(users[r.user_id]),
            day=r.day,
            done_today=r.done_today,
            plan_tomorrow=r.plan_tomorrow,
            problems=r.problems,
            hours=r.hours,
            labour=[
                LabourPublic(worker=e.worker, hours=e.hours, work=e.work) for e in labour[r.id]
            ],
            photos=photos_public(session, photos[r.id]),
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in reports
    ]


def issues_public(
    session: Session,
    issues: list[SiteIssue],
    *,
    with_events: bool = False,
    now: datetime | None = None,
) -> list[IssuePublic]:
    """Public forms of site issues (with their loop of events when asked)."""
    now = now or utcnow()
    ids = [i.id for i in issues]
    people = [
        uid
        for i in issues
        for uid in (i.owner_id, i.created_by_id, i.resolved_by_id, i.verified_by_id)
    ]
    users = users_by_id(session, people)
    codes = dict(
        session.exec(
            select(Order.id, Order.code).where(col(Order.id).in_({i.order_id for i in issues}))
        ).all()
    )
    photos = photos_of(session=session, entity=ISSUE_ENTITY, entity_ids=ids)
    fixes = photos_of(session=session, entity=RESOLUTION_ENTITY, entity_ids=ids)
    return [
        _issue_public(session, i, users, codes, photos[i.id], fixes[i.id], with_events, now)
        for i in issues
    ]


def _issue_public(session, issue, users, codes, photos, fixes, with_events, now) -> IssuePublic:
    events = None
    if with_events:
        events = [
            IssueEventPublic.model_validate(e, from_attributes=True)
            for e in issue_events(session=session, issue_id=issue.id)
        ]
    return IssuePublic(
        **issue.model_dump(
            exclude={"owner_id", "created_by_id", "resolved_by_id", "verified_by_id", "updated_at"}
        ),
        order_code=codes[issue.order_id],
        risk_name=RISK_NAMES[RiskLevel(issue.risk)],
        category_name=ISSUE_CATEGORY_NAMES[IssueCategory(issue.category)],
        state_name=ISSUE_STATE_NAMES[IssueState(issue.state)],
        overdue=is_overdue(issue, now),
        owner=user_brief(users[issue.owner_id]),
        created_by=user_brief(users.get(issue.created_by_id)),
        resolved_by=user_brief(users.get(issue.resolved_by_id)),
        verified_by=user_brief(users.get(issue.verified_by_id)),
        photos=photos_public(session, photos),
        resolution_photos=photos_public(session, fixes),
        events=events,
    )


def document_public(session: Session, document: OrderDocument | None) -> DocumentPublic | None:
    """Public form of a PDF document, with its download address."""
    if document is None:
        return None
    users = users_by_id(session, [document.uploaded_by_id])
    return DocumentPublic(
        id=document.id,
        order_id=document.order_id,
        kind=document.kind,
        kind_name=DOCUMENT_KIND_NAMES[DocumentKind(document.kind)],
        filename=document.filename,
        size_bytes=document.size_bytes,
        url=f"/api/documents/{document.id}",
        uploaded_by=user_brief(users.get(document.uploaded_by_id)),
        uploaded_at=document.uploaded_at,
    )


def acceptance_public(session: Session, acceptance: Acceptance) -> AcceptancePublic:
    """Public form of an order's acceptance with its signed form."""
    form_id = acceptance.form_document_id
    form = session.get(OrderDocument, form_id) if form_id is not None else None
    photos = photos_of(session=session, entity=FORM_ENTITY, entity_ids=[acceptance.id])
    users = users_by_id(session, [acceptance.recorded_by_id])
    return AcceptancePublic(
        order_id=acceptance.order_id,
        method=acceptance.method,
        signer_name=acceptance.signer_name,
        satisfaction=acceptance.satisfaction,
        comment=acceptance.comment,
        accepted_on=acceptance.accepted_on,
        on_time=acceptance.on_time,
        days_late=acceptance.days_late,
        form_document=document_public(session, form),
        form_photos=photos_public(session, photos[acceptance.id]),
        recorded_by=user_brief(users.get(acceptance.recorded_by_id)),
        recorded_at=acceptance.recorded_at,
    )
