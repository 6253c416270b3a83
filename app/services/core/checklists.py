"""One checklist behaviour for every checklist: a stage's SOP items (orders/stages.py) and a
shipment's remote-site checks (shipping/site_checks.py). Items share their columns
(`models.checklists.CheckFields`); ticking, unticking and the next position are here, and the
change log records every tick as it records any audited row.

A checklist may derive an item's state from data instead of a person's tick: its `derive`
hook answers done / not done for such an item (None for an item ticked by hand), and a hand
tick of a derived item is refused. No checklist derives anything yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from app.services.core.actor import Actor
from models.checklists import CheckFields
from models.errors import Conflict


def _by_hand(session: Session, item: CheckFields) -> bool | None:
    return None


@dataclass(frozen=True)
class Checklist:
    """A kind of checklist: its item table, the column naming what an item belongs to (a
    stage, a shipment), and how an item's state is derived (None: ticked by hand)."""

    model: type[CheckFields]
    owner: str
    derive: Callable[[Session, CheckFields], bool | None] = _by_hand

    def items(self, session: Session, owner_id: int) -> list:
        """The owner's items in order."""
        query = select(self.model).where(getattr(self.model, self.owner) == owner_id)
        return list(session.exec(query.order_by(self.model.position, self.model.id)))

    def next_position(self, session: Session, owner_id: int) -> int:
        """The position of an item added at the end of the owner's list."""
        owner = getattr(self.model, self.owner)
        last = session.exec(select(func.max(self.model.position)).where(owner == owner_id)).one()
        return (last or 0) + 1

    def is_derived(self, session: Session, item: CheckFields) -> bool:
        return self.derive(session, item) is not None


def tick(
    *,
    session: Session,
    checklist: Checklist,
    item: CheckFields,
    actor: Actor,
    done: bool,
    note_text: str | None,
    now: datetime,
) -> None:
    """Tick (done=True) or untick an item, with an optional note; who and when are kept while
    it is ticked. A derived item cannot be ticked by hand."""
    if checklist.is_derived(session, item):
        raise Conflict("该检查项由实际数据自动判定，不能手工勾选", code="check_derived")
    item.done = done
    item.done_by_id = actor.id if done else None
    item.done_at = now if done else None
    if note_text is not None:
        item.note = note_text
    session.add(item)
    session.flush()
