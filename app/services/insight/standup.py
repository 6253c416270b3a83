"""The standup summary of one order (站会): short enough to read in a 15-minute standup.

`standup_summary` gathers what exists today (progress per stage, overdue stages, open SOP
items, pending sign-offs) as `sections`; the standup meeting (meeting.py) adds the people,
the warnings and today's milestones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, load_order, local_date, settings
from app.services.orders import (
    current_review,
    current_stage,
    list_stages,
    open_required_items,
    order_progress,
    signoffs,
    stage_days_late,
)
from models.base import utcnow
from models.enums import (
    ORDER_STATUS_NAMES,
    STAGE_NAMES,
    OrderStatus,
    ReviewStatus,
    SignoffStatus,
    StageKind,
    StageStatus,
)
from models.people import Department, User

MAX_ITEMS = 5


@dataclass
class StageLine:
    name: str
    status: StageStatus
    progress: int
    planned_end: date | None
    days_late: int = 0


@dataclass
class Section:
    """A titled list of short lines; other areas append theirs to StandupSummary.sections."""

    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class StandupSummary:
    order_id: int
    code: str
    customer: str
    status_name: str
    progress: int
    today: date
    delivery_date: date
    liaison: str
    stages: list[StageLine]
    current_stage: str | None
    sections: list[Section] = field(default_factory=list)
    link: str = ""

    @property
    def days_left(self) -> int:
        return (self.delivery_date - self.today).days


def standup_summary(
    *, session: Session, actor: Actor, order_id: int, now: datetime | None = None
) -> StandupSummary:
    """What the order's standup needs to know today."""
    now = now or utcnow()
    order = load_order(session, actor, order_id)
    today = local_date(now)
    stages = list_stages(session=session, order_id=order.id)
    liaison = session.get(User, order.liaison_id) if order.liaison_id else None
    current = current_stage(stages)
    summary = StandupSummary(
        order_id=order.id,
        code=order.code,
        customer=order.customer,
        status_name=ORDER_STATUS_NAMES[OrderStatus(order.status)],
        progress=order_progress(stages),
        today=today,
        delivery_date=order.delivery_date,
        liaison=liaison.display_name if liaison else "未指定",
        stages=[_stage_line(s, today) for s in stages],
        current_stage=STAGE_NAMES[StageKind(current.kind)] if current else None,
        link=f"{settings().public_base_url}/orders/{order.id}",
    )
    summary.sections = [
        s
        for s in (
            _overdue_section(summary),
            _open_items_section(session, stages),
            _signoff_section(session, order.id, order.status),
        )
        if s.lines
    ]
    return summary


def _stage_line(stage, today: date) -> StageLine:
    status = StageStatus(stage.status)
    return StageLine(
        name=STAGE_NAMES[StageKind(stage.kind)],
        status=status,
        progress=100 if status == StageStatus.done else stage.progress,
        planned_end=stage.planned_end,
        days_late=stage_days_late(stage, today),
    )


def _overdue_section(summary: StandupSummary) -> Section:
    lines = [
        f"{s.name} 计划 {s.planned_end:%m-%d} 完成，已逾期 {s.days_late} 天"
        for s in summary.stages
        if s.days_late
    ]
    return Section("逾期", lines)


def _open_items_section(session: Session, stages) -> Section:
    lines = []
    for stage in stages:
        if stage.status != StageStatus.in_progress:
            continue
        items = open_required_items(session=session, stage=stage)
        if items:
            names = "、".join(i.title for i in items[:MAX_ITEMS])
            more = f" 等 {len(items)} 项" if len(items) > MAX_ITEMS else ""
            lines.append(f"{STAGE_NAMES[StageKind(stage.kind)]}：{names}{more}")
    return Section("未完成的必做检查项", lines)


def _signoff_section(session: Session, order_id: int, status: OrderStatus) -> Section:
    review = current_review(session=session, order_id=order_id)
    if status != OrderStatus.in_review or review is None or review.status != ReviewStatus.pending:
        return Section("待会签", [])
    pending = [
        s.department_id
        for s in signoffs(session=session, review_id=review.id)
        if s.status == SignoffStatus.pending
    ]
    if not pending:
        return Section("待会签", [])
    names = session.exec(select(Department.name).where(col(Department.id).in_(pending))).all()
    return Section("待会签", ["、".join(sorted(names))])


STAGE_MARKS = {StageStatus.done: "✅", StageStatus.in_progress: "▶", StageStatus.not_started: "○"}
