"""A stage's SOP checklist as the gates read it: items stating a fact are derived from the
records (checks.py) and stored by the system, the others are ticked by hand."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from app.services.core import Checklist
from app.services.orders.checks import fact_holds, source_of
from models.enums import StageKind, StageStatus
from models.stages import ChecklistItem, Stage


def _derive(session: Session, item: ChecklistItem) -> bool | None:
    stage = session.get(Stage, item.stage_id)
    return fact_holds(session, item.order_id, StageKind(stage.kind), item.title)


# A stage's SOP checklist: items stating a fact are derived from the records (checks.py),
# the others are ticked by hand.
STAGE_CHECKLIST = Checklist(ChecklistItem, "stage_id", derive=_derive)


def checklist(*, session: Session, stage_id: int) -> list[ChecklistItem]:
    """A stage's checklist items in order."""
    return STAGE_CHECKLIST.items(session, stage_id)


def item_done(session: Session, stage: Stage, item: ChecklistItem) -> bool:
    """Whether an item is done: what the records say for a derived item, the tick otherwise."""
    fact = fact_holds(session, stage.order_id, StageKind(stage.kind), item.title)
    return item.done if fact is None else fact


def open_required_items(
    *, session: Session, stage: Stage, ignore: frozenset[str] = frozenset()
) -> list[ChecklistItem]:
    """The required checklist items of a stage that are not done (titles in `ignore` skipped)."""
    return [
        i
        for i in checklist(session=session, stage_id=stage.id)
        if i.required and i.title not in ignore and not item_done(session, stage, i)
    ]


def sync_checks(*, session: Session, stage: Stage, now: datetime) -> None:
    """Store what the records say in the derived items of a stage that is not done (the
    system, not a person, ticks them; the change log records each change)."""
    if stage.status == StageStatus.done:
        return
    kind = StageKind(stage.kind)
    for item in checklist(session=session, stage_id=stage.id):
        source = source_of(kind, item.title)
        if source is None:
            continue
        fact = bool(source.holds(session=session, order_id=stage.order_id))
        if item.done != fact or (fact and item.done_by_id is not None):
            item.done, item.done_by_id = fact, None
            item.done_at = now if fact else None
            item.note = source.source
            session.add(item)
    session.flush()


def sync_order_checks(*, session: Session, order_id: int, now: datetime) -> None:
    """sync_checks for every stage of an order (after a record that several stages read)."""
    stages = session.exec(select(Stage).where(Stage.order_id == order_id).order_by(Stage.seq))
    for stage in stages.all():
        sync_checks(session=session, stage=stage, now=now)
