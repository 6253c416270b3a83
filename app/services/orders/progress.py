"""Stage progress derived from records: where records exist, progress is computed, never typed.

The procurement stage's progress comes from the BOM, the production stage's from the
operations' output. Those domains build on orders (their rows belong to an order and move its
stages), so orders cannot import them: each registers its source here when its package is
imported, and `app.services` imports every domain, so the table is complete before any service
runs (tests/services/orders/test_progress.py checks it).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from app.services.orders.sop import checklist, item_done
from models.enums import StageKind
from models.stages import Stage

# (*, session, order_id) -> the stage's progress from its records, or None while it has none.
ProgressSource = Callable[..., int | None]

PROGRESS_SOURCES: dict[StageKind, ProgressSource] = {}


def progress_source(kind: StageKind):
    """Register the function that derives the progress of `kind` stages from their records."""

    def register(source: ProgressSource) -> ProgressSource:
        if PROGRESS_SOURCES.get(kind, source) is not source:
            raise ValueError(f"a progress source for {kind} is registered twice")
        PROGRESS_SOURCES[kind] = source
        return source

    return register


def derived_progress(session: Session, order_id: int, kind: StageKind) -> int | None:
    """The progress a stage's own records give (production output, ...), or None if none."""
    source = PROGRESS_SOURCES.get(StageKind(kind))
    return None if source is None else source(session=session, order_id=order_id)


def running_progress(session: Session, stage: Stage) -> int:
    """A running stage's progress from its records, or else from its checklist (the share of
    items done, below 100 while the stage runs)."""
    value = derived_progress(session, stage.order_id, StageKind(stage.kind))
    if value is not None:
        return value
    items = checklist(session=session, stage_id=stage.id)
    if not items:
        return 0
    done = sum(1 for i in items if item_done(session, stage, i))
    return min(99, round(100 * done / len(items)))
