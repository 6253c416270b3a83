"""Every warning rule with a frozen clock: it fires past its boundary and not before."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.services.field import acknowledge_issue, create_issue, submit_daily_report
from app.services.orders import submit_for_review, update_stage
from models.enums import RiskLevel, Role, StageKind
from models.stages import StageUpdate
from tests.alerting import alerts, fired, local, noon, run
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import (
    act,
    add_to_order,
    make_bom_line,
    make_chat_group,
    make_material,
    make_order,
    make_procuring_order,
    make_purchase,
    make_supplier,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)


def _tracker(session, order):
    from models.people import User

    return act(session, session.get(User, order.liaison_id))


def test_stage_overdue_fires_the_day_after_its_planned_end(session):
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    update_stage(
        session=session,
        actor=tracker,
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=TODAY),
    )
    assert fired(session, "stage_overdue") == []
    found = fired(session, "stage_overdue", local(9, days=1))
    assert len(found) == 1
    assert found[0].owner_id == order.liaison_id
    assert found[0].level == RiskLevel.medium
    assert "物料采购" in found[0].message and "逾期 1 天" in found[0].message


def test_stage_seven_days_late_is_high_risk(session):
    order = make_procuring_order(session)
    update_stage(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(planned_end=TODAY - timedelta(days=7)),
    )
    assert [a.level for a in fired(session, "stage_overdue")] == [RiskLevel.high]


def test_purchase_line_past_promised_date_and_not_received_warns_the_buyer(session):
    order = make_procuring_order(session)
    buyer = make_user(session, Role.buyer)
    add_to_order(session, order, buyer, Role.buyer)
    line = make_bom_line(session, order, days=20)
    make_purchase(session, order, line, status="confirmed", promised_date=TODAY)
    assert fired(session, "purchase_overdue") == []
    found = fired(session, "purchase_overdue", local(8, days=1))
    assert [(a.entity_type, a.owner_id) for a in found] == [("purchase_line", buyer.id)]


def test_received_purchase_line_is_not_overdue(session):
    from app.services.procurement import set_purchase_status
    from models.purchasing import PurchaseStatusIn

    order = make_procuring_order(session)
    line = make_bom_line(session, order, days=20)
    purchase = make_purchase(
        session, order, line, status="confirmed", promised_date=TODAY - timedelta(days=2)
    )
    set_purchase_status(
        session=session,
        actor=_tracker(session, order),
        purchase_id=purchase.id,
        data=PurchaseStatusIn(
            status="received",
            arrived_on=TODAY - timedelta(days=1),
            received_quantity=purchase.quantity,
        ),
    )
    assert fired(session, "purchase_overdue") == []


def _issue(session, order, risk="high", **kwargs):
    return create_issue(
        session=session,
        actor=_tracker(session, order),
        order_id=order.id,
        description="法兰漏水",
        risk=risk,
        now=kwargs.pop("now", noon()),
        **kwargs,
    )


def test_site_issue_past_due_reminds_its_owner(session):
    order = make_procuring_order(session)
    issue = _issue(session, order, due_at=local(14))
    assert fired(session, "issue_overdue", local(13, 59)) == []
    found = fired(session, "issue_overdue", local(14, 1))
    assert [(a.entity_id, a.owner_id, a.level) for a in found] == [
        (issue.id, issue.owner_id, RiskLevel.high)
    ]


def test_sign_off_pending_longer_than_the_limit_is_chased(session):
    order = make_order(session, review_departments=["sales"])
    submit_for_review(
        session=session, actor=_tracker(session, order), order_id=order.id, now=noon()
    )
    assert fired(session, "signoff_pending", noon() + timedelta(hours=47, minutes=59)) == []
    found = fired(session, "signoff_pending", noon() + timedelta(hours=48))
    assert len(found) == 1 and "会签" in found[0].message


def test_daily_report_missing_fires_at_the_groups_cutoff(session):
    order = make_procuring_order(session)
    worker = make_user(session, Role.site_engineer)
    add_to_order(session, order, worker, Role.site_engineer)
    make_chat_group(session, order_ids=[order.id])  # default cut-off 20:00
    if TODAY.weekday() == 6:  # the default schedule is Monday to Saturday
        assert fired(session, "report_missing", local(21)) == []
        return
    assert fired(session, "report_missing", local(19, 59)) == []
    found = fired(session, "report_missing", local(20))
    assert worker.id in {a.owner_id for a in found}


def test_daily_report_filed_is_not_missing(session):
    order = make_procuring_order(session)
    worker = make_user(session, Role.site_engineer)
    add_to_order(session, order, worker, Role.site_engineer)
    make_chat_group(session, order_ids=[order.id])
    submit_daily_report(
        session=session,
        actor=act(session, worker),
        order_id=order.id,
        done_today="安装",
        now=noon(),
    )
    assert worker.id not in {a.owner_id for a in fired(session, "report_missing", local(21))}


def _key_shortage(session, days):
    order = make_procuring_order(session)
    backup = make_supplier(session, name="备选钢厂")
    material = make_material(session, is_key=True, backup_supplier_id=backup.id)
    line = make_bom_line(session, order, material=material, needed=10, days=days)
    return order, line, backup


def test_key_material_not_secured_inside_its_window_is_a_shortage(session):
    _, line, _backup = _key_shortage(session, days=7)
    found = fired(session, "key_shortage")
    assert [(a.entity_id, a.level) for a in found] == [(line.id, RiskLevel.medium)]
    sent = [o for o in outbox_rows(session) if o.kind == "alert"]
    assert sent == []  # no group follows the order and nobody bound: nothing to send


def test_key_material_outside_its_window_is_not_a_shortage(session):
    _key_shortage(session, days=8)
    assert fired(session, "key_shortage") == []


def test_shortage_repeats_daily_and_escalates_when_the_need_date_passes(session):
    _, _line, _ = _key_shortage(session, days=1)
    assert len(fired(session, "key_shortage")) == 1
    assert len(fired(session, "key_shortage", local(9, days=1))) == 2  # the next day again
    found = fired(session, "key_shortage", local(9, days=2))
    assert found[1].since == found[0].since  # the same exception, still unacknowledged
    assert found[-1].level == RiskLevel.high
    assert found[-1].since == local(9, days=2)  # a new level starts its own clock


def test_shortage_carries_the_contingency_plan_with_the_backup_supplier(session):
    from app.services.risk import ensure_default_plans

    ensure_default_plans(session=session)
    order, _, backup = _key_shortage(session, days=3)
    make_chat_group(session, order_ids=[order.id])
    run(session, only={"key_shortage"})
    [message] = [o.message for o in outbox_rows(session) if o.kind == "alert"]
    assert "应急预案" in message["text"] and backup.name in message["text"]


def test_predicted_delay_warns_before_the_line_is_late(session):
    from app.services.procurement import set_purchase_status
    from models.purchasing import PurchaseStatusIn

    slow = make_supplier(session)
    order = make_procuring_order(session)
    tracker = _tracker(session, order)
    for _ in range(20):  # history (the minimum): this supplier is ten days late every time
        line = make_bom_line(session, order, days=40)
        p = make_purchase(
            session,
            order,
            line,
            supplier=slow,
            status="confirmed",
            promised_date=TODAY - timedelta(days=30),
        )
        set_purchase_status(
            session=session,
            actor=tracker,
            purchase_id=p.id,
            data=PurchaseStatusIn(
                status="received",
                arrived_on=TODAY - timedelta(days=20),
                received_quantity=p.quantity,
            ),
        )
    tight = make_bom_line(session, order, days=5)
    make_purchase(
        session,
        order,
        tight,
        supplier=slow,
        status="confirmed",
        promised_date=TODAY + timedelta(days=3),
    )
    roomy = make_bom_line(session, order, days=30)
    make_purchase(
        session,
        order,
        roomy,
        supplier=slow,
        status="confirmed",
        promised_date=TODAY + timedelta(days=3),
    )
    found = fired(session, "predicted_delay")
    assert [a.entity_type for a in found] == ["purchase_line"]
    assert "概率" in found[0].message


def test_no_rule_fires_on_a_quiet_order(session):
    make_procuring_order(session)
    run(session)
    assert alerts(session) == []


def outbox_rows(session):
    from tests.alerting import outbox

    return outbox(session)


def test_acknowledged_site_issue_is_not_escalated(session):
    order = make_procuring_order(session)
    issue = _issue(session, order, risk="high", due_at=local(13))
    run(session, local(13, 30))
    from models.people import User

    owner = act(session, session.get(User, issue.owner_id))
    acknowledge_issue(session=session, actor=owner, issue_id=issue.id, now=local(13, 40))
    session.commit()
    run(session, local(18))
    assert alerts(session, "escalate_manager") == []


def test_acknowledging_a_missing_report_covers_that_day_only(session):
    from app.services.alerts import acknowledge_alert

    order = make_procuring_order(session)
    worker = make_user(session, Role.site_engineer)
    add_to_order(session, order, worker, Role.site_engineer)
    late = local(21)
    if TODAY.weekday() >= 5:
        return  # needs two working days in a row (Monday to Saturday by default)
    [first] = [a for a in fired(session, "report_missing", late) if a.owner_id == worker.id]
    acknowledge_alert(session=session, actor=act(session, worker), alert_id=first.id, now=late)
    session.commit()
    again = fired(session, "report_missing", local(21, days=1))
    assert [a.day for a in again if a.owner_id == worker.id][-1] == TODAY + timedelta(days=1)
