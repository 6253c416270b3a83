import pytest

from app.services.orders import list_stages, start_stage, update_stage
from models.enums import StageKind
from models.errors import Conflict
from models.stages import StageUpdate
from tests.production_factories import NOW, make_operation, make_team, report
from tests.stage_factories import finish_procurement


def _production(session, team):
    return next(
        s
        for s in list_stages(session=session, order_id=team.order.id)
        if s.kind == StageKind.production
    )


def test_production_progress_cannot_be_typed_once_operations_exist(session):
    team = make_team(session, production_started=True)
    update_stage(
        session=session,
        actor=team.actor("tracker"),
        order_id=team.order.id,
        kind=StageKind.production,
        data=StageUpdate(progress=30),
    )
    make_operation(session, team)
    with pytest.raises(Conflict) as err:
        update_stage(
            session=session,
            actor=team.actor("tracker"),
            order_id=team.order.id,
            kind=StageKind.production,
            data=StageUpdate(progress=90),
        )
    assert err.value.code == "progress_derived"


def test_output_reported_before_the_stage_started_counts_when_it_starts(session):
    team = make_team(session)
    finish_procurement(session, team.order, NOW)
    op = make_operation(session, team)
    report(session, team, op)
    assert _production(session, team).progress == 0
    start_stage(
        session=session,
        actor=team.actor("production"),
        order_id=team.order.id,
        kind=StageKind.production,
        now=NOW,
    )
    assert _production(session, team).progress > 0


def test_procurement_and_production_register_their_progress_sources_when_services_load():
    import app.services  # noqa: F401  (what every door imports)
    from app.services.orders.progress import PROGRESS_SOURCES

    assert set(PROGRESS_SOURCES) == {StageKind.procurement, StageKind.production}


def test_a_second_progress_source_for_a_stage_is_refused():
    from app.services.orders.progress import PROGRESS_SOURCES, progress_source

    with pytest.raises(ValueError, match="registered twice"):
        progress_source(StageKind.production)(lambda *, session, order_id: 0)
    assert PROGRESS_SOURCES[StageKind.production].__name__ == "production_progress"
