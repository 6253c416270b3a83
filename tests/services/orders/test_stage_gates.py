"""Issue 14, bypasses 1, 2 and 7: the gates of an order follow the records, not the ticks."""

import pytest
from sqlmodel import select

from app.services.field import record_acceptance
from app.services.orders import (
    checklist,
    close_stage,
    list_stages,
    reopen_stage,
    set_checklist_item,
    stage_public,
    start_stage,
)
from app.services.procurement import record_scan
from models.changes import ChangeLog
from models.enums import Role, StageKind, StageStatus
from models.errors import Conflict, Forbidden
from models.stages import ChecklistItem
from tests.factories import (
    act,
    make_bom_line,
    make_confirmed_order,
    make_delivered_order,
    make_material,
    make_user,
    scan_in,
)
from tests.stage_factories import (
    finish_operations,
    finish_procurement,
    finish_production,
    liaison,
    member,
    receive_key_material,
    start,
    tick_by_hand,
)

P, M, D, A = (StageKind.procurement, StageKind.production, StageKind.delivery, StageKind.acceptance)


def _stage(session, order, kind):
    return next(s for s in list_stages(session=session, order_id=order.id) if s.kind == kind)


def _item(session, order, kind, title):
    items = checklist(session=session, stage_id=_stage(session, order, kind).id)
    return next(i for i in items if i.title == title)


def _close(session, order, kind):
    return close_stage(session=session, actor=liaison(session, order), order_id=order.id, kind=kind)


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        (P, "关键物料已全部入库"),
        (M, "全部工序完工"),
        (D, "成品检验合格"),
        (D, "已签收回单"),
        (A, "问题点全部关闭"),
        (A, "竣工报告与用户操作手册已提交"),
        (A, "客户验收单已签署"),
    ],
)
def test_an_item_stating_a_fact_cannot_be_ticked_by_hand(session, kind, title):
    order = make_confirmed_order(session)
    item = _item(session, order, kind, title)
    with pytest.raises(Conflict) as err:
        set_checklist_item(
            session=session,
            actor=liaison(session, order),
            order_id=order.id,
            item_id=item.id,
            done=True,
        )
    assert err.value.code == "check_derived" and "自动判定" in err.value.message
    assert not session.get(ChecklistItem, item.id).done


def test_derived_items_show_their_source(session):
    order = make_confirmed_order(session)
    public = stage_public(session, _stage(session, order, P))
    by_title = {i.title: i for i in public.checklist}
    assert by_title["关键物料已全部入库"].derived and "BOM" in by_title["关键物料已全部入库"].source
    assert not by_title["BOM 已导入并核对"].derived and by_title["BOM 已导入并核对"].source is None


def test_procurement_does_not_close_while_a_key_material_is_short(session):
    order = make_confirmed_order(session)
    start(session, order, P)
    key = make_material(session, is_key=True)
    make_bom_line(session, order, key, needed=10)
    worker = act(session, member(session, order, Role.warehouse))
    record_scan(session=session, actor=worker, data=scan_in(key.code, quantity=4))
    tick_by_hand(session, order, P)
    with pytest.raises(Conflict) as err:
        _close(session, order, P)
    assert err.value.code == "stage_gate" and "关键物料已全部入库" in err.value.message
    record_scan(session=session, actor=worker, data=scan_in(key.code, quantity=6))
    assert _item(session, order, P, "关键物料已全部入库").done  # stored by the system
    assert _close(session, order, P).status == StageStatus.done


def test_a_stage_waits_for_the_one_before_it(session):
    order = make_confirmed_order(session)
    with pytest.raises(Conflict) as err:
        start_stage(session=session, actor=liaison(session, order), order_id=order.id, kind=M)
    assert err.value.code == "previous_stage_open" and "物料采购" in err.value.message
    assert _stage(session, order, M).status == StageStatus.not_started


