"""When each chat group gets its standup summary and its daily-report cut-off.

The deployment defaults come from the environment (STANDUP_TIME, STANDUP_DAYS,
DAILY_REPORT_CUTOFF); a group's own schedule overrides any of them. The scheduler reads the
effective schedules of the active chat groups with `group_times` and keeps one job per group
and task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel import Session, select

from app.services.core import (
    Actor,
    acts,
    describe_days,
    format_clock,
    format_days,
    parse_clock,
    parse_days,
    require_view_group,
    settings,
)
from models.base import utcnow
from models.chat import ChatGroup
from models.errors import Forbidden, InvalidInput, NotFound
from models.reminders import GroupSchedule, GroupScheduleIn, ScheduleOverview, SchedulePublic

FIELDS = ("standup_time", "standup_days", "report_cutoff", "standup_enabled")


@dataclass(frozen=True)
class GroupTimes:
    """A chat group's effective schedule (its own settings over the deployment defaults)."""

    group_id: int
    standup_time: time
    days: tuple[int, ...]
    report_cutoff: time
    standup_enabled: bool = True


def _times(group_id: int, row: GroupSchedule | None) -> GroupTimes:
    current = settings()
    if row is None:
        return GroupTimes(
            group_id, current.standup_time, current.standup_days, current.report_cutoff
        )
    return GroupTimes(
        group_id=group_id,
        standup_time=row.standup_time or current.standup_time,
        days=parse_days(row.standup_days) if row.standup_days else current.standup_days,
        report_cutoff=row.report_cutoff or current.report_cutoff,
        standup_enabled=row.standup_enabled,
    )


def group_times(session: Session) -> list[GroupTimes]:
    """The effective schedule of every active chat group."""
    query = (
        select(ChatGroup.id, GroupSchedule)
        .join(GroupSchedule, GroupSchedule.group_id == ChatGroup.id, isouter=True)
        .where(ChatGroup.active)
        .order_by(ChatGroup.id)
    )
    return [_times(group_id, row) for group_id, row in session.exec(query).all()]


def _public(group: ChatGroup | None, row: GroupSchedule | None) -> SchedulePublic:
    times = _times(group.id if group else 0, row)
    own = []
    if row is not None:
        own = [f for f in FIELDS if getattr(row, f) not in (None, True)]
    return SchedulePublic(
        group_id=group.id if group else None,
        group_name=group.name if group else None,
        standup_time=format_clock(times.standup_time),
        standup_days=format_days(times.days),
        standup_days_name=describe_days(times.days),
        report_cutoff=format_clock(times.report_cutoff),
        standup_enabled=times.standup_enabled,
        own=own,
    )


def schedule_overview(*, session: Session) -> ScheduleOverview:
    """The deployment defaults and every active group's effective schedule."""
    query = (
        select(ChatGroup, GroupSchedule)
        .join(GroupSchedule, GroupSchedule.group_id == ChatGroup.id, isouter=True)
        .where(ChatGroup.active)
        .order_by(ChatGroup.id)
    )
    return ScheduleOverview(
        timezone=settings().timezone,
        rule_sweep_minutes=settings().rule_sweep_minutes,
        defaults=_public(None, None),
        items=[_public(group, row) for group, row in session.exec(query).all()],
    )


def _group(session: Session, group_id: int) -> ChatGroup:
    group = session.get(ChatGroup, group_id)
    if group is None:
        raise NotFound("聊天群不存在", code="group_not_found")
    return group


def group_schedule(*, session: Session, group_id: int) -> SchedulePublic:
    """A group's effective schedule (the defaults where it has none of its own)."""
    group = _group(session, group_id)
    return _public(group, session.get(GroupSchedule, group_id))


def view_group_schedule(*, session: Session, actor: Actor, group_id: int) -> SchedulePublic:
    """A group's effective schedule, for those who may see the group."""
    require_view_group(session, actor, _group(session, group_id))
    return group_schedule(session=session, group_id=group_id)


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以修改群的提醒时间")


def _parse(data: GroupScheduleIn) -> dict:
    """The given fields, parsed; a given null means 'back to the default'."""
    given = {name: getattr(data, name) for name in data.model_fields_set if name in FIELDS}
    try:
        for name in ("standup_time", "report_cutoff"):
            if given.get(name) is not None:
                given[name] = parse_clock(given[name])
        if given.get("standup_days") is not None:
            given["standup_days"] = format_days(parse_days(given["standup_days"]))
    except ValueError:
        raise InvalidInput(
            "时间格式应为 HH:MM，站会日例如 mon-sat 或 mon,wed,fri", code="bad_schedule"
        ) from None
    if "standup_enabled" in given and given["standup_enabled"] is None:
        given["standup_enabled"] = True
    return given


@acts
def set_group_schedule(
    *,
    session: Session,
    actor: Actor,
    group_id: int,
    data: GroupScheduleIn,
    now: datetime | None = None,
) -> GroupSchedule:
    """Give a group its own standup time, days, cut-off or switch its standups off (admins)."""
    _require_admin(actor)
    given = _parse(data)
    _group(session, group_id)
    row = session.get(GroupSchedule, group_id) or GroupSchedule(group_id=group_id)
    for name, value in given.items():
        setattr(row, name, value)
    row.updated_at = now or utcnow()
    session.add(row)
    session.flush()
    return row


@acts
def reset_group_schedule(*, session: Session, actor: Actor, group_id: int) -> None:
    """Let a group follow the deployment defaults again (admins)."""
    _require_admin(actor)
    row = session.get(GroupSchedule, group_id)
    if row is None:
        raise NotFound("该群没有自己的提醒时间", code="schedule_not_found")
    session.delete(row)
    session.flush()
