"""Reading the change log (变更日志) of an order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlmodel import Session, col, func, select

from app.services.core.actor import Actor
from app.services.core.labels import ACTION_NAMES, QUIET_FIELDS, entity_name, field_name, value_name
from app.services.core.permissions import load_order
from app.services.core.subjects import subject_names
from models.changes import ChangeLog
from models.enums import ChangeAction


def list_changes(
    *, session: Session, actor: Actor, order_id: int, page: int = 1, per_page: int = 50
) -> tuple[list[ChangeLog], int]:
    """An order's change log, newest first, one page at a time."""
    load_order(session, actor, order_id)
    query = select(ChangeLog).where(ChangeLog.order_id == order_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(ChangeLog.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


@dataclass(frozen=True)
class ChangeEvent:
    """One thing that happened: the log rows of one save of one row, in words."""

    at: datetime
    actor_name: str
    channel: str
    summary: str
    note: str | None


def describe_changes(rows: list[ChangeLog], *, session: Session) -> list[ChangeEvent]:
    """Group log rows written by the same save of the same row into readable events, each
    naming its subject (stage and item, material, ...) where the table has one."""
    subjects = subject_names(session, rows)
    events: list[ChangeEvent] = []
    for _, group in groupby(
        rows, key=lambda r: (r.at, r.actor_id, r.entity, r.entity_id, r.action)
    ):
        group = list(group)
        first = group[0]
        events.append(
            ChangeEvent(
                at=first.at,
                actor_name=first.actor_name,
                channel=str(first.channel),
                summary=_summary(group, subjects.get((first.entity, first.entity_id))),
                note=next((r.note for r in group if r.note), None),
            )
        )
    return events


def _summary(group: list[ChangeLog], subject: str | None) -> str:
    group = sorted(group, key=lambda r: r.id or 0)
    first = group[0]
    verb = ACTION_NAMES.get(str(first.action), first.action)
    what = f"{verb} {subject}" if subject else f"{verb}{entity_name(first.entity)}"
    if first.action != ChangeAction.update:
        return what
    parts = [
        f"{field_name(r.field)} {value_name(r.old_value)} → {value_name(r.new_value)}"
        for r in group
        if r.field not in QUIET_FIELDS
    ]
    if not parts:
        return what
    return f"{subject or what}：{'，'.join(parts)}"
