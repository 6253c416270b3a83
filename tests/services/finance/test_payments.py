from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.services.finance import (
    fund_view,
    generate_milestones,
    parse_terms,
    record_payment,
    set_milestones,
    split_amount,
    update_milestone,
)
from models import clock
from models.base import utcnow
from models.costs import MilestoneUpdate, PaymentMilestone
from models.enums import PaymentStatus, PaymentTrigger, Role
from models.errors import Conflict, InvalidInput, NotFound
from models.people import User
from tests.factories import act, count, make_confirmed_order, make_user

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

D = Decimal
TERMS = "30%预付，60%发货后，10%质保金验收后一年"


def _tracker(session, order):
    return act(session, session.get(User, order.liaison_id))


def test_terms_are_read_as_written():
    terms = parse_terms("合同签订后预付30%；到货后付60%；质保金10%，验收后6个月")
    assert [(t.trigger, t.percent) for t in terms] == [
        (PaymentTrigger.contract, 30),
        (PaymentTrigger.delivery, 60),
        (PaymentTrigger.retention, 10),
    ]
    assert terms[2].retention_days is None or terms[2].retention_days == 365


def test_terms_not_adding_up_to_100_are_refused():
    with pytest.raises(InvalidInput) as err:
        parse_terms("30%预付，60%发货")
    assert "90%" in err.value.message and err.value.code == "percent_total"
    with pytest.raises(InvalidInput):
        parse_terms("货到付款")


def test_amounts_add_up_to_the_contract_exactly():
    amounts = split_amount(D("100000.01"), [D(30), D("33.33"), D("36.67")])
    assert sum(amounts) == D("100000.01") and amounts[0] == D("30000.00")


def test_milestones_are_generated_from_the_terms_with_due_dates(session):
    order = make_confirmed_order(session, payment_terms=TERMS)
    rows = generate_milestones(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        contract_amount=D("1000000"),
    )
    assert [(r.trigger, r.percent, r.amount) for r in rows] == [
        (PaymentTrigger.contract, 30, D(300000)),
        (PaymentTrigger.delivery, 60, D(600000)),
        (PaymentTrigger.retention, 10, D(100000)),
    ]
    assert rows[1].due_date == order.delivery_date
    assert rows[2].due_date == order.delivery_date + timedelta(days=365)
    assert order.contract_amount == D(1000000)


def test_generating_twice_needs_replace_and_nothing_received(session):
    order = make_confirmed_order(session, payment_terms=TERMS, contract_amount=D(1000))
    tracker = _tracker(session, order)
    generate_milestones(session=session, actor=tracker, order_id=order.id)
    with pytest.raises(Conflict):
        generate_milestones(session=session, actor=tracker, order_id=order.id)
    rows = generate_milestones(session=session, actor=tracker, order_id=order.id, replace=True)
    record_payment(
        session=session,
        actor=tracker,
        order_id=order.id,
        milestone_id=rows[0].id,
        data={"amount": "1"},
    )
    with pytest.raises(Conflict) as err:
        generate_milestones(session=session, actor=tracker, order_id=order.id, replace=True)
    assert err.value.code == "payments_recorded"


def test_no_contract_amount_is_refused(session):
    order = make_confirmed_order(session, payment_terms=TERMS)
    with pytest.raises(Conflict) as err:  # the order's state: 409, as the document says
        generate_milestones(session=session, actor=_tracker(session, order), order_id=order.id)
    assert err.value.message == "请先填写合同金额"
    assert count(session, PaymentMilestone) == 0


def test_a_hand_written_plan_must_add_up_to_100(session):
    order = make_confirmed_order(session, contract_amount=D(500))
    tracker = _tracker(session, order)
    plan = {"items": [{"name": "预付", "percent": "50"}, {"name": "尾款", "percent": "40"}]}
    with pytest.raises(InvalidInput) as err:
        set_milestones(session=session, actor=tracker, order_id=order.id, data=plan)
    assert err.value.code == "percent_total"
    assert count(session, PaymentMilestone) == 0
    plan["items"][1]["percent"] = "50"
    plan["items"][1]["due_date"] = "2030-01-31"
    rows = set_milestones(session=session, actor=tracker, order_id=order.id, data=plan)
    assert [r.amount for r in rows] == [D(250), D(250)] and rows[1].due_date == date(2030, 1, 31)


