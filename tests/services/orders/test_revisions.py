"""What the review signed stays signed: snapshots, reopened sign-offs, change orders (issue 14)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from app.services.orders import (
    approve_change_order,
    current_review,
    decide_signoff,
    list_change_orders,
    reject_change_order,
    review_public,
    revise_order,
    signoffs,
    submit_for_review,
    update_order,
)
from models.change_orders import ChangeOrder
from models.changes import ChangeLog
from models.enums import ChangeOrderStatus, OrderStatus, Role, SignoffStatus
from models.errors import Conflict, Forbidden, InvalidInput
from models.orders import OrderUpdate, Review
from models.people import Department, User
from tests.factories import act, count, make_confirmed_order, make_order, make_user

DEPTS = ["sales", "engineering", "production"]
SIGNER_ROLE = {"sales": Role.sales, "engineering": Role.engineering, "production": Role.production}


@pytest.fixture()
def review(session):
    """An order in review; returns (session, tracker actor, order, signers by department)."""
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, review_departments=DEPTS)
    signers = {d: make_user(session, SIGNER_ROLE[d]) for d in DEPTS}
    submit_for_review(session=session, actor=act(session, tracker), order_id=order.id)
    return session, act(session, tracker), order, signers


def _sign(session, order, signers, dept):
    decide_signoff(
        session=session,
        actor=act(session, signers[dept]),
        order_id=order.id,
        department=dept,
        approve=True,
    )


def _lines(session, order):
    review = current_review(session=session, order_id=order.id)
    depts = {d.id: d.code for d in session.exec(select(Department))}
    return {depts[s.department_id]: s for s in signoffs(session=session, review_id=review.id)}


def _patch(session, actor, order, **fields):
    return update_order(session=session, actor=actor, order_id=order.id, data=OrderUpdate(**fields))


def test_each_signature_keeps_a_copy_of_what_was_signed(review):
    session, _, order, signers = review
    _sign(session, order, signers, "sales")
    line = _lines(session, order)["sales"]
    assert line.snapshot == {
        "delivery_date": order.delivery_date.isoformat(),
        "payment_terms": order.payment_terms,
        "tech_params": {"设计压力": "2.5 MPa"},
        "special_requirements": "",
    }
    assert _lines(session, order)["engineering"].snapshot is None


def test_a_new_delivery_date_in_review_reopens_only_the_departments_it_concerns(review):
    session, tracker, order, signers = review
    _sign(session, order, signers, "sales")
    _sign(session, order, signers, "engineering")
    before = count(session, ChangeLog)
    _patch(session, tracker, order, delivery_date=order.delivery_date + timedelta(days=10))
    lines = _lines(session, order)
    assert lines["sales"].status == SignoffStatus.pending and lines["sales"].snapshot is None
    assert lines["engineering"].status == SignoffStatus.signed
    logged = session.exec(select(ChangeLog).where(ChangeLog.id > before)).all()
    assert any(c.entity == "signoff" and "交货日期" in (c.note or "") for c in logged)
    _sign(session, order, signers, "production")
    assert order.status == OrderStatus.in_review
    _sign(session, order, signers, "sales")
    assert order.status == OrderStatus.confirmed


def test_technical_parameters_merge_by_key_and_reopen_the_technical_departments(review):
    session, tracker, order, signers = review
    for dept in ("sales", "engineering"):
        _sign(session, order, signers, dept)
    _patch(session, tracker, order, tech_params={"材质": "Q345R"})
    assert order.tech_params == {"设计压力": "2.5 MPa", "材质": "Q345R"}
    lines = _lines(session, order)
    assert lines["engineering"].status == SignoffStatus.pending
    assert lines["sales"].status == SignoffStatus.signed
    _patch(session, tracker, order, tech_params={"设计压力": None})
    assert order.tech_params == {"材质": "Q345R"}


def test_a_field_no_review_department_owns_reopens_every_signature(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, review_departments=["engineering", "production"])
    submit_for_review(session=session, actor=act(session, tracker), order_id=order.id)
    _sign(session, order, {"engineering": make_user(session, Role.engineering)}, "engineering")
    _patch(session, act(session, tracker), order, payment_terms="货到付款")
    assert _lines(session, order)["engineering"].status == SignoffStatus.pending


def test_sending_the_same_values_again_reopens_nothing(review):
    session, tracker, order, signers = review
    _sign(session, order, signers, "sales")
    _patch(session, tracker, order, delivery_date=order.delivery_date, tech_params={})
    assert _lines(session, order)["sales"].status == SignoffStatus.signed


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"payment_terms": ""}, "payment_terms"),
        ({"payment_terms": "   "}, "payment_terms"),
        ({"tech_params": {}}, "tech_params"),
        ({"tech_params": {"设计压力": " "}}, "tech_params"),
    ],
)
def test_a_review_needs_payment_terms_and_technical_parameters(session, fields, field):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, **fields)
    with pytest.raises(InvalidInput) as err:
        submit_for_review(session=session, actor=act(session, tracker), order_id=order.id)
    assert err.value.details["field"] == field and "不能提交评审" in err.value.message
    assert count(session, Review) == 0 and order.status == OrderStatus.draft


def test_past_review_a_change_is_a_change_order_that_applies_only_when_a_manager_approves(
    session,
):
    order = make_confirmed_order(session)
    tracker = act(session, session.get(User, order.liaison_id))
    old_date = order.delivery_date
    new_date = old_date + timedelta(days=15)
    _, change = revise_order(
        session=session,
        actor=tracker,
        order_id=order.id,
        data=OrderUpdate(delivery_date=new_date, priority="high"),
    )
    assert order.delivery_date == old_date and order.priority == "high"
    assert change.status == ChangeOrderStatus.pending
    assert change.before == {"delivery_date": old_date.isoformat()}
    assert change.after == {"delivery_date": new_date.isoformat()}
    with pytest.raises(Forbidden):
        approve_change_order(session=session, actor=tracker, order_id=order.id, change_id=change.id)
    manager = act(session, make_user(session, Role.manager))
    approve_change_order(session=session, actor=manager, order_id=order.id, change_id=change.id)
    assert order.delivery_date == new_date and change.status == ChangeOrderStatus.approved
    logged = session.exec(
        select(ChangeLog).where(ChangeLog.entity == "orders", ChangeLog.field == "delivery_date")
    ).all()
    assert [c.note for c in logged] == [f"变更单 #{change.id} 批准"]
    with pytest.raises(Conflict):
        approve_change_order(session=session, actor=manager, order_id=order.id, change_id=change.id)


def test_the_review_record_shows_what_was_signed_against_what_the_order_says_now(session):
    order = make_confirmed_order(session)
    signed = order.delivery_date
    _, change = revise_order(
        session=session,
        actor=act(session, make_user(session, Role.manager)),
        order_id=order.id,
        data=OrderUpdate(delivery_date=signed + timedelta(days=3)),
    )
    manager = act(session, make_user(session, Role.manager))
    approve_change_order(session=session, actor=manager, order_id=order.id, change_id=change.id)
    public = review_public(session, current_review(session=session, order_id=order.id))
    (diff,) = public.signoffs[0].changed_since
    assert (diff.field, diff.name, diff.before, diff.after) == (
        "delivery_date",
        "交货日期",
        signed.isoformat(),
        (signed + timedelta(days=3)).isoformat(),
    )


def test_a_rejected_change_order_needs_a_reason_and_leaves_the_order_as_it_was(session):
    order = make_confirmed_order(session)
    manager = act(session, make_user(session, Role.manager))
    _, change = revise_order(
        session=session,
        actor=manager,
        order_id=order.id,
        data=OrderUpdate(payment_terms="货到付款"),
    )
    with pytest.raises(InvalidInput, match="原因"):
        reject_change_order(
            session=session, actor=manager, order_id=order.id, change_id=change.id, note_text=" "
        )
    reject_change_order(
        session=session,
        actor=manager,
        order_id=order.id,
        change_id=change.id,
        note_text="客户未确认",
    )
    assert order.payment_terms != "货到付款" and change.status == ChangeOrderStatus.rejected
    rows = list_change_orders(session=session, actor=manager, order_id=order.id)
    assert [(c.id, c.decision_note) for c in rows] == [(change.id, "客户未确认")]


def test_a_change_order_overtaken_by_another_cannot_be_approved(session):
    order = make_confirmed_order(session)
    manager = act(session, make_user(session, Role.manager))
    changes = [
        revise_order(
            session=session,
            actor=manager,
            order_id=order.id,
            data=OrderUpdate(special_requirements=text),
        )[1]
        for text in ("夜间施工", "周末施工")
    ]
    approve_change_order(session=session, actor=manager, order_id=order.id, change_id=changes[0].id)
    with pytest.raises(Conflict) as err:
        approve_change_order(
            session=session, actor=manager, order_id=order.id, change_id=changes[1].id
        )
    assert err.value.code == "change_stale" and order.special_requirements == "夜间施工"
    assert count(session, ChangeOrder) == 2
