"""Daily reports (日报): one per user, order and local day; a second submission updates it.

The chat bot's 日报 command and the API both call `submit_daily_report` with plain values;
the bot parses the text, this module checks and stores. A part not sent (KEEP) keeps the value
the day's report already has, so re-sending only 明日 does not blank 问题 or 工时. One person's
hours, and one day labourer's hours across every report of the day, stay within 24.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from app.services.core import (
    Actor,
    acts,
    load_order,
    local_date,
    require_member,
    settings,
    validated,
)
from app.services.orders import attach_photos, refuse_closed
from models.base import utcnow
from models.enums import Role
from models.errors import Forbidden, InvalidInput
from models.orders import OrderMember
from models.people import User
from models.reports import DailyReport, DailyReportIn, LabourEntry, LabourIn

REPORT_ENTITY = "daily_report"
# How far back a forgotten report may still be filed.
BACKFILL_DAYS = 31
DAY_HOURS = 24


class _Keep(Enum):
    KEEP = "keep"


# The default of a report part that was not sent: the stored value stays.
KEEP = _Keep.KEEP
_PARTS = ("done_today", "plan_tomorrow", "problems", "hours", "labour")


@acts
def submit_daily_report(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    day: date | None = None,
    done_today: str | _Keep = KEEP,
    plan_tomorrow: str | _Keep = KEEP,
    problems: str | _Keep = KEEP,
    hours: float | _Keep | None = KEEP,
    labour: Sequence[LabourIn | dict] | _Keep = KEEP,
    photo_ids: Sequence[int] = (),
    now: datetime | None = None,
) -> DailyReport:
    """File (or update) the actor's report on an order for a local day (default today)."""
    now = now or utcnow()
    sent = {
        "done_today": done_today,
        "plan_tomorrow": plan_tomorrow,
        "problems": problems,
        "hours": hours,
        "labour": labour,
    }
    sent = {k: v for k, v in sent.items() if v is not KEEP}
    if "labour" in sent:
        sent["labour"] = [e.model_dump() if isinstance(e, BaseModel) else e for e in labour]
    day = _check_day(day, local_date(now))
    if actor.id is None:
        raise Forbidden("日报必须由具体人员提交", code="report_needs_user")
    order = load_order(session, actor, order_id, for_update=True)
    require_member(session, actor, order, "提交日报")
    refuse_closed(order, "订单已关闭，不能再提交日报")
    # The order row is locked, so looking up the day's report and inserting it cannot race.
    report = _report_of(session, order_id, actor.id, day)
    values = {**_stored(session, report), **sent, "day": day, "photo_ids": list(photo_ids)}
    if "done_today" not in values:
        raise InvalidInput("当天还没有日报，请写上今日完成的工作", field="done_today")
    data = validated(DailyReportIn, values)
    _check_day_hours(session, actor.id, day, report, data)
    return _store(session, order_id, actor.id, report, data, now)


def _stored(session: Session, report: DailyReport | None) -> dict[str, Any]:
    if report is None:
        return {}
    lines = labour_of(session=session, report_ids=[report.id])[report.id]
    return {
        **{k: getattr(report, k) for k in _PARTS if k != "labour"},
        "labour": [{"worker": e.worker, "hours": e.hours, "work": e.work} for e in lines],
    }


def _check_day_hours(
    session: Session, user_id: int, day: date, report: DailyReport | None, data: DailyReportIn
) -> None:
    """24 hours a day: the reporter's own across their reports, each labourer's across all."""
    others = [] if report is None else [DailyReport.id != report.id]
    if data.hours:
        booked = session.exec(
            select(func.coalesce(func.sum(DailyReport.hours), 0)).where(
                DailyReport.user_id == user_id, DailyReport.day == day, *others
            )
        ).one()
        if booked + data.hours > DAY_HOURS:
            raise InvalidInput(
                f"{day:%m-%d} 本人工时合计 {booked + data.hours:g} 小时，超过每天 {DAY_HOURS} 小时"
                f"（其他日报已填 {booked:g} 小时）",
                code="hours_over_day",
                field="hours",
            )
    mine: dict[str, float] = {}
    for entry in data.labour:
        mine[entry.worker] = mine.get(entry.worker, 0) + entry.hours
    if not mine:
        return
    other_lines = [] if report is None else [LabourEntry.report_id != report.id]
    booked_by = dict(
        session.exec(
            select(LabourEntry.worker, func.sum(LabourEntry.hours))
            .where(LabourEntry.day == day, col(LabourEntry.worker).in_(mine), *other_lines)
            .group_by(LabourEntry.worker)
        ).all()
    )
    for worker, hours in mine.items():
        booked = booked_by.get(worker, 0)
        if booked + hours > DAY_HOURS:
            raise InvalidInput(
                f"点工「{worker}」{day:%m-%d} 工时合计 {booked + hours:g} 小时，超过每天 "
                f"{DAY_HOURS} 小时（其他日报已登记 {booked:g} 小时）",
                code="hours_over_day",
                field="labour",
            )


