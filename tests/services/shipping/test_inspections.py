from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from app.services.orders import cancel_order, photos_of
from app.services.shipping import (
    complete_rework,
    list_reworks,
    record_inspection,
    require_passed_inspection,
)
from models.enums import InspectionKind, InspectionResult, ReworkStatus, Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.quality import Inspection, InspectionCreate, InspectionDefect, Rework
from tests.factories import add_to_order, count, make_user
from tests.production_factories import NOW, TODAY, make_team, pass_inspection, photo_id

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _fail(team, **overrides):
    data = {
        "kind": InspectionKind.sampling,
        "lot_size": 50,
        "sample_size": 8,
        "passed_qty": 6,
        "failed_qty": 2,
        "result": InspectionResult.failed,
        "inspected_at": NOW - timedelta(minutes=30),
        "defects": [{"description": "焊缝咬边", "severity": "major", "quantity": 2}],
        "rework": {
            "description": "补焊并打磨",
            "owner_id": team.production.id,
            "due_date": TODAY + timedelta(days=2),
        },
    }
    data.update(overrides)
    return InspectionCreate(**data)


def _record(session, team, data, who="quality"):
    return record_inspection(
        session=session, actor=team.actor(who), order_id=team.order.id, data=data, now=NOW
    )


def test_a_passed_sampling_inspection_clears_shipment(session):
    team = make_team(session)
    inspection = pass_inspection(
        session,
        team,
        kind=InspectionKind.sampling,
        lot_size=200,
        sample_size=20,
        passed_qty=20,
        failed_qty=0,
    )
    assert inspection.inspected_qty == 20 and inspection.inspector_id == team.quality.id
    assert require_passed_inspection(session=session, order_id=team.order.id).id == inspection.id


def test_shipment_is_refused_without_any_inspection(session):
    team = make_team(session)
    with pytest.raises(Conflict) as err:
        require_passed_inspection(session=session, order_id=team.order.id)
    assert err.value.code == "inspection_missing" and err.value.status == 409


BAD = [
    ({"sample_size": 80, "lot_size": 50}, "sample_size", "抽检数量（80）不能大于批量（50）"),
    ({"sample_size": None}, "sample_size", "抽检时必须填写抽检数量"),
    ({"passed_qty": 7}, "failed_qty", "合格数（7）与不合格数（2）之和应等于检验数量（8）"),
    ({"defects": []}, "defects", "不合格时必须记录至少一项缺陷"),
    ({"rework": None}, "rework", "不合格时必须安排返工"),
    ({"inspected_at": NOW + timedelta(hours=1)}, "inspected_at", "检验时间不能在未来"),
    ({"inspector_id": -1}, "inspector_id", "检验员不存在"),  # a missing row: NotFound (404)
]


@pytest.mark.parametrize(("overrides", "field", "message"), BAD)
def test_a_bad_inspection_is_refused_and_nothing_is_stored(session, overrides, field, message):
    team = make_team(session)
    session.commit()
    expected = NotFound if field == "inspector_id" else InvalidInput
    with pytest.raises(expected) as err:
        _record(session, team, _fail(team, **overrides))
    assert err.value.details["field"] == field and message in err.value.message
    session.rollback()
    assert count(session, Inspection) == count(session, Rework) == 0


def test_full_inspection_with_failed_units_cannot_pass_and_a_pass_needs_no_rework(session):
    team = make_team(session)
    full_pass = {"kind": "full", "lot_size": 8, "sample_size": None, "result": "pass"}
    with pytest.raises(InvalidInput) as err:
        _record(session, team, _fail(team, **full_pass, rework=None))
    assert err.value.details["field"] == "result"
    with pytest.raises(InvalidInput) as err:
        _record(session, team, _fail(team, **full_pass, passed_qty=8, failed_qty=0))
    assert err.value.details["field"] == "rework"
    with pytest.raises(InvalidInput) as err:
        _record(session, team, _fail(team, kind="full", lot_size=9, sample_size=8))
    assert err.value.details["field"] == "sample_size"


