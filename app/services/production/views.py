"""Production as the dashboard and the standup see it: plan vs actual per operation (per day and
cumulative) with the bottleneck, the Kanban board and the Gantt bars. The arithmetic and the
bottleneck formula are in production/plan.py."""

from __future__ import annotations

import math
from datetime import date, datetime

from sqlmodel import Session

from app.services.core import Actor, load_order, local_date
from app.services.orders import list_stages
from app.services.production.data import load_plan
from app.services.production.plan import EPS, OpState, daily_series, evaluate
from models.base import utcnow
from models.enums import (
    OPERATION_COLUMN_NAMES,
    STAGE_NAMES,
    OperationColumn,
    StageKind,
    StageStatus,
)
from models.production_views import (
    Bottleneck,
    DaySeries,
    Gantt,
    GanttOperationBar,
    GanttStageBar,
    Kanban,
    KanbanCard,
    KanbanColumn,
    OperationStanding,
    ProductionOverview,
)


def _r(value: float) -> float:
    return round(value, 3)


def _percent(state: OpState) -> int:
    return min(100, math.floor(100 * state.actual_cum / state.op.planned_qty + EPS))


def _day(day: date | None, now: datetime | None) -> date:
    return day or local_date(now or utcnow())


def _evaluate(session: Session, actor: Actor, order_id: int, day: date):
    load_order(session, actor, order_id)
    ops, plans, actuals = load_plan(session=session, order_id=order_id)
    return ops, actuals, evaluate(plans, actuals, day)


def _bottleneck(state: OpState | None) -> Bottleneck | None:
    if state is None:
        return None
    op = state.op
    summary = f"{op.name}落后计划 {_r(state.lag):g}（占计划量 {state.lag_share:.0%}）"
    if state.downstream_count:
        summary += f"，下游 {state.downstream_count} 道工序等待"
    return Bottleneck(
        operation_id=op.id,
        name=op.name,
        lag=_r(state.lag),
        lag_share=round(state.lag_share, 4),
        impact=state.impact,
        score=round(state.score, 4),
        summary=summary,
    )


def _columns(series) -> DaySeries:
    days, *values = series
    planned, actual, planned_cum, actual_cum = ([round(v, 3) for v in col] for col in values)
    return DaySeries(
        days=days,
        planned=planned,
        actual=actual,
        planned_cum=planned_cum,
        actual_cum=actual_cum,
    )


def _standing(op, state: OpState, series) -> OperationStanding:
    return OperationStanding(
        id=op.id,
        name=op.name,
        unit=op.unit,
        seq=op.seq,
        weight=op.weight,
        planned_qty=op.planned_qty,
        planned_start=op.planned_start,
        planned_end=op.planned_end,
        depends_on=list(state.op.upstream),
        planned_day=_r(state.planned_day),
        actual_day=_r(state.actual_day),
        planned_cum=_r(state.planned_cum),
        actual_cum=_r(state.actual_cum),
        lag=_r(state.lag),
        lag_share=round(state.lag_share, 4),
        impact=state.impact,
        score=round(state.score, 4),
        percent=_percent(state),
        column=state.column,
        column_name=OPERATION_COLUMN_NAMES[state.column],
        blocked_reason=state.blocked_reason,
        series=_columns(series),
    )


def production_overview(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    day: date | None = None,
    now: datetime | None = None,
) -> ProductionOverview:
    """Plan vs actual of every operation up to `day` (default today), and the bottleneck."""
    day = _day(day, now)
    ops, actuals, result = _evaluate(session, actor, order_id, day)
    operations = [
        _standing(op, state, daily_series(state.op, actuals.get(op.id, {}), day))
        for op, state in zip(ops, result.states, strict=True)
    ]
    return ProductionOverview(
        order_id=order_id,
        day=day,
        progress=result.progress,
        planned_progress=result.planned_progress,
        bottleneck=_bottleneck(result.bottleneck),
        operations=operations,
    )


def kanban(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    day: date | None = None,
    now: datetime | None = None,
) -> Kanban:
    """The order's operations in the columns not started / in progress / blocked / done."""
    day = _day(day, now)
    ops, _, result = _evaluate(session, actor, order_id, day)
    neck = result.bottleneck.op.id if result.bottleneck else None
    columns = {
        c: KanbanColumn(key=c, name=OPERATION_COLUMN_NAMES[c], cards=[]) for c in OperationColumn
    }
    for op, state in zip(ops, result.states, strict=True):
        columns[state.column].cards.append(
            KanbanCard(
                id=op.id,
                name=op.name,
                unit=op.unit,
                planned_qty=op.planned_qty,
                actual_cum=_r(state.actual_cum),
                percent=_percent(state),
                planned_start=op.planned_start,
                planned_end=op.planned_end,
                late=not state.done and day > op.planned_end,
                blocked_reason=state.blocked_reason,
                is_bottleneck=op.id == neck,
            )
        )
    return Kanban(order_id=order_id, day=day, columns=list(columns.values()))


def _actual_span(qty: float, actual: dict[date, float], day: date) -> tuple[date | None, ...]:
    """First day with output, and the day the cumulative output reached the plan (or None)."""
    start, total = None, 0.0
    for d in sorted(x for x in actual if x <= day):
        if start is None and actual[d] > EPS:
            start = d
        total += actual[d]
        if total >= qty - EPS:
            return start, d
    return start, None


def gantt(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    day: date | None = None,
    now: datetime | None = None,
) -> Gantt:
    """Planned and actual bars of the order's stages and of its operations."""
    day = _day(day, now)
    ops, actuals, result = _evaluate(session, actor, order_id, day)
    return Gantt(
        order_id=order_id,
        day=day,
        stages=_stage_bars(session, order_id),
        operations=[
            _operation_bar(op, state, actuals.get(op.id, {}), day)
            for op, state in zip(ops, result.states, strict=True)
        ],
    )


def _stage_bars(session: Session, order_id: int) -> list[GanttStageBar]:
    return [
        GanttStageBar(
            kind=s.kind,
            name=STAGE_NAMES[StageKind(s.kind)],
            status=s.status,
            progress=100 if s.status == StageStatus.done else s.progress,
            planned_start=s.planned_start,
            planned_end=s.planned_end,
            actual_start=s.actual_start,
            actual_end=s.actual_end,
        )
        for s in list_stages(session=session, order_id=order_id)
    ]


def _operation_bar(op, state: OpState, actual: dict[date, float], day: date) -> GanttOperationBar:
    start, end = _actual_span(op.planned_qty, actual, day)
    return GanttOperationBar(
        id=op.id,
        name=op.name,
        progress=_percent(state),
        column=state.column,
        depends_on=list(state.op.upstream),
        planned_start=op.planned_start,
        planned_end=op.planned_end,
        actual_start=start,
        actual_end=end,
    )
