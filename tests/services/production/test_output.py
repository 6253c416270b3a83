from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.orders import cancel_order, list_stages
from app.services.production import list_outputs
from models.changes import ChangeLog
from models.enums import StageKind
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.production import OperationOutput
from tests.factories import count
from tests.production_factories import TODAY, make_operation, make_team, report

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _production(session, team):
    stages = list_stages(session=session, order_id=team.order.id)
    return next(s for s in stages if s.kind == StageKind.production)


def test_a_second_report_for_the_same_day_updates_it_and_the_change_is_logged(session):
    team = make_team(session)
    op = make_operation(session, team)
    first = report(session, team, op, quantity=10, note="白班")
    second = report(session, team, op, quantity=12, note="含夜班", who="tracker")
    assert first.id == second.id and second.quantity == 12 and second.reporter_id == team.tracker.id
    assert count(session, OperationOutput) == 1
    change = session.exec(
        select(ChangeLog).where(
            ChangeLog.entity == "operation_output", ChangeLog.field == "quantity"
        )
    ).one()
    assert (change.old_value, change.new_value, change.actor_id) == (
        "10",
        "12",
        team.tracker.id,
    )


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"quantity": -1}, "invalid_input"),
        ({"quantity": float("nan")}, "invalid_input"),
        ({"quantity": float("inf")}, "invalid_input"),
        ({"day": TODAY + timedelta(days=1)}, "future_day"),
    ],
)
def test_bad_output_is_refused_and_nothing_is_stored(session, kw, code):
    team = make_team(session)
    op = make_operation(session, team)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        report(session, team, op, **kw)
    assert err.value.code == code
    session.rollback()
    assert count(session, OperationOutput) == 0


def test_a_buyer_cannot_report_output(session):
    team = make_team(session)
    op = make_operation(session, team)
    session.commit()
    with pytest.raises(Forbidden):
        report(session, team, op, who="buyer")
    session.rollback()
    assert count(session, OperationOutput) == 0


def test_output_for_another_orders_operation_is_not_found(session):
    team, other = make_team(session), make_team(session)
    foreign = make_operation(session, other)
    with pytest.raises(NotFound):
        report(session, team, foreign)


def test_output_waits_for_the_confirmed_order_and_stops_when_it_is_closed(session):
    draft = make_team(session, confirmed=False)
    op = make_operation(session, draft)
    with pytest.raises(Conflict) as err:
        report(session, draft, op)
    assert err.value.code == "order_not_confirmed"
    team = make_team(session)
    op = make_operation(session, team)
    cancel_order(
        session=session, actor=team.actor("tracker"), order_id=team.order.id, reason="客户取消"
    )
    with pytest.raises(Conflict) as err:
        report(session, team, op)
    assert err.value.code == "order_closed"


def test_production_progress_follows_the_weighted_output_while_the_stage_runs(session):
    team = make_team(session, production_started=True)
    heavy = make_operation(session, team, planned_qty=100, weight=3)
    light = make_operation(session, team, planned_qty=10, weight=1)
    report(session, team, heavy, quantity=50)
    assert _production(session, team).progress == 37  # 3 * 0.5 / 4 = 37.5%
    report(session, team, light, quantity=20)  # over plan counts as complete
    assert _production(session, team).progress == 62
    change = session.exec(
        select(ChangeLog)
        .where(
            ChangeLog.entity == "stage",
            ChangeLog.entity_id == str(_production(session, team).id),
            ChangeLog.field == "progress",
        )
        .order_by(ChangeLog.id)  # a heap scan need not return rows as they were written
    ).all()
    assert [c.new_value for c in change] == ["37", "62"]


def test_progress_is_not_touched_before_the_production_stage_starts(session):
    team = make_team(session)
    op = make_operation(session, team)
    report(session, team, op, quantity=50)
    assert _production(session, team).progress == 0


def test_outputs_are_listed_by_operation_and_day(session):
    team = make_team(session)
    a, b = make_operation(session, team), make_operation(session, team)
    report(session, team, a, day=TODAY - timedelta(days=1))
    report(session, team, a)
    report(session, team, b)
    actor = team.actor("quality")
    rows = list_outputs(session=session, actor=actor, order_id=team.order.id)
    assert [(r.operation_id, r.day) for r in rows] == [
        (a.id, TODAY),
        (b.id, TODAY),
        (a.id, TODAY - timedelta(days=1)),
    ]
    assert len(list_outputs(session=session, actor=actor, order_id=team.order.id, day=TODAY)) == 2
    only_a = list_outputs(session=session, actor=actor, order_id=team.order.id, operation_id=a.id)
    assert {r.operation_id for r in only_a} == {a.id}