def test_the_inspector_must_be_a_quality_member_of_the_order(session):
    team = make_team(session)
    with pytest.raises(InvalidInput) as err:
        _record(session, team, _fail(team), who="tracker")  # the tracker names nobody
    assert err.value.message == "检验员必须是本订单的质检成员"
    outsider = make_user(session, Role.quality)
    with pytest.raises(InvalidInput):
        _record(session, team, _fail(team, inspector_id=outsider.id), who="tracker")
    recorded = _record(session, team, _fail(team, inspector_id=team.quality.id), who="tracker")
    assert (recorded.inspector_id, recorded.recorded_by_id) == (team.quality.id, team.tracker.id)


def test_the_rework_owner_must_be_a_member_and_due_date_not_past(session):
    team = make_team(session)
    stranger = make_user(session, Role.production)
    rework = {"description": "补焊", "owner_id": stranger.id, "due_date": TODAY}
    with pytest.raises(InvalidInput) as err:
        _record(session, team, _fail(team, rework=rework))
    assert err.value.details["field"] == "rework.owner_id"
    rework = {
        "description": "补焊",
        "owner_id": team.production.id,
        "due_date": TODAY - timedelta(days=1),
    }
    with pytest.raises(InvalidInput) as err:
        _record(session, team, _fail(team, rework=rework))
    assert err.value.details["field"] == "rework.due_date"


@pytest.mark.parametrize("who", ["buyer", "production", "logistics"])
def test_only_quality_and_the_tracker_record_inspections(session, who):
    team = make_team(session)
    session.commit()
    with pytest.raises(Forbidden):
        _record(session, team, _fail(team, inspector_id=team.quality.id), who=who)
    session.rollback()
    assert count(session, Inspection) == 0


def test_a_failed_inspection_opens_rework_and_blocks_shipment_until_reinspected(session):
    team = make_team(session)
    failed = _record(session, team, _fail(team))
    rework = list_reworks(session=session, actor=team.actor("tracker"), order_id=team.order.id)[0]
    assert (rework.inspection_id, rework.status, rework.owner_id) == (
        failed.id,
        ReworkStatus.open,
        team.production.id,
    )
    with pytest.raises(Conflict) as err:
        require_passed_inspection(session=session, order_id=team.order.id)
    assert err.value.code == "inspection_not_passed" and "不合格" in err.value.message
    again = {"reinspects_rework_id": rework.id, "inspected_at": NOW}
    with pytest.raises(Conflict) as err:
        pass_inspection(session, team, **again)
    assert err.value.code == "rework_open"
    done = complete_rework(
        session=session,
        actor=team.actor("production"),
        order_id=team.order.id,
        rework_id=rework.id,
        note="已补焊",
        now=NOW,
    )
    assert done.status == ReworkStatus.done and done.done_by_id == team.production.id
    with pytest.raises(Conflict) as err:
        complete_rework(
            session=session,
            actor=team.actor("tracker"),
            order_id=team.order.id,
            rework_id=rework.id,
        )
    assert err.value.code == "rework_done"
    reinspection = pass_inspection(session, team, **again)
    assert rework.reinspection_id == reinspection.id
    assert require_passed_inspection(session=session, order_id=team.order.id).id == reinspection.id
    with pytest.raises(Conflict) as err:
        pass_inspection(session, team, **again)
    assert err.value.code == "rework_reinspected"


def test_the_rework_owner_may_close_it_others_outside_the_roles_may_not(session):
    team = make_team(session)
    _record(
        session,
        team,
        _fail(
            team,
            rework={
                "description": "补漆",
                "owner_id": team.logistics.id,
                "due_date": TODAY,
            },
        ),
    )
    rework = list_reworks(session=session, actor=team.actor("tracker"), order_id=team.order.id)[0]
    with pytest.raises(Forbidden):
        complete_rework(
            session=session, actor=team.actor("buyer"), order_id=team.order.id, rework_id=rework.id
        )
    done = complete_rework(
        session=session, actor=team.actor("logistics"), order_id=team.order.id, rework_id=rework.id
    )
    assert done.status == ReworkStatus.done


