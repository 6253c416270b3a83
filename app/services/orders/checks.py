"""SOP checklist items that state a fact are derived from the records, never ticked by hand.

"关键物料已全部入库" is true when the BOM says so, "成品检验合格" when the latest inspection
passed with no rework open, and so on. The records belong to domains above orders (procurement,
production, shipping, field), so each registers the fact it knows with `@check_source(...)`,
as progress sources do (progress.py); an item is derived when its title is registered for its
stage. The source's words (`source`) are shown next to the item so a reader knows where the
tick comes from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from models.enums import StageKind

# (*, session, order_id) -> whether the fact holds now.
Fact = Callable[..., bool]


@dataclass(frozen=True)
class CheckSource:
    """Where a derived item's state comes from: the stage, the item title, the words shown
    (Chinese) and the function that reads the fact from the records."""

    kind: StageKind
    title: str
    source: str
    holds: Fact


CHECK_SOURCES: dict[tuple[StageKind, str], CheckSource] = {}


def check_source(kind: StageKind, title: str, source: str):
    """Register the function that tells whether the item `title` of `kind` stages holds."""

    def register(holds: Fact) -> Fact:
        key = (StageKind(kind), title)
        known = CHECK_SOURCES.get(key)
        if known is not None and known.holds is not holds:
            raise ValueError(f"a check source for {kind} {title!r} is registered twice")
        CHECK_SOURCES[key] = CheckSource(StageKind(kind), title, source, holds)
        return holds

    return register


def source_of(kind: StageKind, title: str) -> CheckSource | None:
    """The source deriving the item `title` of a `kind` stage, or None (ticked by hand)."""
    return CHECK_SOURCES.get((StageKind(kind), title))


def fact_holds(session: Session, order_id: int, kind: StageKind, title: str) -> bool | None:
    """Whether the fact behind a derived item holds now; None for a hand-ticked item."""
    source = source_of(kind, title)
    return None if source is None else bool(source.holds(session=session, order_id=order_id))
