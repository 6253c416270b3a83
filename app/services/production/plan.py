"""Plan vs actual, Kanban columns and the bottleneck operation: pure arithmetic, no database.

Planned quantity per day
    An operation with a per-day plan uses it as given. Otherwise its planned quantity Q is
    spread evenly over its working days: the days from planned_start to planned_end (both
    included) whose ISO weekday is one of the operation's work_weekdays; each gets Q / n.
    When no day of the span is a working day, every day of the span counts.

Plan vs actual on day d (d included)
    P(d) = planned quantity of the days up to d;  A(d) = reported output of the days up to d.

Lag
    lag = max(0, P(d) - A(d)), and lag_share = lag / Q. An operation whose output has reached
    Q is done and never lags; output ahead of plan is no lag (never a negative one).

Impact: what waits for the operation
    impact = w + sum of w_j over every operation j downstream of it (reachable through the
    dependencies, each counted once), w being the operation's weight (1 unless set). With
    default weights, impact = 1 + the number of downstream operations.

Bottleneck
    score = lag_share x impact. The bottleneck is the operation with the highest score among
    those with lag > 0; ties go to the larger lag share, then to the earlier operation. When no
    operation lags there is no bottleneck.

    Worked example (default weights), chain 下料 -> 焊接 -> 装配 plus 机加工 -> 装配:
    下料 Q=100, P=50, A=45: lag_share 0.05, impact 3 (itself, 焊接, 装配), score 0.15;
    焊接 Q=40, P=20, A=10: lag_share 0.25, impact 2, score 0.50;
    机加工 Q=10, P=5, A=1: lag_share 0.40, impact 2, score 0.80  -> the bottleneck;
    装配 Q=10, P=0: no lag, score 0.

Progress (weighted completion)
    progress = floor(100 x sum(w x min(1, A/Q)) / sum(w)); planned progress uses P(d) for A.

Kanban column on day d
    done when A >= Q; otherwise blocked when marked blocked (with a reason) or when its planned
    start has come and a direct upstream operation that is not done is more than one day's
    plan behind (lag > Q / number of planned days of that operation: a day's output not yet
    reported blocks nobody); otherwise in progress once any output was reported; otherwise not
    started.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from models.enums import OperationColumn

EPS = 1e-9


@dataclass(frozen=True)
class PlanOp:
    """An operation as the arithmetic needs it."""

    id: int
    name: str
    planned_qty: float
    start: date
    end: date
    seq: int = 0
    weight: int = 1
    work_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5, 6})
    daily_plan: dict[date, float] | None = None
    upstream: tuple[int, ...] = ()
    blocked_reason: str | None = None


@dataclass
class OpState:
    """One operation's standing on the day evaluated."""

    op: PlanOp
    planned_day: float
    actual_day: float
    planned_cum: float
    actual_cum: float
    day_rate: float = 0.0
    lag: float = 0.0
    lag_share: float = 0.0
    impact: int = 1
    downstream_count: int = 0
    score: float = 0.0
    column: OperationColumn = OperationColumn.not_started
    blocked_reason: str | None = None

    @property
    def done(self) -> bool:
        return self.actual_cum >= self.op.planned_qty - EPS


@dataclass
class Evaluation:
    day: date
    states: list[OpState] = field(default_factory=list)
    bottleneck: OpState | None = None
    progress: int = 0
    planned_progress: int = 0


def working_days(start: date, end: date, weekdays: frozenset[int]) -> list[date]:
    """The days of [start, end] on the given ISO weekdays (all of them when none matches)."""
    span = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    chosen = [d for d in span if d.isoweekday() in weekdays]
    return chosen or span


def plan_by_day(op: PlanOp) -> dict[date, float]:
    """Planned quantity per day: the per-day plan, or Q spread evenly over the working days."""
    if op.daily_plan is not None:
        return dict(op.daily_plan)
    days = working_days(op.start, op.end, op.work_weekdays)
    rate = op.planned_qty / len(days)
    return dict.fromkeys(days, rate)


def cumulative(by_day: dict[date, float], day: date) -> float:
    """Sum of the quantities of the days up to and including `day`."""
    return sum(q for d, q in by_day.items() if d <= day)


