from datetime import timedelta

import pytest

from app.services.production import gantt, kanban, production_overview, set_operation_blocked
from models.enums import Role
from models.errors import Forbidden
from tests.factories import act, make_user
from tests.production_factories import NOW, TODAY, make_operation, make_team, report

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

START = TODAY - timedelta(days=4)


@pytest.fixture()
def plant(session):
    """下料 -> 焊接 -> 装配 and 机加工 -> 装配, ten-day plans from START, output up to TODAY
    (day 5 of 10, so half of each plan is due): the module docstring's worked example."""
    team = make_team(session, production_started=True)
    cut = make_operation(session, team, name="下料", planned_qty=100)
    weld = make_operation(session, team, name="焊接", planned_qty=40, depends_on=[cut.id])
    machine = make_operation(session, team, name="机加工", planned_qty=10)
    make_operation(
        session,
        team,
        name="装配",
        planned_qty=10,
        planned_start=TODAY + timedelta(days=6),
        planned_end=TODAY + timedelta(days=15),
        depends_on=[weld.id, machine.id],
    )
    for op, day, qty in [
        (cut, START, 45),
        (weld, START + timedelta(days=3), 10),
        (machine, TODAY, 1),
    ]:
        report(session, team, op, day=day, quantity=qty)
    return team


def test_the_overview_names_the_computed_bottleneck(session, plant):
    view = production_overview(
        session=session, actor=plant.actor("tracker"), order_id=plant.order.id, day=TODAY
    )
    ops = {o.name: o for o in view.operations}
    assert (ops["下料"].planned_cum, ops["下料"].actual_cum, ops["下料"].lag) == (50, 45, 5)
    assert (ops["焊接"].score, ops["机加工"].score, ops["装配"].score) == (0.5, 0.8, 0)
    assert view.bottleneck.name == "机加工"
    assert view.bottleneck.summary == "机加工落后计划 4（占计划量 40%），下游 1 道工序等待"
    weld = ops["焊接"].series
    assert weld.days == [START + timedelta(days=i) for i in range(5)]
    assert weld.actual == [0, 0, 0, 10, 0] and weld.planned_cum[-1] == 20
    # actual (45% + 25% + 10% + 0) / 4 = 20%; planned 50% for three, 0 for 装配: 37.5%
    assert (view.progress, view.planned_progress) == (20, 37)


def test_an_earlier_day_shows_the_plan_as_it_stood_then(session, plant):
    view = production_overview(
        session=session,
        actor=plant.actor("tracker"),
        order_id=plant.order.id,
        day=START,
    )
    ops = {o.name: o for o in view.operations}
    # On the first day 下料 is ahead (45 against 10), the others are one day behind.
    assert ops["下料"].lag == 0 and ops["焊接"].lag == 4 and ops["机加工"].lag == 1
    assert view.bottleneck.name == "焊接"


def test_the_kanban_shows_blocked_operations_with_their_reason(session, plant):
    ops = {
        o.name: o
        for o in production_overview(
            session=session, actor=plant.actor("tracker"), order_id=plant.order.id, day=TODAY
        ).operations
    }
    set_operation_blocked(
        session=session,
        actor=plant.actor("production"),
        order_id=plant.order.id,
        operation_id=ops["机加工"].id,
        blocked=True,
        reason="数控机床故障",
    )
    board = kanban(session=session, actor=plant.actor("tracker"), order_id=plant.order.id, now=NOW)
    columns = {c.key.value: [card.name for card in c.cards] for c in board.columns}
    # 下料 is 5 behind, less than its 10 a day: 焊接 is not blocked by it today.
    assert columns["in_progress"] == ["下料", "焊接"] and columns["blocked"] == ["机加工"]
    tomorrow = TODAY + timedelta(days=1)
    board = kanban(
        session=session, actor=plant.actor("tracker"), order_id=plant.order.id, day=tomorrow
    )
    columns = {c.key.value: [card.name for card in c.cards] for c in board.columns}
    # Tomorrow 下料 is 15 behind, more than a day's plan, and 焊接 has started: blocked.
    assert columns == {
        "not_started": ["装配"],
        "in_progress": ["下料"],
        "blocked": ["焊接", "机加工"],
        "done": [],
    }
    blocked = {card.name: card for card in board.columns[2].cards}
    assert blocked["机加工"].blocked_reason == "数控机床故障" and blocked["机加工"].is_bottleneck
    assert blocked["焊接"].blocked_reason == "上游工序滞后：下料"


def test_gantt_has_planned_and_actual_bars_for_stages_and_operations(session, plant):
    chart = gantt(session=session, actor=plant.actor("tracker"), order_id=plant.order.id, now=NOW)
    assert [s.kind.value for s in chart.stages] == [
        "review",
        "procurement",
        "production",
        "delivery",
        "acceptance",
    ]
    production = chart.stages[2]
    assert production.actual_start == TODAY and production.status.value == "in_progress"
    bars = {b.name: b for b in chart.operations}
    assert (bars["下料"].planned_start, bars["下料"].actual_start) == (START, START)
    assert bars["下料"].actual_end is None and bars["机加工"].actual_start == TODAY
    assert sorted(bars["装配"].depends_on) == sorted([bars["焊接"].id, bars["机加工"].id])


def test_a_finished_operation_has_an_actual_end(session):
    team = make_team(session)
    op = make_operation(session, team, planned_qty=10)
    for day, qty in [(START, 4), (START + timedelta(days=1), 6), (TODAY, 2)]:
        report(session, team, op, day=day, quantity=qty)
    bar = gantt(session=session, actor=team.actor("tracker"), order_id=team.order.id, now=NOW)
    assert bar.operations[0].actual_end == START + timedelta(days=1)
    assert bar.operations[0].progress == 100 and bar.operations[0].column.value == "done"


def test_people_outside_the_order_cannot_read_production(session, plant):
    stranger = act(session, make_user(session, Role.production))
    with pytest.raises(Forbidden):
        production_overview(session=session, actor=stranger, order_id=plant.order.id, now=NOW)