def test_payments_add_up_and_cannot_exceed_the_milestone(session):
    order = make_confirmed_order(session, payment_terms=TERMS, contract_amount=D(1000))
    tracker = _tracker(session, order)
    first = generate_milestones(session=session, actor=tracker, order_id=order.id)[0]
    pay = {"order_id": order.id, "milestone_id": first.id}
    row = record_payment(session=session, actor=tracker, data={"amount": "100"}, **pay)
    assert row.status == PaymentStatus.partial
    with pytest.raises(InvalidInput):
        record_payment(session=session, actor=tracker, data={"amount": "200.01"}, **pay)
    row = record_payment(session=session, actor=tracker, data={"amount": "200"}, **pay)
    assert row.status == PaymentStatus.received and row.received_amount == D(300)
    with pytest.raises(InvalidInput):
        tomorrow = str(clock.today() + timedelta(days=2))
        record_payment(
            session=session, actor=tracker, data={"amount": "1", "received_on": tomorrow}, **pay
        )


def test_fund_view_shows_receivable_received_and_overdue(session):
    order = make_confirmed_order(session, payment_terms=TERMS, contract_amount=D(1000))
    tracker = _tracker(session, order)
    rows = generate_milestones(session=session, actor=tracker, order_id=order.id)
    update_milestone(
        session=session,
        actor=tracker,
        order_id=order.id,
        milestone_id=rows[1].id,
        data=MilestoneUpdate(due_date=clock.today() - timedelta(days=3)),
    )
    record_payment(
        session=session,
        actor=tracker,
        order_id=order.id,
        milestone_id=rows[1].id,
        data={"amount": "100"},
    )
    view = fund_view(session=session, actor=tracker, order_id=order.id, now=utcnow())
    assert (view.receivable, view.received, view.outstanding) == (D(1000), D(100), D(900))
    assert view.overdue == D(500) and [i.overdue for i in view.items] == [False, True, False]


def test_a_milestone_of_another_order_is_not_found(session):
    order = make_confirmed_order(session, payment_terms=TERMS, contract_amount=D(1000))
    other = make_confirmed_order(session, payment_terms=TERMS, contract_amount=D(1000))
    theirs = generate_milestones(session=session, actor=_tracker(session, other), order_id=other.id)
    admin = act(session, make_user(session, Role.admin))
    with pytest.raises(NotFound):
        record_payment(
            session=session,
            actor=admin,
            order_id=order.id,
            milestone_id=theirs[0].id,
            data={"amount": "1"},
        )


def test_overdue_payments_lists_unpaid_milestones_past_due(session):
    from app.services.finance import overdue_payments
    from app.services.orders import cancel_order

    order = make_confirmed_order(session, payment_terms=TERMS, contract_amount=D(1000))
    gone = make_confirmed_order(session, payment_terms=TERMS, contract_amount=D(1000))
    for o in (order, gone):
        tracker = _tracker(session, o)
        rows = generate_milestones(session=session, actor=tracker, order_id=o.id)
        for row in rows[:2]:
            update_milestone(
                session=session,
                actor=tracker,
                order_id=o.id,
                milestone_id=row.id,
                data=MilestoneUpdate(due_date=clock.today() - timedelta(days=4)),
            )
    view = fund_view(session=session, actor=_tracker(session, order), order_id=order.id)
    paid = view.items[0]
    record_payment(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        milestone_id=paid.id,
        data={"amount": "300"},
    )
    cancel_order(session=session, actor=_tracker(session, gone), order_id=gone.id, reason="x")
    [late] = overdue_payments(session=session, now=utcnow())
    assert (late.order_id, late.outstanding, late.days_overdue) == (order.id, D(600), 4)
    assert late.owner_id == order.liaison_id and late.order_code == order.code
