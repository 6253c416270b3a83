"""One checklist behaviour: a stage's SOP items and a shipment's remote-site checks are
ticked, unticked and logged the same way, and a derived item refuses a hand tick."""

from __future__ import annotations

import pytest

from app.services.core import Checklist, tick
from app.services.orders import checklist, list_stages, set_checklist_item
from app.services.shipping import add_site_check, checks_of, create_shipment, set_site_check
from models.changes import ChangeLog
from models.enums import SiteCheckKind, StageKind
from models.errors import Conflict
from models.shipments import ShipmentCreate
from models.stages import ChecklistItem
from tests.factories import count
from tests.production_factories import NOW, make_team

D = StageKind.delivery


def _stage_item(session, team):
    stage = next(s for s in list_stages(session=session, order_id=team.order.id) if s.kind == D)
    items = checklist(session=session, stage_id=stage.id)
    return next(i for i in items if i.title == "包装与运输方案已确认")  # ticked by hand


def _site_check(session, team):
    shipment = create_shipment(
        session=session,
        actor=team.actor("logistics"),
        order_id=team.order.id,
        data=ShipmentCreate(destination="西安项目现场", packaging="木箱", remote_site=True),
        now=NOW,
    )
    return checks_of(session=session, shipment_ids=[shipment.id])[shipment.id][0]


def _set_stage_item(session, team, item, done, note_text=None):
    return set_checklist_item(
        session=session,
        actor=team.actor("logistics"),
        order_id=team.order.id,
        item_id=item.id,
        done=done,
        note_text=note_text,
        now=NOW,
    )


def _set_site_check(session, team, item, done, note_text=None):
    return set_site_check(
        session=session,
        actor=team.actor("logistics"),
        order_id=team.order.id,
        check_id=item.id,
        done=done,
        note_text=note_text,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("make", "set_item"), [(_stage_item, _set_stage_item), (_site_check, _set_site_check)]
)
def test_both_checklists_tick_and_untick_alike(session, make, set_item):
    team = make_team(session)
    item = make(session, team)
    ticked = set_item(session, team, item, True, "已确认")
    assert (ticked.done, ticked.done_by_id, ticked.done_at, ticked.note) == (
        True,
        team.logistics.id,
        NOW,
        "已确认",
    )
    unticked = set_item(session, team, item, False)
    assert (unticked.done, unticked.done_by_id, unticked.done_at, unticked.note) == (
        False,
        None,
        None,
        "已确认",
    )


@pytest.mark.parametrize(
    ("make", "set_item", "entity"),
    [
        (_stage_item, _set_stage_item, "checklist_item"),
        (_site_check, _set_site_check, "shipment_check"),
    ],
)
def test_both_checklists_log_each_tick(session, make, set_item, entity):
    team = make_team(session)
    item = make(session, team)
    set_item(session, team, item, True)
    done = (
        ChangeLog.entity == entity,
        ChangeLog.entity_id == str(item.id),
        ChangeLog.field == "done",
    )
    assert count(session, ChangeLog, *done) == 1


def test_an_item_added_by_hand_goes_last(session):
    team = make_team(session)
    first = _site_check(session, team)
    added = add_site_check(
        session=session,
        actor=team.actor("logistics"),
        order_id=team.order.id,
        shipment_id=first.shipment_id,
        kind=SiteCheckKind.site,
        title="夜间施工许可",
    )
    items = checks_of(session=session, shipment_ids=[first.shipment_id])[first.shipment_id]
    assert items[-1].id == added.id and added.position == items[-2].position + 1


def test_a_derived_item_cannot_be_ticked_by_hand(session):
    team = make_team(session)
    item = _stage_item(session, team)
    derived = Checklist(ChecklistItem, "stage_id", derive=lambda session, item: True)
    with pytest.raises(Conflict) as err:
        tick(
            session=session,
            checklist=derived,
            item=item,
            actor=team.actor("logistics"),
            done=True,
            note_text=None,
            now=NOW,
        )
    assert err.value.code == "check_derived"
    assert err.value.message == "该检查项由实际数据自动判定，不能手工勾选"
    assert count(session, ChecklistItem, ChecklistItem.id == item.id, ChecklistItem.done) == 0
