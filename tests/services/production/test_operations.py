from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.production import (
    create_operation,
    delete_operation,
    set_operation_blocked,
    update_operation,
)
from models.changes import ChangeLog
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.production import (
    Operation,
    OperationCreate,
    OperationUpdate,
)
from tests.factories import count
from tests.production_factories import TODAY, links_of, make_operation, make_team, report

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _update(session, team, op, **fields):
    return update_operation(
        session=session,
        actor=team.actor("production"),
        order_id=team.order.id,
        operation_id=op.id,
        data=OperationUpdate(**fields),
    )


def test_a_dependency_cycle_is_refused_naming_the_loop_and_nothing_changes(session):
    team = make_team(session)
    a = make_operation(session, team, name="焊接")
    b = make_operation(session, team, name="热处理", depends_on=[a.id])
    c = make_operation(session, team, name="机加工", depends_on=[b.id])
    before = links_of(session, team.order.id)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        _update(session, team, a, depends_on=[c.id])
    assert err.value.code == "dependency_cycle"
    assert "焊接 → 热处理 → 机加工 → 焊接" in err.value.message
    session.rollback()
    assert links_of(session, team.order.id) == before


def test_an_operation_cannot_depend_on_itself(session):
    team = make_team(session)
    a = make_operation(session, team)
    with pytest.raises(InvalidInput) as err:
        _update(session, team, a, depends_on=[a.id])
    assert err.value.code == "dependency_cycle"


def test_another_orders_operation_is_neither_a_dependency_nor_editable(session):
    team, other = make_team(session), make_team(session)
    foreign = make_operation(session, other)
    session.commit()
    with pytest.raises(NotFound) as err:
        make_operation(session, team, depends_on=[foreign.id])
    assert err.value.details["field"] == "depends_on"
    session.rollback()
    assert count(session, Operation, Operation.order_id == team.order.id) == 0
    with pytest.raises(NotFound):
        _update(session, team, foreign, planned_qty=5)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"planned_end": TODAY - timedelta(days=10)}, "planned_end"),
        ({"planned_end": TODAY + timedelta(days=2000)}, "planned_end"),
        ({"daily_plan": {TODAY: 50.0, TODAY + timedelta(days=1): 40.0}}, "daily_plan"),
        ({"daily_plan": {TODAY + timedelta(days=30): 100.0}}, "daily_plan"),
    ],
)
def test_a_bad_plan_is_refused_and_nothing_is_stored(session, overrides, field):
    team = make_team(session)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        make_operation(session, team, **overrides)
    assert err.value.details["field"] == field
    session.rollback()
    assert count(session, Operation) == 0


def test_a_per_day_plan_that_adds_up_is_kept(session):
    team = make_team(session)
    op = make_operation(
        session, team, planned_qty=30, daily_plan={TODAY: 10.0, TODAY - timedelta(days=1): 20.0}
    )
    assert op.daily_plan == {(TODAY - timedelta(days=1)).isoformat(): 20.0, TODAY.isoformat(): 10.0}


def test_operation_names_are_unique_within_an_order(session):
    team = make_team(session)
    make_operation(session, team, name="焊接")
    with pytest.raises(Conflict) as err:
        make_operation(session, team, name="焊接")
    assert err.value.code == "duplicate"


def test_a_buyer_cannot_plan_operations(session):
    team = make_team(session)
    session.commit()
    with pytest.raises(Forbidden):
        create_operation(
            session=session,
            actor=team.actor("buyer"),
            order_id=team.order.id,
            data=OperationCreate(
                name="焊接", planned_qty=1, planned_start=TODAY, planned_end=TODAY
            ),
        )
    session.rollback()
    assert count(session, Operation) == 0


def test_plan_changes_are_in_the_change_log(session):
    team = make_team(session)
    op = make_operation(session, team)
    _update(session, team, op, planned_qty=120)
    log = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "operation", ChangeLog.field == "planned_qty")
    ).one()
    assert (log.old_value, log.new_value, log.actor_id) == ("100", "120", team.production.id)


def test_an_operation_with_output_cannot_be_deleted_one_without_can(session):
    team = make_team(session)
    a, b = make_operation(session, team), make_operation(session, team)
    report(session, team, a, quantity=3)
    actor = team.actor("production")
    with pytest.raises(Conflict) as err:
        delete_operation(session=session, actor=actor, order_id=team.order.id, operation_id=a.id)
    assert err.value.code == "operation_has_output"
    delete_operation(session=session, actor=actor, order_id=team.order.id, operation_id=b.id)
    assert count(session, Operation) == 1


def test_blocking_needs_a_reason_and_clearing_needs_a_mark(session):
    team = make_team(session)
    op = make_operation(session, team)
    kwargs = {
        "session": session,
        "actor": team.actor("production"),
        "order_id": team.order.id,
        "operation_id": op.id,
    }
    with pytest.raises(InvalidInput):
        set_operation_blocked(**kwargs, blocked=True, reason="  ")
    with pytest.raises(Conflict) as err:
        set_operation_blocked(**kwargs, blocked=False)
    assert err.value.code == "not_blocked"
    blocked = set_operation_blocked(**kwargs, blocked=True, reason="等待图纸 V2.2")
    assert blocked.blocked and blocked.blocked_reason == "等待图纸 V2.2"
    cleared = set_operation_blocked(**kwargs, blocked=False, reason="图纸已到")
    assert not cleared.blocked and cleared.blocked_reason is None


def test_a_finished_operation_cannot_be_marked_blocked(session):
    team = make_team(session)
    op = make_operation(session, team, planned_qty=5)
    report(session, team, op, quantity=5)
    with pytest.raises(Conflict) as err:
        set_operation_blocked(
            session=session,
            actor=team.actor("production"),
            order_id=team.order.id,
            operation_id=op.id,
            blocked=True,
            reason="x",
        )
    assert err.value.code == "operation_done"
