"""The money rules (over budget, payment overdue) and alert acknowledgements in the KPIs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.services.alerts import acknowledge_alert
from app.services.finance import generate_milestones, set_budget, update_milestone
from app.services.insight import compute_kpis
from models import clock
from models.costs import MilestoneUpdate
from models.enums import RiskLevel, Role
from models.people import User
from tests.alerting import alerts, fired, noon, run
from tests.factories import (
    act,
    make_bom_line,
    make_confirmed_order,
    make_procuring_order,
    make_purchase,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

D = Decimal


def _tracker(session, order):
    return act(session, session.get(User, order.liaison_id))


def _spend(session, price: int, budget: str = "1000"):
    order = make_procuring_order(session)
    make_purchase(session, order, make_bom_line(session, order), quantity=10, unit_price=D(price))
    set_budget(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        data={"material": budget},
    )
    session.commit()
    return order


def test_over_budget_warns_the_liaison_once(session):
    order = _spend(session, 105)
    _spend(session, 90)  # inside its budget: no warning
    [alert] = fired(session, "over_budget")
    assert (alert.order_id, alert.owner_id, alert.level) == (
        order.id,
        order.liaison_id,
        RiskLevel.medium,
    )
    assert "材料成本 1050.00 元" in alert.message and "1000.00" in alert.message
    run(session, noon() + timedelta(minutes=30), only={"over_budget"})
    assert len(alerts(session, "over_budget")) == 1  # the same day's sweep again: no new one


def test_far_over_budget_is_high_risk(session):
    _spend(session, 150)
    [alert] = fired(session, "over_budget")
    assert alert.level == RiskLevel.high


def test_payment_milestone_past_due_with_money_outstanding_is_chased(session):
    order = make_confirmed_order(
        session, payment_terms="30%预付，60%发货后，10%质保金验收后一年", contract_amount=D(1000)
    )
    tracker = _tracker(session, order)
    first, *_ = generate_milestones(session=session, actor=tracker, order_id=order.id)
    update_milestone(
        session=session,
        actor=tracker,
        order_id=order.id,
        milestone_id=first.id,
        data=MilestoneUpdate(due_date=clock.today() - timedelta(days=3)),
    )
    session.commit()
    [alert] = fired(session, "payment_overdue")
    assert alert.entity_id == first.id and alert.owner_id == order.liaison_id
    assert "尚欠 300.00 元" in alert.message and "已逾期 3 天" in alert.message


def test_a_groups_sweep_leaves_other_orders_alone(session):
    mine, other = _spend(session, 120), _spend(session, 120)
    run(session, only={"over_budget"}, order_ids=frozenset({mine.id}))
    assert [a.order_id for a in alerts(session, "over_budget")] == [mine.id]
    assert other.id not in {a.order_id for a in alerts(session)}


def test_acknowledged_warnings_count_in_the_exception_response_time(session):
    _spend(session, 120)
    [alert] = fired(session, "over_budget")
    manager = act(session, make_user(session, Role.manager))
    acknowledge_alert(
        session=session, actor=manager, alert_id=alert.id, now=noon() + timedelta(hours=3)
    )
    session.commit()
    result = compute_kpis(session=session, actor=manager, months=1, now=noon() + timedelta(hours=4))
    response = next(k for k in result.items if k.key == "response_hours")
    assert response.value == 3.0 and response.met is False