def find_cycle(edges: dict[int, list[int]]) -> list[int] | None:
    """A cycle in a directed graph given as node -> successors, as a closed path, or None."""
    state: dict[int, int] = {}
    path: list[int] = []

    def visit(node: int) -> list[int] | None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in list(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def loop_in_flow_order(cycle: list[int], start: int | None = None) -> list[int]:
    """A cycle found on node -> upstream edges, turned to run in the direction work flows and,
    when it passes through `start`, to begin there (closed: the first node is repeated)."""
    path = list(reversed(cycle))[:-1]
    if start in path:
        i = path.index(start)
        path = path[i:] + path[:i]
    return [*path, path[0]]


def downstream(ops: list[PlanOp]) -> dict[int, set[int]]:
    """Every operation reachable downstream of each operation (the graph must be acyclic)."""
    successors: dict[int, list[int]] = {op.id: [] for op in ops}
    for op in ops:
        for up in op.upstream:
            successors.setdefault(up, []).append(op.id)
    memo: dict[int, set[int]] = {}

    def reach(node: int) -> set[int]:
        if node not in memo:
            out: set[int] = set()
            for nxt in successors.get(node, ()):
                out.add(nxt)
                out |= reach(nxt)
            memo[node] = out
        return memo[node]

    return {op.id: reach(op.id) for op in ops}


def _state(op: PlanOp, actual: dict[date, float], day: date) -> OpState:
    planned = plan_by_day(op)
    state = OpState(
        op=op,
        planned_day=planned.get(day, 0.0),
        actual_day=actual.get(day, 0.0),
        planned_cum=cumulative(planned, day),
        actual_cum=cumulative(actual, day),
        day_rate=op.planned_qty / max(1, sum(1 for q in planned.values() if q > EPS)),
    )
    if not state.done:
        state.lag = max(0.0, state.planned_cum - state.actual_cum)
        state.lag_share = state.lag / op.planned_qty
    return state


def _column(state: OpState, by_id: dict[int, OpState], day: date) -> None:
    op = state.op
    if state.done:
        state.column = OperationColumn.done
        return
    late_feeds = [
        by_id[u].op.name
        for u in op.upstream
        if u in by_id and not by_id[u].done and by_id[u].lag > by_id[u].day_rate + EPS
    ]
    if op.blocked_reason:
        state.blocked_reason = op.blocked_reason
    elif late_feeds and day >= op.start:
        state.blocked_reason = "上游工序滞后：" + "、".join(late_feeds)
    if state.blocked_reason:
        state.column = OperationColumn.blocked
    elif state.actual_cum > EPS:
        state.column = OperationColumn.in_progress


def weighted_progress(ops: list[PlanOp], done: dict[int, float]) -> int:
    """Weighted completion in whole percent, given each operation's quantity done."""
    total = sum(op.weight for op in ops)
    if not total:
        return 0
    share = sum(op.weight * min(1.0, done[op.id] / op.planned_qty) for op in ops)
    return math.floor(100 * share / total + EPS)


def evaluate(ops: list[PlanOp], actuals: dict[int, dict[date, float]], day: date) -> Evaluation:
    """Plan vs actual of every operation on `day`, their columns, progress and the bottleneck."""
    states = [_state(op, actuals.get(op.id, {}), day) for op in ops]
    by_id = {s.op.id: s for s in states}
    weight = {op.id: op.weight for op in ops}
    for op_id, below in downstream(ops).items():
        state = by_id[op_id]
        state.impact = weight[op_id] + sum(weight[j] for j in below)
        state.downstream_count = len(below)
        state.score = state.lag_share * state.impact
    for state in states:
        _column(state, by_id, day)
    lagging = [s for s in states if s.lag > EPS]
    bottleneck = min(
        lagging, key=lambda s: (-s.score, -s.lag_share, s.op.seq, s.op.id), default=None
    )
    return Evaluation(
        day=day,
        states=states,
        bottleneck=bottleneck,
        progress=weighted_progress(ops, {s.op.id: s.actual_cum for s in states}),
        planned_progress=weighted_progress(ops, {s.op.id: s.planned_cum for s in states}),
    )


def daily_series(
    op: PlanOp, actual: dict[date, float], day: date
) -> tuple[list[date], list[float], list[float], list[float], list[float]]:
    """Days, planned, actual, planned cumulative and actual cumulative, from the operation's
    first planned or reported day to its last one up to `day` (nothing changes after that)."""
    planned = plan_by_day(op)
    known = [d for d in (*planned, *actual) if d <= day]
    if not known:
        return [], [], [], [], []
    first = min(known)
    days = [first + timedelta(days=i) for i in range((max(known) - first).days + 1)]
    plan = [planned.get(d, 0.0) for d in days]
    done = [actual.get(d, 0.0) for d in days]
    return days, plan, done, list(accumulate(plan)), list(accumulate(done))
