from datetime import timedelta

import pytest
from sqlalchemy import event

from app.services.field import create_issue
from app.services.insight import order_overview
from app.services.orders import (
    update_stage,
)
from models import clock
from models.base import utcnow
from models.dashboard import OverviewFilters
from models.enums import Role, StageKind
from models.stages import StageUpdate
from tests.factories import (
    act,
    add_to_order,
    make_bom_line,
    make_order,
    make_procuring_order,
    make_purchase,
    make_user,
)

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _risky_order(session, tracker, n: int):
    """A procuring order with a shortage, a late purchase, an overdue issue, a late stage."""
    order = make_procuring_order(session, liaison=tracker, customer=f"风险客户{n}")
    line = make_bom_line(session, order, days=3)
    other = make_bom_line(session, order, days=40)
    make_purchase(session, order, other, promised_date=clock.today() - timedelta(days=2))
    create_issue(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        description="法兰漏水",
        risk="high",
        now=utcnow() - timedelta(hours=5),
    )
    update_stage(
        session=session,
        actor=act(session, tracker),
        order_id=order.id,
        kind=StageKind.procurement,
        data=StageUpdate(
            planned_start=clock.today() - timedelta(days=20),
            planned_end=clock.today() - timedelta(days=4),
        ),
    )
    return order, line


def test_an_order_with_warnings_comes_first_with_every_warning_in_words(session):
    tracker = make_user(session, Role.tracker)
    calm = make_order(session, liaison=tracker, customer="平安客户")
    risky, _ = _risky_order(session, tracker, 1)
    overview = order_overview(session=session, actor=act(session, tracker))
    assert [r.id for r in overview.items] == [risky.id, calm.id]
    row = overview.items[0]
    texts = [w.text for w in row.warnings]
    assert "物料采购超期 4 天" in texts
    assert "超期问题点 1 个（高风险 1 个）" in texts
    assert "缺料 1 项" in texts
    assert "采购逾期 1 行" in texts
    # 3 (stage) + 4 (overdue high issue) + 1 (shortage) + 2 (late purchase) + 2 (open high)
    assert row.risk_score == 12
    assert row.open_issues == {"high": 1, "medium": 0, "low": 0}
    assert row.at_risk and not overview.items[1].at_risk
    assert overview.at_risk == 1
    assert row.next_milestone.name == "物料采购完成" and row.next_milestone.days_left == -4


def test_filters_by_stage_liaison_customer_and_risk(session):
    li = make_user(session, Role.tracker)
    wang = make_user(session, Role.tracker)
    draft = make_order(session, liaison=li, customer="华东化工")
    risky, _ = _risky_order(session, wang, 2)
    manager = act(session, make_user(session, Role.manager))

    def codes(**filters):
        overview = order_overview(
            session=session, actor=manager, filters=OverviewFilters(**filters)
        )
        return {r.id for r in overview.items}

    assert codes() == {draft.id, risky.id}
    assert codes(stage=StageKind.procurement) == {risky.id}
    assert codes(stage=StageKind.review) == {draft.id}
    assert codes(liaison_id=li.id) == {draft.id}
    assert codes(customer="华东") == {draft.id}
    assert codes(at_risk=True) == {risky.id}
    assert codes(at_risk=False) == {draft.id}


def test_a_member_sees_only_the_orders_they_belong_to(session):
    engineer = make_user(session, Role.site_engineer)
    mine = make_order(session)
    make_order(session)
    add_to_order(session, mine, engineer, Role.site_engineer)
    overview = order_overview(session=session, actor=act(session, engineer))
    assert [r.id for r in overview.items] == [mine.id]


def _statements(session, actor) -> int:
    engine = session.get_bind()
    seen = []

    def count(*_args):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        order_overview(session=session, actor=actor)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("more", [6])
def test_the_number_of_queries_does_not_grow_with_the_orders(session, more):
    tracker = make_user(session, Role.tracker)
    actor = act(session, tracker)
    for n in range(2):
        _risky_order(session, tracker, n)
    session.commit()
    few = _statements(session, actor)
    for n in range(more):
        _risky_order(session, tracker, 10 + n)
    session.commit()
    many = _statements(session, actor)
    assert len(order_overview(session=session, actor=actor).items) == 2 + more
    assert many == few
    assert few <= 8
