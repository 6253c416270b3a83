from datetime import timedelta

import pytest

from app.services.orders import checklist, list_stages
from app.services.shipping import (
    add_site_check,
    advance_shipment,
    checks_of,
    create_shipment,
    delete_site_check,
    record_inspection,
    set_site_check,
    update_shipment,
)
from models.enums import ShipmentStatus, SiteCheckKind, StageKind
from models.errors import Conflict, Forbidden, InvalidInput
from models.quality import InspectionCreate
from models.shipments import Shipment, ShipmentAdvance, ShipmentCreate, ShipmentUpdate
from tests.factories import count
from tests.production_factories import NOW, TODAY, make_team, pass_inspection, photo_id

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

ROAD = {"carrier": "顺丰重货", "vehicle_plate": "陕A·12345", "driver_name": "张师傅"}


def _ship(session, team, who="logistics", **fields):
    data = {"destination": "西安项目现场", "packaging": "木箱", **ROAD, **fields}
    return create_shipment(
        session=session,
        actor=team.actor(who),
        order_id=team.order.id,
        data=ShipmentCreate(**data),
        now=NOW,
    )


def _advance(session, team, shipment, status, who="logistics", **kw):
    return advance_shipment(
        session=session,
        actor=team.actor(who),
        order_id=team.order.id,
        shipment_id=shipment.id,
        data=ShipmentAdvance(status=status, **kw),
        now=NOW,
    )


def _signed_item(session, team):
    stage = next(
        s
        for s in list_stages(session=session, order_id=team.order.id)
        if s.kind == StageKind.delivery
    )
    return next(i for i in checklist(session=session, stage_id=stage.id) if i.title == "已签收回单")


def test_a_shipment_goes_from_planned_to_delivered_and_ticks_the_signed_receipt(session):
    team = make_team(session, production_done=True)
    pass_inspection(session, team)
    shipment = _ship(session, team, insurer="平安财险", policy_no="PA-1", insured_amount=800000)
    for status in ("packed", "dispatched", "in_transit"):
        _advance(session, team, shipment, status)
    assert shipment.actual_dispatch == TODAY and not _signed_item(session, team).done
    pod = photo_id(session, team)
    _advance(session, team, shipment, "delivered", receiver_name="王工", photo_ids=[pod])
    assert shipment.status == ShipmentStatus.delivered and shipment.receiver_name == "王工"
    assert shipment.actual_arrival == TODAY and shipment.delivered_at == NOW
    item = _signed_item(session, team)
    assert item.done and item.done_by_id is None and "回单" in item.note


def test_the_receipt_is_ticked_only_once_every_shipment_is_delivered(session):
    team = make_team(session, production_done=True)
    pass_inspection(session, team)
    first, second = _ship(session, team), _ship(session, team, destination="第二批")
    pod = photo_id(session, team)
    _advance(session, team, first, "delivered", receiver_name="王工", photo_ids=[pod])
    assert not _signed_item(session, team).done
    _advance(session, team, second, "delivered", receiver_name="王工", photo_ids=[pod])
    assert _signed_item(session, team).done


def test_dispatch_is_refused_without_a_passed_inspection(session):
    team = make_team(session, production_done=True)
    shipment = _ship(session, team)
    session.commit()
    with pytest.raises(Conflict) as err:
        _advance(session, team, shipment, "dispatched")
    assert err.value.code == "inspection_missing"
    session.rollback()
    record_inspection(
        session=session,
        actor=team.actor("quality"),
        order_id=team.order.id,
        now=NOW,
        data=InspectionCreate(
            kind="full",
            lot_size=2,
            passed_qty=1,
            failed_qty=1,
            result="fail",
            defects=[{"description": "法兰面划伤", "severity": "major"}],
            rework={"description": "重新加工", "owner_id": team.production.id, "due_date": TODAY},
        ),
    )
    with pytest.raises(Conflict) as err:
        _advance(session, team, shipment, "in_transit")  # skipping ahead meets the same gate
    assert err.value.code == "inspection_not_passed"
    session.rollback()
    assert session.get(Shipment, shipment.id).status == ShipmentStatus.planned


def test_dispatch_needs_a_carrier_and_a_vehicle(session):
    team = make_team(session, production_done=True)
    pass_inspection(session, team)
    shipment = _ship(session, team, carrier=None)
    with pytest.raises(Conflict) as err:
        _advance(session, team, shipment, "dispatched")
    assert err.value.code == "vehicle_missing"


