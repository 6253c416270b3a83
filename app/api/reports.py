"""/api/orders/<id>/daily-reports (日报), who has not reported, and the day-labour summary."""

from __future__ import annotations

from datetime import date

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import field as svc
from app.services.core import settings
from app.services.field import labour_summary, reports_public
from app.services.orders import members_public
from models.reports import (
    DailyReportIn,
    DailyReportPublic,
    LabourSummary,
    MissingReport,
    MissingReporter,
)

bp = APIBlueprint(
    "api_reports",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="日报")],
    abp_security=SECURITY,
)


class ReportQuery(BaseModel):
    day: date | None = Field(default=None, description="只看这一天")
    user_id: int | None = Field(default=None, description="只看这个人")


class DayQuery(BaseModel):
    day: date | None = Field(default=None, description="缺省为今天")


class RangeQuery(BaseModel):
    start: date | None = None
    end: date | None = None


class ReportList(BaseModel):
    items: list[DailyReportPublic]


@bp.post("/daily-reports", responses={200: DailyReportPublic})
def submit(path: OrderPath, body: DailyReportIn):
    """File the signed-in user's report for a day; a second one updates the fields it sends."""
    actor, session = current_actor(), db_session()
    report = svc.submit_daily_report(
        session=session, actor=actor, order_id=path.order_id, **body.model_dump(exclude_unset=True)
    )
    commit()
    return ok(reports_public(session, [report])[0])


@bp.get("/daily-reports", responses={200: ReportList})
def index(path: OrderPath, query: ReportQuery):
    """The order's reports, newest day first."""
    actor, session = current_actor(), db_session()
    rows = svc.list_daily_reports(
        session=session, actor=actor, order_id=path.order_id, day=query.day, user_id=query.user_id
    )
    return ok(ReportList(items=reports_public(session, rows)))


@bp.get("/daily-reports/missing", responses={200: MissingReport})
def missing(path: OrderPath, query: DayQuery):
    """Members expected to report (by role, DAILY_REPORT_ROLES) who have not, for a day."""
    actor, session = current_actor(), db_session()
    day, members = svc.list_missing_reporters(
        session=session, actor=actor, order_id=path.order_id, day=query.day
    )
    items = [MissingReporter(user=m.user, role=m.role) for m in members_public(session, members)]
    return ok(MissingReport(day=day, expected_roles=list(settings().report_roles), items=items))


@bp.get("/labour", responses={200: LabourSummary})
def labour(path: OrderPath, query: RangeQuery):
    """Day-labour (点工) hours per worker and per day, from the daily reports."""
    actor, session = current_actor(), db_session()
    return ok(
        labour_summary(
            session=session, actor=actor, order_id=path.order_id, start=query.start, end=query.end
        )
    )
