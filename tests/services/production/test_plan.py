"""The production arithmetic on hand-worked examples (see the formula in production_plan)."""

from datetime import date, timedelta

import pytest

from app.services.production import (
    PlanOp,
    daily_series,
    evaluate,
    find_cycle,
    plan_by_day,
    working_days,
)
from models.enums import OperationColumn

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

MON = date(2026, 3, 2)  # a Monday
ALL_WEEK = frozenset(range(1, 8))


def op(id, qty, start=MON, days=10, upstream=(), **kw) -> PlanOp:
    kw.setdefault("work_weekdays", ALL_WEEK)
    return PlanOp(
        id=id,
        name=kw.pop("name", f"op{id}"),
        planned_qty=qty,
        start=start,
        end=start + timedelta(days=days - 1),
        seq=id,
        upstream=tuple(upstream),
        **kw,
    )


def on(*pairs):
    """Output per day: on((day offset, qty), ...)."""
    return {MON + timedelta(days=d): q for d, q in pairs}


def test_working_days_skip_the_days_off_and_fall_back_to_every_day():
    week = working_days(MON, MON + timedelta(days=6), frozenset({1, 2, 3, 4, 5, 6}))
    assert len(week) == 6 and all(d.isoweekday() != 7 for d in week)
    sunday = MON + timedelta(days=6)
    assert working_days(sunday, sunday, frozenset({1})) == [sunday]


def test_the_planned_quantity_is_spread_evenly_over_working_days():
    # 120 pieces over Mon..Sun of one week, Monday to Saturday working: 20 a day, Sunday 0.
    plan = plan_by_day(op(1, 120, days=7, work_weekdays=frozenset({1, 2, 3, 4, 5, 6})))
    assert len(plan) == 6 and set(plan.values()) == {20.0}
    assert MON + timedelta(days=6) not in plan


def test_a_per_day_plan_is_used_as_given():
    daily = {MON: 5.0, MON + timedelta(days=2): 15.0}
    state = evaluate([op(1, 20, daily_plan=daily)], {}, MON + timedelta(days=1)).states[0]
    assert state.planned_day == 0 and state.planned_cum == 5


def test_worked_example_of_the_module_docstring():
    # 下料 -> 焊接 -> 装配, 机加工 -> 装配; day d = day index 4 (the fifth day).
    # Linear plans over 10 days, so P(d) = Q * 5 / 10.
    ops = [
        op(1, 100, name="下料"),
        op(2, 40, upstream=[1], name="焊接"),
        op(3, 10, name="机加工"),
        op(4, 10, start=MON + timedelta(days=10), upstream=[2, 3], name="装配"),
    ]
    actual = {1: on((0, 45)), 2: on((3, 10)), 3: on((4, 1))}
    result = evaluate(ops, actual, MON + timedelta(days=4))
    s = {st.op.id: st for st in result.states}
    assert (s[1].planned_cum, s[1].lag, s[1].lag_share, s[1].impact) == (50, 5, 0.05, 3)
    assert s[1].score == pytest.approx(0.15)
    assert (s[2].lag_share, s[2].impact, s[2].score) == (0.25, 2, 0.5)
    assert s[3].lag_share == pytest.approx(0.4) and s[3].score == pytest.approx(0.8)
    assert s[4].lag == 0 and s[4].impact == 1
    assert result.bottleneck.op.name == "机加工"


def test_what_depends_on_an_operation_outweighs_a_slightly_larger_lag():
    # A feeds B and C. A lags 20% (impact 3 -> 0.6); D, alone, lags 30% (impact 1 -> 0.3).
    ops = [op(1, 100), op(2, 100, upstream=[1]), op(3, 100, upstream=[1]), op(4, 100)]
    actual = {1: on((0, 30)), 2: on((0, 50)), 3: on((0, 50)), 4: on((0, 20))}
    result = evaluate(ops, actual, MON + timedelta(days=4))  # P = 50 for all
    assert result.bottleneck.op.id == 1 and result.bottleneck.score == pytest.approx(0.6)


def test_weights_count_in_the_impact():
    ops = [op(1, 10), op(2, 10, upstream=[1], weight=5), op(3, 10, upstream=[2])]
    result = evaluate(ops, {}, MON)
    assert [s.impact for s in result.states] == [7, 6, 1]