def test_the_gate_reads_the_latest_inspection_by_server_time_not_the_typed_time(session):
    team = make_team(session)
    pass_inspection(session, team)
    # A failure recorded afterwards but dated a day back must not hide behind the pass.
    _record(session, team, _fail(team, inspected_at=NOW - timedelta(days=1)))
    with pytest.raises(Conflict) as err:
        require_passed_inspection(session=session, order_id=team.order.id)
    assert err.value.code == "inspection_not_passed"


def test_a_naive_inspection_time_is_read_as_local_time(session):
    team = make_team(session)
    inspection = pass_inspection(session, team, inspected_at=datetime(2026, 3, 4, 9, 30))
    assert inspection.inspected_at.hour == 1  # 09:30 in Shanghai is 01:30 UTC


def test_defect_photos_are_attached_and_another_orders_photo_is_refused(session):
    team, other = make_team(session), make_team(session)
    mine, theirs = photo_id(session, team, seed=1), photo_id(session, other, seed=2)
    session.commit()
    defects = [{"description": "漆膜起泡", "severity": "minor", "photo_ids": [theirs]}]
    with pytest.raises(NotFound):
        _record(session, team, _fail(team, defects=defects))
    session.rollback()
    assert count(session, Inspection) == count(session, InspectionDefect) == 0
    defects[0]["photo_ids"] = [mine]
    _record(session, team, _fail(team, defects=defects))
    defect = session.exec(select(InspectionDefect)).one()
    attached = photos_of(session=session, entity="inspection_defect", entity_ids=[defect.id])
    assert [p.id for p in attached[defect.id]] == [mine]


def test_another_orders_rework_cannot_be_reinspected_here(session):
    team, other = make_team(session), make_team(session)
    add_to_order(session, other.order, team.quality, Role.quality)
    _record(session, other, _fail(other))
    foreign = list_reworks(session=session, actor=other.actor("tracker"), order_id=other.order.id)[
        0
    ]
    with pytest.raises(NotFound) as err:
        pass_inspection(session, team, reinspects_rework_id=foreign.id)
    assert err.value.details["field"] == "reinspects_rework_id"


def test_inspections_wait_for_the_confirmed_order_and_rework_stops_when_it_is_closed(session):
    draft = make_team(session, confirmed=False)
    with pytest.raises(Conflict) as err:
        pass_inspection(session, draft)
    assert err.value.code == "order_not_confirmed"
    team = make_team(session)
    _record(session, team, _fail(team))
    rework = list_reworks(session=session, actor=team.actor("tracker"), order_id=team.order.id)[0]
    cancel_order(
        session=session, actor=team.actor("tracker"), order_id=team.order.id, reason="客户取消"
    )
    with pytest.raises(Conflict) as err:
        complete_rework(
            session=session,
            actor=team.actor("production"),
            order_id=team.order.id,
            rework_id=rework.id,
        )
    assert err.value.code == "order_closed"


def _passed_item(session, team):
    from app.services.orders import checklist, list_stages
    from models.enums import StageKind

    stage = next(
        s
        for s in list_stages(session=session, order_id=team.order.id)
        if s.kind == StageKind.delivery
    )
    return next(
        i for i in checklist(session=session, stage_id=stage.id) if i.title == "成品检验合格"
    )


def test_the_sop_item_follows_the_latest_inspection(session):
    team = make_team(session)
    pass_inspection(session, team)
    assert _passed_item(session, team).done
    _record(session, team, _fail(team, inspected_at=NOW - timedelta(minutes=5)))
    item = _passed_item(session, team)
    assert not item.done and item.done_by_id is None and "成品检验" in item.note
