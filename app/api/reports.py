"""/api/orders/<id>/daily-reports (日报), who has not reported and reminding them, the
day-labour summary, and /api/daily-reports/desk (the phone's 日报 screen)."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import field as svc
from app.services.core import settings
from app.services.field import labour_summary, remind_reporter, report_desk, reports_public
from app.services.orders import members_public
from models.inputs import Day
from models.reports import (
    DailyReportIn,
    DailyReportPublic,
    LabourSummary,
    MissingReport,
    MissingReporter,
    ReportDesk,
    ReportReminderIn,
    ReportReminderOut,
)

bp = APIBlueprint(
    "api_reports",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="日报")],
    abp_security=SECURITY,
)

desk_bp = APIBlueprint(
    "api_report_desk",
    __name__,
    url_prefix="/api/daily-reports",
    abp_tags=[Tag(name="日报")],
    abp_security=SECURITY,
)


class ReportQuery(BaseModel):
    day: Day | None = Field(default=None, description="只看这一天")
    user_id: int | None = Field(default=None, description="只看这个人")


class DayQuery(BaseModel):
    day: Day | None = Field(default=None, description="缺省为今天")


class RangeQuery(BaseModel):
    start: Day | None = None
    end: Day | None = None


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


@bp.post("/daily-reports/remind", responses={200: ReportReminderOut})
def remind(path: OrderPath, body: ReportReminderIn):
    """Remind a member who has not reported today, in the order's chat groups (once a day)."""
    actor, session = current_actor(), db_session()
    out = remind_reporter(
        session=session, actor=actor, order_id=path.order_id, user_id=body.user_id
    )
    commit()
    return ok(out)


@desk_bp.get("/desk", responses={200: ReportDesk})
def desk(query: DayQuery):
    """The signed-in person's open orders with their report of the day and the day before, and
    who has not reported on the orders they manage."""
    actor, session = current_actor(), db_session()
    return ok(report_desk(session=session, actor=actor, day=query.day))


@bp.get("/labour", responses={200: LabourSummary})
def labour(path: OrderPath, query: RangeQuery):
    """Day-labour (点工) hours per worker and per day, from the daily reports."""
    actor, session = current_actor(), db_session()
    return ok(
        labour_summary(
            session=session, actor=actor, order_id=path.order_id, start=query.start, end=query.end
        )
    )