def test_a_remote_site_dispatches_only_with_its_checklist_done_and_lifting_known(session):
    team = make_team(session, production_done=True)
    pass_inspection(session, team)
    shipment = _ship(session, team, remote_site=True)
    items = checks_of(session=session, shipment_ids=[shipment.id])[shipment.id]
    assert {i.kind for i in items} == {
        SiteCheckKind.site,
        SiteCheckKind.lifting,
        SiteCheckKind.customs,
    }
    with pytest.raises(Conflict) as err:
        _advance(session, team, shipment, "dispatched")
    assert err.value.code == "site_checklist_open"
    assert (
        "报关/通关单据齐全" in err.value.message and "现场吊装能力（吨）未填写" in err.value.message
    )
    kwargs = {"session": session, "actor": team.actor("logistics"), "order_id": team.order.id}
    delete_site_check(**kwargs, check_id=items[-1].id)  # a domestic site needs no customs papers
    for item in items[:-1]:
        set_site_check(**kwargs, check_id=item.id, done=True, now=NOW)
    with pytest.raises(Conflict) as err:
        _advance(session, team, shipment, "dispatched")
    assert err.value.message.endswith("现场吊装能力（吨）未填写")
    update_shipment(**kwargs, shipment_id=shipment.id, data=ShipmentUpdate(lifting_capacity_t=50))
    assert _advance(session, team, shipment, "dispatched").status == ShipmentStatus.dispatched
    with pytest.raises(Conflict) as err:
        add_site_check(**kwargs, shipment_id=shipment.id, kind="site", title="补充")
    assert err.value.code == "shipment_dispatched"


@pytest.mark.parametrize(("start", "target"), [("packed", "planned"), ("packed", "packed")])
def test_status_never_goes_backwards_or_stays(session, start, target):
    team = make_team(session)
    shipment = _ship(session, team)
    _advance(session, team, shipment, start)
    with pytest.raises(Conflict) as err:
        _advance(session, team, shipment, target)
    assert err.value.code == "status_backwards" and "只能向前推进" in err.value.message


def test_delivered_needs_proof_of_delivery_photos_and_a_receiver(session):
    team = make_team(session, production_done=True)
    pass_inspection(session, team)
    shipment = _ship(session, team)
    _advance(session, team, shipment, "in_transit")
    session.commit()
    with pytest.raises(InvalidInput) as err:
        _advance(session, team, shipment, "delivered", receiver_name="王工")
    assert err.value.details["field"] == "photo_ids"
    with pytest.raises(InvalidInput) as err:
        _advance(session, team, shipment, "delivered", photo_ids=[photo_id(session, team)])
    assert err.value.details["field"] == "receiver_name"
    session.rollback()
    assert session.get(Shipment, shipment.id).status == ShipmentStatus.in_transit


def test_planned_dates_must_be_in_order_and_nothing_is_stored(session):
    team = make_team(session)
    session.commit()
    with pytest.raises(InvalidInput) as err:
        _ship(session, team, planned_dispatch=TODAY, planned_arrival=TODAY - timedelta(days=1))
    assert err.value.details["field"] == "planned_arrival"
    session.rollback()
    assert count(session, Shipment) == 0


def test_a_delivered_shipment_is_no_longer_edited(session):
    team = make_team(session, production_done=True)
    pass_inspection(session, team)
    shipment = _ship(session, team)
    pod = photo_id(session, team)
    _advance(session, team, shipment, "delivered", receiver_name="王工", photo_ids=[pod])
    with pytest.raises(Conflict) as err:
        update_shipment(
            session=session,
            actor=team.actor("logistics"),
            order_id=team.order.id,
            shipment_id=shipment.id,
            data=ShipmentUpdate(note="改"),
        )
    assert err.value.code == "shipment_delivered"


def test_marking_a_site_remote_later_seeds_its_checklist(session):
    team = make_team(session)
    shipment = _ship(session, team)
    update_shipment(
        session=session,
        actor=team.actor("tracker"),
        order_id=team.order.id,
        shipment_id=shipment.id,
        data=ShipmentUpdate(remote_site=True, lifting_capacity_t=25),
    )
    assert len(checks_of(session=session, shipment_ids=[shipment.id])[shipment.id]) == 4


@pytest.mark.parametrize("who", ["buyer", "production", "quality"])
def test_only_logistics_and_the_tracker_plan_shipments(session, who):
    team = make_team(session)
    session.commit()
    with pytest.raises(Forbidden):
        _ship(session, team, who=who)
    session.rollback()
    assert count(session, Shipment) == 0


def test_shipments_wait_for_the_confirmed_order(session):
    team = make_team(session, confirmed=False)
    with pytest.raises(Conflict) as err:
        _ship(session, team)
    assert err.value.code == "order_not_confirmed"
