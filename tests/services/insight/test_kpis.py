from datetime import UTC, date, datetime, timedelta

import pytest

from app.services import insight
from app.services.field import acknowledge_issue, create_issue, resolve_issue
from app.services.insight import Sample, compute_kpis, kpi, mean, months_back, rate
from app.services.procurement import set_purchase_status
from models import clock
from models.acceptance import Acceptance
from models.enums import AcceptanceMethod, PurchaseStatus, Role
from models.purchasing import PurchaseStatusIn
from tests.factories import (
    act,
    make_bom_line,
    make_order,
    make_procuring_order,
    make_purchase,
    make_supplier,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

# Mid-month, noon in Shanghai: every local day below is unambiguous.
NOW = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)


def test_months_back_crosses_the_year():
    assert months_back(date(2026, 2, 3), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_a_kpi_has_its_value_over_the_window_its_trend_and_whether_it_meets_the_target():
    samples = [
        Sample(date(2026, 5, 2), 1, 1.0),
        Sample(date(2026, 5, 20), 1, 0.0),
        Sample(date(2026, 6, 1), 2, 1.0),
        Sample(date(2026, 6, 9), 2, 1.0),
        Sample(date(2025, 1, 1), 2, 0.0),  # outside the window
    ]
    k = kpi("on_time", "准时交付率", "%", samples, ["2026-05", "2026-06"], rate, 95, "higher")
    assert k.value == 75.0 and k.count == 4 and k.met is False
    assert [(p.month, p.value, p.count) for p in k.trend] == [
        ("2026-05", 50.0, 2),
        ("2026-06", 100.0, 2),
    ]
    hours = kpi("r", "响应", "小时", samples[:2], ["2026-04", "2026-05"], mean, 2, "lower")
    assert hours.value == 0.5 and hours.met is True
    assert hours.trend[0].value is None and hours.trend[0].count == 0


def _accept(session, order, day: date, on_time: bool, satisfaction: int | None):
    session.add(
        Acceptance(
            order_id=order.id,
            method=AcceptanceMethod.link,
            accepted_on=day,
            on_time=on_time,
            days_late=0 if on_time else 3,
            satisfaction=satisfaction,
        )
    )
    session.flush()


def test_on_time_rate_and_satisfaction_come_from_acceptances_per_month_and_liaison(session):
    li = make_user(session, Role.tracker, display_name="李")
    wang = make_user(session, Role.tracker, display_name="王")
    _accept(session, make_order(session, liaison=li), date(2026, 5, 10), True, 5)
    _accept(session, make_order(session, liaison=li), date(2026, 6, 3), False, 3)
    _accept(session, make_order(session, liaison=wang), date(2026, 6, 4), True, 4)
    _accept(session, make_order(session, liaison=wang), date(2026, 6, 5), True, None)
    manager = act(session, make_user(session, Role.manager))
    result = compute_kpis(session=session, actor=manager, months=2, now=NOW)
    by_key = {k.key: k for k in result.items}
    on_time = by_key["on_time"]
    assert on_time.value == 75.0 and on_time.target == 95.0 and on_time.met is False
    assert [p.value for p in on_time.trend] == [100.0, 66.7]
    satisfaction = by_key["satisfaction"]
    assert satisfaction.value == 4.0 and satisfaction.count == 3 and satisfaction.met is False
    assert [p.value for p in satisfaction.trend] == [5.0, 3.5]
    rows = {r.name: r for r in result.liaisons}
    assert rows["李"].on_time == 50.0 and rows["李"].satisfaction == 4.0
    assert rows["王"].on_time == 100.0 and rows["王"].satisfaction == 4.0


def test_a_liaison_sees_only_the_acceptances_of_their_orders(session):
    li = make_user(session, Role.tracker)
    _accept(session, make_order(session, liaison=li), date(2026, 6, 1), True, 5)
    _accept(session, make_order(session), date(2026, 6, 1), False, 1)
    result = compute_kpis(session=session, actor=act(session, li), months=1, now=NOW)
    assert result.items[0].value == 100.0 and result.items[0].count == 1


def test_response_and_resolution_times_come_from_site_issues(session):
    tracker = make_user(session, Role.tracker)
    actor = act(session, tracker)
    order = make_procuring_order(session, liaison=tracker)
    start = NOW - timedelta(days=3)
    for response_h, resolve_h in ((1, 5), (3, 20)):
        issue = create_issue(
            session=session,
            actor=actor,
            order_id=order.id,
            description="问题",
            risk="medium",
            now=start,
        )
        acknowledge_issue(
            session=session, actor=actor, issue_id=issue.id, now=start + timedelta(hours=response_h)
        )
        resolve_issue(
            session=session,
            actor=actor,
            issue_id=issue.id,
            resolution="已处理",
            now=start + timedelta(hours=resolve_h),
        )
    result = compute_kpis(session=session, actor=actor, months=1, now=NOW)
    by_key = {k.key: k for k in result.items}
    assert by_key["response_hours"].value == 2.0 and by_key["response_hours"].met is True
    assert by_key["resolution_hours"].value == 12.5 and by_key["resolution_hours"].met is True


def test_another_response_source_plugs_in(session):
    manager = act(session, make_user(session, Role.manager))

    def alerts(_session, _actor, first, last):
        yield Sample(last, None, 4.0)

    insight.register_response_source(alerts)
    try:
        result = compute_kpis(session=session, actor=manager, months=1, now=NOW)
    finally:
        insight.RESPONSE_SOURCES.remove(alerts)
    response = next(k for k in result.items if k.key == "response_hours")
    assert response.value == 4.0 and response.met is False


def test_shortages_per_month_count_lines_short_at_their_need_date(session):
    tracker = make_user(session, Role.tracker)
    order = make_procuring_order(session, liaison=tracker)
    make_bom_line(session, order, days=-2)  # never arrived: short
    make_bom_line(session, order, days=10)  # need date still ahead: not counted yet
    result = compute_kpis(session=session, actor=act(session, tracker), months=2)
    shortages = next(k for k in result.items if k.key == "shortages")
    assert shortages.value == 1
    assert sum(p.value for p in shortages.trend) == 1


def test_supplier_on_time_rate_and_average_delay(session):
    tracker = make_user(session, Role.tracker)
    actor = act(session, tracker)
    order = make_procuring_order(session, liaison=tracker)
    good, slow = make_supplier(session, name="准时厂"), make_supplier(session, name="拖延厂")
    today = clock.today()
    for supplier, promised, arrived in (
        (good, today - timedelta(days=9), today - timedelta(days=10)),
        (slow, today - timedelta(days=8), today - timedelta(days=8)),
        (slow, today - timedelta(days=9), today - timedelta(days=3)),
    ):
        line = make_bom_line(session, order, days=30)
        purchase = make_purchase(session, order, line, supplier=supplier, promised_date=promised)
        set_purchase_status(
            session=session,
            actor=actor,
            purchase_id=purchase.id,
            data=PurchaseStatusIn(
                status=PurchaseStatus.received,
                arrived_on=arrived,
                received_quantity=purchase.quantity,
            ),
        )
    result = compute_kpis(session=session, actor=actor, months=2)
    rows = {r.name: r for r in result.suppliers}
    assert rows["准时厂"].on_time_rate == 100.0 and rows["准时厂"].average_delay_days == 0.0
    assert rows["拖延厂"].deliveries == 2
    assert rows["拖延厂"].on_time_rate == 50.0 and rows["拖延厂"].average_delay_days == 3.0
    assert result.suppliers[0].name == "拖延厂"  # the worst first
