from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from app.services.orders import (
    add_member,
    cancel_order,
    create_order,
    delete_order,
    find_order_by_code,
    get_order,
    list_orders,
    remove_member,
    submit_for_review,
    update_order,
)
from models.enums import OrderStatus, Role, StageKind
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.orders import MemberAdd, OrderCreate, OrderUpdate
from models.stages import ChecklistItem, Stage
from tests.factories import act, add_to_order, make_order, make_user
from tests.plans import plans_of


def _data(**kw):
    base = {"customer": "客户", "contract_no": "HT-1", "delivery_date": date(2027, 3, 1)}
    base.update(kw)
    return OrderCreate(**base)


def test_new_order_is_a_draft_with_five_stages_and_sop_checklists(session):
    order = make_order(session)
    stages = session.exec(select(Stage).where(Stage.order_id == order.id).order_by(Stage.seq))
    assert order.status == OrderStatus.draft
    assert [s.kind for s in stages] == list(StageKind)
    items = session.exec(select(ChecklistItem).where(ChecklistItem.order_id == order.id)).all()
    assert len(items) >= 15 and any(i.required for i in items)


def test_order_codes_are_generated_per_month_in_sequence(session):
    tracker = make_user(session, Role.tracker)
    now = datetime(2026, 11, 3, tzinfo=UTC)
    codes = [
        create_order(
            session=session,
            actor=act(session, tracker),
            data=_data(),
            now=now,
            default_departments=["sales"],
        ).code
        for _ in range(2)
    ]
    assert codes == ["GD2611001", "GD2611002"]


def test_a_duplicate_order_code_is_refused(session):
    make_order(session, code="GD-X1")
    with pytest.raises(Conflict) as err:
        make_order(session, code="GD-X1")
    assert "GD-X1" in err.value.message


def test_only_sales_trackers_and_managers_create_orders(session):
    engineer = make_user(session, Role.site_engineer)
    with pytest.raises(Forbidden):
        create_order(
            session=session,
            actor=act(session, engineer),
            data=_data(),
            default_departments=["sales"],
        )


def test_the_liaison_must_be_a_tracker(session):
    sales = make_user(session, Role.sales)
    buyer = make_user(session, Role.buyer)
    with pytest.raises(Conflict) as err:  # the user's roles: a state, not the request's shape
        create_order(
            session=session,
            actor=act(session, sales),
            data=_data(liaison_id=buyer.id),
            default_departments=["sales"],
        )
    assert err.value.details["field"] == "liaison_id"


def test_unknown_review_department_is_refused(session):
    tracker = make_user(session, Role.tracker)
    # A code that names no department row: 404, like any missing row the body refers to.
    with pytest.raises(NotFound) as err:
        create_order(
            session=session,
            actor=act(session, tracker),
            data=_data(review_departments=["sales", "marketing"]),
            default_departments=["sales"],
        )
    assert "marketing" in err.value.message


def test_a_site_engineer_of_order_a_cannot_read_order_b(session):
    order_a, order_b = make_order(session), make_order(session)
    engineer = make_user(session, Role.site_engineer)
    add_to_order(session, order_a, engineer, Role.site_engineer)
    actor = act(session, engineer)
    assert get_order(session=session, actor=actor, order_id=order_a.id).id == order_a.id
    with pytest.raises(Forbidden):
        get_order(session=session, actor=actor, order_id=order_b.id)
    rows, total = list_orders(session=session, actor=actor)
    assert [o.id for o in rows] == [order_a.id] and total == 1


def test_managers_see_every_order(session):
    make_order(session), make_order(session)
    manager = make_user(session, Role.manager)
    _, total = list_orders(session=session, actor=act(session, manager))
    assert total == 2