def test_ties_go_to_the_larger_lag_share_then_the_earlier_operation():
    ops = [op(1, 100), op(2, 100)]
    result = evaluate(ops, {}, MON + timedelta(days=1))
    assert result.bottleneck.op.id == 1
    ops = [op(1, 100), op(2, 100, upstream=[3]), op(3, 100)]
    # 1: share 0.2, impact 1 -> 0.2; 3: share 0.1, impact 2 -> 0.2; same score, 1 lags more.
    actual = {3: on((0, 10))}
    result = evaluate(ops, actual, MON + timedelta(days=1))
    assert result.bottleneck.op.id == 1


def test_no_lag_means_no_bottleneck_and_output_ahead_of_plan_is_no_negative_lag():
    ops = [op(1, 100), op(2, 100)]
    result = evaluate(ops, {1: on((0, 30)), 2: on((0, 10))}, MON)
    assert result.bottleneck is None
    assert [s.lag for s in result.states] == [0, 0]


def test_a_finished_operation_never_lags_even_if_it_finished_late_against_plan():
    result = evaluate([op(1, 10, days=2)], {1: on((0, 4), (5, 6))}, MON + timedelta(days=6))
    state = result.states[0]
    assert state.done and state.lag == 0 and state.column == OperationColumn.done
    assert result.bottleneck is None


def test_columns_follow_output_marks_and_lagging_feeds():
    ops = [
        op(1, 100),  # lagging, in progress
        op(2, 100, upstream=[1]),  # started, fed by a lagging op: blocked
        op(3, 100, start=MON + timedelta(days=20), upstream=[1]),  # not due yet: not started
        op(4, 10),  # done
        op(5, 100, blocked_reason="等待图纸"),  # marked blocked
        op(6, 100, start=MON + timedelta(days=20)),  # not started
    ]
    actual = {1: on((0, 10)), 2: on((1, 50)), 4: on((0, 10))}
    result = evaluate(ops, actual, MON + timedelta(days=2))
    columns = [s.column for s in result.states]
    assert columns == [
        OperationColumn.in_progress,
        OperationColumn.blocked,
        OperationColumn.not_started,
        OperationColumn.done,
        OperationColumn.blocked,
        OperationColumn.not_started,
    ]
    assert result.states[1].blocked_reason == "上游工序滞后：op1"
    assert result.states[4].blocked_reason == "等待图纸"


def test_a_feed_less_than_a_days_plan_behind_blocks_nobody():
    # op1 plans 10 a day; on the third day it has 21 of 30: 9 behind, under a day's plan.
    ops = [op(1, 100), op(2, 100, upstream=[1])]
    result = evaluate(ops, {1: on((0, 10), (1, 11)), 2: on((1, 5))}, MON + timedelta(days=2))
    assert result.states[0].lag == 9 and result.states[1].column == OperationColumn.in_progress
    result = evaluate(ops, {1: on((0, 10), (1, 9)), 2: on((1, 5))}, MON + timedelta(days=2))
    assert result.states[1].column == OperationColumn.blocked


def test_weighted_progress_actual_and_planned():
    ops = [op(1, 100, weight=3), op(2, 10, weight=1)]
    result = evaluate(ops, {1: on((0, 50)), 2: on((0, 10))}, MON + timedelta(days=4))
    # actual: (3 * 0.5 + 1 * 1) / 4 = 62.5% -> 62; planned: (3 * 0.5 + 1 * 0.5) / 4 = 50%.
    assert (result.progress, result.planned_progress) == (62, 50)


def test_daily_series_runs_from_the_first_to_the_last_planned_or_reported_day():
    days, planned, actual, planned_cum, actual_cum = daily_series(
        op(1, 10, start=MON + timedelta(days=2), days=5), on((0, 1)), MON + timedelta(days=3)
    )
    assert days == [MON + timedelta(days=i) for i in range(4)]
    assert (planned[-1], actual[-1], planned_cum[-1], actual_cum[-1]) == (2.0, 0.0, 4.0, 1.0)
    assert daily_series(op(1, 10, start=MON + timedelta(days=5)), {}, MON)[0] == []
    # Long after the plan ended the series stops at its last day.
    days = daily_series(op(1, 10, days=3), {}, MON + timedelta(days=400))[0]
    assert days[-1] == MON + timedelta(days=2)


def test_find_cycle_returns_the_loop_or_none():
    assert find_cycle({1: [2], 2: [3], 3: []}) is None
    cycle = find_cycle({1: [2], 2: [3], 3: [1]})
    assert cycle[0] == cycle[-1] and set(cycle) == {1, 2, 3}
    assert find_cycle({5: [5]}) == [5, 5]
