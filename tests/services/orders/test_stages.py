import pytest
from sqlmodel import select

from app.services.orders import (
    STAGE_WEIGHTS,
    add_checklist_item,
    checklist,
    close_stage,
    list_stages,
    order_progress,
    reopen_stage,
    set_checklist_item,
    start_stage,
    update_stage,
)
from models.changes import ChangeLog
from models.enums import OrderStatus, Role, StageKind, StageStatus
from models.errors import Conflict, Forbidden, InvalidInput
from models.stages import Stage, StageUpdate
from tests.factories import act, add_to_order, make_confirmed_order, make_order, make_user
from tests.stage_factories import finish_procurement, receive_key_material, tick_by_hand

P = StageKind.procurement


@pytest.fixture()
def confirmed(session):
    """A confirmed order (sales only signs) with its liaison actor."""
    tracker = make_user(session, Role.tracker)
    order = make_confirmed_order(session, liaison=tracker)
    return session, act(session, tracker), order


def _stage(session, order, kind):
    return next(s for s in list_stages(session=session, order_id=order.id) if s.kind == kind)


def _tick_all(session, actor, order, kind):
    """Make every required item true: the key material received (derived), the rest by hand."""
    receive_key_material(session, order)
    tick_by_hand(session, order, kind)


def test_later_stages_wait_for_the_confirmed_review(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    with pytest.raises(Conflict) as err:
        start_stage(session=session, actor=act(session, tracker), order_id=order.id, kind=P)
    assert err.value.code == "order_not_confirmed"


def test_starting_a_stage_puts_the_order_in_progress(confirmed):
    session, actor, order = confirmed
    stage = start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    assert stage.status == StageStatus.in_progress and stage.actual_start is not None
    assert order.status == OrderStatus.in_progress


def test_a_stage_cannot_close_while_required_items_are_open_and_the_error_names_them(confirmed):
    session, actor, order = confirmed
    start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    items = checklist(session=session, stage_id=_stage(session, order, P).id)
    set_checklist_item(
        session=session, actor=actor, order_id=order.id, item_id=items[0].id, done=True
    )
    with pytest.raises(Conflict) as err:
        close_stage(session=session, actor=actor, order_id=order.id, kind=P)
    assert err.value.code == "stage_gate"
    for item in items[1:]:
        if item.required:
            assert item.title in err.value.message
    assert items[0].title not in err.value.message
    assert _stage(session, order, P).status == StageStatus.in_progress


def test_closing_after_the_checklist_is_done_marks_it_complete(confirmed):
    session, actor, order = confirmed
    start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    _tick_all(session, actor, order, P)
    stage = close_stage(session=session, actor=actor, order_id=order.id, kind=P)
    assert stage.status == StageStatus.done and stage.progress == 100
    assert stage.actual_end is not None


def test_optional_items_do_not_block_closing(confirmed):
    session, actor, order = confirmed
    start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    _tick_all(session, actor, order, P)
    add_checklist_item(
        session=session,
        actor=actor,
        order_id=order.id,
        kind=P,
        title="可选：供应商现场审核",
        required=False,
    )
    assert close_stage(session=session, actor=actor, order_id=order.id, kind=P).status == "done"


def test_an_added_required_item_blocks_closing(confirmed):
    session, actor, order = confirmed
    start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    _tick_all(session, actor, order, P)
    add_checklist_item(
        session=session,
        actor=actor,
        order_id=order.id,
        kind=P,
        title="进口报关单已归档",
        required=True,
    )
    with pytest.raises(Conflict, match="进口报关单已归档"):
        close_stage(session=session, actor=actor, order_id=order.id, kind=P)


def test_reopening_needs_a_reason_and_logs_it(confirmed):
    session, actor, order = confirmed
    start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    _tick_all(session, actor, order, P)
    close_stage(session=session, actor=actor, order_id=order.id, kind=P)
    stage = reopen_stage(
        session=session, actor=actor, order_id=order.id, kind=P, reason="客户变更规格，需补采"
    )
    assert stage.status == StageStatus.in_progress and stage.actual_end is None
    notes = session.exec(select(ChangeLog.note).where(ChangeLog.entity == "stage")).all()
    assert "客户变更规格，需补采" in notes


def test_planned_end_before_planned_start_is_refused(confirmed):
    session, actor, order = confirmed
    from datetime import date

    with pytest.raises(InvalidInput):
        update_stage(
            session=session,
            actor=actor,
            order_id=order.id,
            kind=P,
            data=StageUpdate(planned_start=date(2027, 2, 1), planned_end=date(2027, 1, 1)),
        )


def test_progress_is_reported_only_on_a_running_stage(confirmed):
    session, actor, order = confirmed
    with pytest.raises(Conflict):
        update_stage(
            session=session, actor=actor, order_id=order.id, kind=P, data=StageUpdate(progress=40)
        )
    start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    stage = update_stage(
        session=session, actor=actor, order_id=order.id, kind=P, data=StageUpdate(progress=40)
    )
    assert stage.progress == 40


def test_a_member_in_the_wrong_role_cannot_move_a_stage(confirmed):
    session, _actor, order = confirmed
    finish_procurement(session, order)
    warehouse = make_user(session, Role.warehouse)
    add_to_order(session, order, warehouse, Role.warehouse)
    with pytest.raises(Forbidden):
        start_stage(
            session=session,
            actor=act(session, warehouse),
            order_id=order.id,
            kind=StageKind.production,
        )
    producer = make_user(session, Role.production)
    add_to_order(session, order, producer, Role.production)
    start_stage(
        session=session, actor=act(session, producer), order_id=order.id, kind=StageKind.production
    )


def test_order_progress_is_the_weighted_mean_of_its_stages():
    stages = [
        Stage(order_id=1, kind=k, seq=i, status=StageStatus.not_started, progress=0)
        for i, k in enumerate(StageKind)
    ]
    assert order_progress(stages) == 0
    stages[0].status = StageStatus.done
    stages[1].status, stages[1].progress = StageStatus.in_progress, 50
    expected = STAGE_WEIGHTS[StageKind.review] + STAGE_WEIGHTS[StageKind.procurement] / 2
    assert order_progress(stages) == round(expected)
    for s in stages:
        s.status = StageStatus.done
    assert order_progress(stages) == 100


def test_ticking_a_closed_stages_item_is_refused(confirmed):
    session, actor, order = confirmed
    start_stage(session=session, actor=actor, order_id=order.id, kind=P)
    _tick_all(session, actor, order, P)
    close_stage(session=session, actor=actor, order_id=order.id, kind=P)
    item = checklist(session=session, stage_id=_stage(session, order, P).id)[0]
    with pytest.raises(Conflict):
        set_checklist_item(
            session=session, actor=actor, order_id=order.id, item_id=item.id, done=False
        )