def test_a_department_asked_to_sign_can_read_the_order_under_review(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    engineer = make_user(session, Role.engineering)
    with pytest.raises(Forbidden):
        get_order(session=session, actor=act(session, engineer), order_id=order.id)
    submit_for_review(session=session, actor=act(session, tracker), order_id=order.id)
    assert get_order(session=session, actor=act(session, engineer), order_id=order.id)


def test_unknown_order_is_not_found(session):
    with pytest.raises(NotFound):
        get_order(
            session=session, actor=act(session, make_user(session, Role.admin)), order_id=424242
        )


def test_find_by_code_ignores_case_and_spaces(session):
    order = make_order(session, code="GD-AB1")
    admin = make_user(session, Role.admin)
    assert find_order_by_code(session=session, actor=act(session, admin), code=" gd-ab1 ") == order


def test_find_by_code_refuses_an_unknown_code_and_a_non_member(session):
    order = make_order(session, code="GD-AB2")
    member, outsider = make_user(session, Role.buyer), make_user(session, Role.buyer)
    add_to_order(session, order, member, Role.buyer)
    found = find_order_by_code(session=session, actor=act(session, member), code="gd-ab2")
    assert found == order
    with pytest.raises(NotFound, match="订单 GD-NONE 不存在"):
        find_order_by_code(session=session, actor=act(session, member), code="GD-NONE")
    with pytest.raises(Forbidden):
        find_order_by_code(session=session, actor=act(session, outsider), code="GD-AB2")


def test_list_filters_by_text_and_status(session):
    make_order(session, customer="华东化工"), make_order(session, customer="北方重工")
    admin = act(session, make_user(session, Role.admin))
    rows, _ = list_orders(session=session, actor=admin, q="华东")
    assert [o.customer for o in rows] == ["华东化工"]
    _, total = list_orders(session=session, actor=admin, status=OrderStatus.confirmed)
    assert total == 0


def test_a_member_without_an_editing_role_cannot_change_the_order(session):
    order = make_order(session)
    buyer = make_user(session, Role.buyer)
    add_to_order(session, order, buyer, Role.buyer)
    with pytest.raises(Forbidden):
        update_order(
            session=session,
            actor=act(session, buyer),
            order_id=order.id,
            data=OrderUpdate(customer="x"),
        )


def test_a_cancelled_order_cannot_be_changed(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    actor = act(session, tracker)
    cancel_order(session=session, actor=actor, order_id=order.id, reason="客户取消")
    with pytest.raises(Conflict):
        update_order(
            session=session, actor=actor, order_id=order.id, data=OrderUpdate(customer="x")
        )


def test_only_drafts_never_reviewed_can_be_deleted(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    actor = act(session, tracker)
    submit_for_review(session=session, actor=actor, order_id=order.id)
    with pytest.raises(Conflict):
        delete_order(session=session, actor=actor, order_id=order.id)
    draft = make_order(session, liaison=tracker)
    delete_order(session=session, actor=actor, order_id=draft.id)
    with pytest.raises(NotFound):
        get_order(session=session, actor=actor, order_id=draft.id)


def test_members_are_added_only_in_roles_they_hold(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    buyer = make_user(session, Role.buyer)
    with pytest.raises(InvalidInput):
        add_member(
            session=session,
            actor=act(session, tracker),
            order_id=order.id,
            data=MemberAdd(user_id=buyer.id, role=Role.quality),
        )


def test_the_liaison_cannot_be_removed_from_the_order(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker)
    with pytest.raises(Conflict):
        remove_member(
            session=session, actor=act(session, tracker), order_id=order.id, user_id=tracker.id
        )


def test_a_code_in_any_case_is_found_through_its_index(session):
    """Chat commands name orders in any case: the lookup is served by ix_orders_code_upper,
    not a read of every order."""
    make_order(session, code="GD-IX1")
    admin = act(session, make_user(session, Role.admin))

    def find():
        find_order_by_code(session=session, actor=admin, code="gd-ix1")

    (plan,) = plans_of(session, find, containing="upper(")
    assert "ix_orders_code_upper" in plan
