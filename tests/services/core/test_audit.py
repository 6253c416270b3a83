from sqlmodel import select

from app.services.core import AuditError
from app.services.orders import update_order
from models.changes import ChangeLog
from models.enums import ChangeAction, Channel, Priority, Role
from models.orders import Order, OrderUpdate
from tests.factories import act, make_order, make_user


def _log(session, order_id):
    return session.exec(
        select(ChangeLog).where(ChangeLog.order_id == order_id).order_by(ChangeLog.id)
    ).all()


def test_creating_an_order_logs_who_created_it_and_through_which_door(session):
    tracker = make_user(session, Role.tracker, display_name="李跟单")
    order = make_order(session, liaison=tracker)
    created = [e for e in _log(session, order.id) if e.entity == "orders"]
    assert created[0].action == ChangeAction.create
    assert created[0].actor_id == tracker.id
    assert created[0].actor_name == "李跟单"
    assert created[0].channel == Channel.api
    assert order.code in created[0].new_value


def test_each_changed_field_is_logged_with_old_and_new_value(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, customer="甲公司")
    before = len(_log(session, order.id))
    update_order(
        session=session,
        actor=act(session, tracker, Channel.bot),
        order_id=order.id,
        data=OrderUpdate(customer="乙公司", priority=Priority.urgent),
    )
    entries = _log(session, order.id)[before:]
    changed = {(e.field, e.old_value, e.new_value, e.channel) for e in entries}
    assert changed == {
        ("customer", "甲公司", "乙公司", Channel.bot),
        ("priority", "normal", "urgent", Channel.bot),
    }


def test_setting_a_field_to_its_current_value_logs_nothing(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, customer="甲公司")
    before = len(_log(session, order.id))
    update_order(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        data=OrderUpdate(customer="甲公司"),
    )
    assert [e.field for e in _log(session, order.id)[before:]] == []


def test_an_audited_change_without_an_actor_fails_and_stores_nothing(db):
    with db.session() as s:
        tracker = make_user(s, Role.tracker)
        order = make_order(s, liaison=tracker, customer="原客户")
        s.commit()
        order_id = order.id
    with db.session() as s:
        order = s.get(Order, order_id)
        order.customer = "偷改"
        try:
            s.flush()
        except AuditError:
            s.rollback()
        else:
            raise AssertionError("a change without an actor was flushed")
    with db.session() as s:
        assert s.get(Order, order_id).customer == "原客户"


def test_password_hashes_never_reach_the_change_log(session):
    make_user(session, Role.tracker)
    values = session.exec(select(ChangeLog.new_value).where(ChangeLog.entity == "users")).all()
    assert values and all("argon2" not in (v or "") for v in values)
    assert all("password" not in (v or "") for v in values)


def test_a_created_row_is_logged_with_its_id(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    created = [e for e in _log(session, order.id) if e.entity == "orders"]
    assert created[0].entity_id == str(order.id)


def test_a_flush_that_fails_inside_a_savepoint_leaves_no_entry_behind(session):
    from sqlalchemy.exc import IntegrityError

    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    duplicate = Order(
        customer="重复", contract_no="x", delivery_date=order.delivery_date, code=order.code
    )
    try:
        with session.begin_nested():
            session.add(duplicate)
            session.flush()
    except IntegrityError:
        pass
    make_user(session, Role.sales)
    session.commit()
    orders_logged = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "orders", ChangeLog.action == "create")
    ).all()
    assert [e.entity_id for e in orders_logged] == [str(order.id)]


def test_the_log_reads_as_one_chinese_line_per_save(session):
    from app.services.core import describe_changes

    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, customer="甲公司")
    update_order(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        data=OrderUpdate(customer="乙公司", priority=Priority.urgent),
    )
    events = describe_changes(list(reversed(_log(session, order.id))), session=session)
    assert events[0].summary == "修改订单：客户 甲公司 → 乙公司，优先级 普通 → 紧急"
    assert any(e.summary == "新建订单" for e in events)


def test_the_log_names_the_stage_and_item_a_change_is_about(session):
    from app.services.core import Actor, describe_changes
    from app.services.orders import checklist, list_stages, set_checklist_item
    from models.enums import StageKind

    order = make_order(session)
    stage = next(
        s
        for s in list_stages(session=session, order_id=order.id)
        if s.kind == StageKind.procurement
    )
    item = checklist(session=session, stage_id=stage.id)[0]
    set_checklist_item(
        session=session,
        actor=Actor.system(Channel.scheduler),
        order_id=order.id,
        item_id=item.id,
        done=True,
    )
    event = describe_changes(list(reversed(_log(session, order.id))), session=session)[0]
    assert event.summary == f"物料采购 · 检查项「{item.title}」：完成 否 → 是"
    assert event.actor_name == "系统" and event.channel == "scheduler"
    session.delete(item)
    session.flush()
    deleted = describe_changes(list(reversed(_log(session, order.id))), session=session)[0]
    assert deleted.summary == f"删除 检查项「{item.title}」"