def _store(session, order_id: int, user_id: int, report, data: DailyReportIn, now):
    if report is None:
        report = DailyReport(order_id=order_id, user_id=user_id, day=data.day, created_at=now)
    for key in ("done_today", "plan_tomorrow", "problems", "hours"):
        setattr(report, key, getattr(data, key))
    report.updated_at = now
    session.add(report)
    session.flush()
    _sync_labour(session, report, data.labour)
    attach_photos(
        session=session,
        order_id=order_id,
        photo_ids=data.photo_ids,
        entity=REPORT_ENTITY,
        entity_id=report.id,
    )
    session.flush()
    return report


def _check_day(day: date | None, today: date) -> date:
    day = day or today
    if day > today + timedelta(days=1):
        raise InvalidInput("日报日期不能晚于明天", field="day")
    if day < today - timedelta(days=BACKFILL_DAYS):
        raise InvalidInput(f"只能补报最近 {BACKFILL_DAYS} 天的日报", field="day")
    return day


def _report_of(session: Session, order_id: int, user_id: int, day: date) -> DailyReport | None:
    return session.exec(
        select(DailyReport).where(
            DailyReport.order_id == order_id,
            DailyReport.user_id == user_id,
            DailyReport.day == day,
        )
    ).first()


def labour_of(*, session: Session, report_ids: list[int]) -> dict[int, list[LabourEntry]]:
    """The labour entries of several reports, in the order they were given."""
    out: dict[int, list[LabourEntry]] = {i: [] for i in report_ids}
    if report_ids:
        query = select(LabourEntry).where(col(LabourEntry.report_id).in_(report_ids))
        for entry in session.exec(query.order_by(LabourEntry.position)):
            out[entry.report_id].append(entry)
    return out


def _sync_labour(session: Session, report: DailyReport, entries: list[LabourIn]) -> None:
    # Line by line, so a resubmission logs only the lines and fields that changed.
    current = labour_of(session=session, report_ids=[report.id])[report.id]
    for position, entry in enumerate(entries):
        row = current[position] if position < len(current) else None
        if row is None:
            row = LabourEntry(
                report_id=report.id, order_id=report.order_id, day=report.day, position=position
            )
        row.worker, row.hours, row.work = entry.worker, entry.hours, entry.work
        session.add(row)
    for row in current[len(entries) :]:
        session.delete(row)


def list_daily_reports(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    day: date | None = None,
    user_id: int | None = None,
) -> list[DailyReport]:
    """An order's reports, newest day first, optionally of one day or one person."""
    load_order(session, actor, order_id)
    query = select(DailyReport).where(DailyReport.order_id == order_id)
    if day is not None:
        query = query.where(DailyReport.day == day)
    if user_id is not None:
        query = query.where(DailyReport.user_id == user_id)
    return list(session.exec(query.order_by(col(DailyReport.day).desc(), DailyReport.id)))


def missing_reporters(*, session: Session, order_id: int, day: date) -> list[OrderMember]:
    """Members expected to report (by their role on the order) who filed nothing that day."""
    roles = [Role(r) for r in settings().report_roles]
    reported = select(DailyReport.user_id).where(
        DailyReport.order_id == order_id, DailyReport.day == day
    )
    query = (
        select(OrderMember)
        .join(User, User.id == OrderMember.user_id)
        .where(
            OrderMember.order_id == order_id,
            col(OrderMember.role).in_(roles),
            User.is_active,
            col(OrderMember.user_id).not_in(reported),
        )
    )
    return list(session.exec(query.order_by(OrderMember.added_at, OrderMember.user_id)))


def list_missing_reporters(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    day: date | None = None,
    now: datetime | None = None,
) -> tuple[date, list[OrderMember]]:
    """Who has not reported on the order for a day (default today), for those who may see it."""
    load_order(session, actor, order_id)
    day = day or local_date(now or utcnow())
    return day, missing_reporters(session=session, order_id=order_id, day=day)