def test_only_a_manager_starts_a_stage_early_and_the_reason_is_kept(session):
    order = make_confirmed_order(session)
    with pytest.raises(Forbidden) as err:
        start_stage(
            session=session,
            actor=liaison(session, order),
            order_id=order.id,
            kind=M,
            reason="长周期件先行下料",
        )
    assert err.value.code == "early_start_needs_manager"
    boss = make_user(session, Role.manager)
    stage = start_stage(
        session=session,
        actor=act(session, boss),
        order_id=order.id,
        kind=M,
        reason="长周期件先行下料",
    )
    assert stage.status == StageStatus.in_progress
    assert (stage.started_early_by_id, stage.started_early_reason) == (boss.id, "长周期件先行下料")
    public = stage_public(session, stage)
    assert public.started_early_by.id == boss.id and public.started_early_reason
    notes = session.exec(select(ChangeLog.note).where(ChangeLog.entity == "stage")).all()
    assert any("提前开始：长周期件先行下料" in (n or "") for n in notes)


def test_production_does_not_close_with_no_operations(session):
    order = make_confirmed_order(session)
    finish_procurement(session, order)
    start(session, order, M)
    tick_by_hand(session, order, M)
    with pytest.raises(Conflict) as err:
        _close(session, order, M)
    assert err.value.code == "no_operations" and "没有任何工序" in err.value.message


def test_a_stage_started_early_closes_only_after_the_ones_before_it(session):
    order = make_confirmed_order(session)
    boss = act(session, make_user(session, Role.manager))
    start_stage(session=session, actor=boss, order_id=order.id, kind=P)
    start_stage(session=session, actor=boss, order_id=order.id, kind=M, reason="工期紧")
    finish_operations(session, order)
    tick_by_hand(session, order, M)
    with pytest.raises(Conflict) as err:
        _close(session, order, M)
    assert err.value.code == "previous_stage_open" and "物料采购" in err.value.message


def test_the_acceptance_stage_closes_only_through_an_acceptance(session):
    order = make_delivered_order(session)
    start(session, order, A)
    tick_by_hand(session, order, A)
    with pytest.raises(Conflict) as err:
        _close(session, order, A)
    assert err.value.code == "acceptance_required" and "验收" in err.value.message
    assert _stage(session, order, A).status == StageStatus.in_progress


def test_acceptance_needs_the_completion_report_and_manual(session):
    order = make_delivered_order(session)
    tick_by_hand(session, order, A)
    with pytest.raises(Conflict) as err:
        record_acceptance(
            session=session,
            actor=liaison(session, order),
            order_id=order.id,
            form_photo_ids=[1],
            signer_name="刘经理",
        )
    assert err.value.code == "stage_gate" and "竣工报告与用户操作手册已提交" in err.value.message


def test_reopening_a_stage_takes_its_progress_from_the_records_again(session):
    order = make_confirmed_order(session)
    finish_procurement(session, order)
    assert _stage(session, order, P).progress == 100
    make_bom_line(session, order, make_material(session, is_key=True), needed=4)  # added late
    stage = reopen_stage(
        session=session,
        actor=liaison(session, order),
        order_id=order.id,
        kind=P,
        reason="补采一项",
    )
    assert stage.status == StageStatus.in_progress and stage.progress == 50
    assert not _item(session, order, P, "关键物料已全部入库").done


def test_reopening_a_stage_without_records_is_below_100(session):
    order = make_confirmed_order(session)
    finish_production(session, order)
    start(session, order, D)
    stage = reopen_stage(
        session=session,
        actor=liaison(session, order),
        order_id=order.id,
        kind=StageKind.review,
        reason="客户补充技术协议",
    )
    assert stage.status == StageStatus.in_progress and stage.progress < 100


def test_key_materials_received_before_the_stage_starts_count(session):
    order = make_confirmed_order(session)
    receive_key_material(session, order)
    start(session, order, P)
    assert _item(session, order, P, "关键物料已全部入库").done
