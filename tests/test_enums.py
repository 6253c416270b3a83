"""The named status groups on the enums: one definition of each kind of order, issue, purchase."""

from models.enums import IssueState, OrderStatus, PurchaseStatus


def test_every_order_is_either_open_or_closed():
    assert set(OrderStatus.open()) | set(OrderStatus.closed()) == set(OrderStatus)
    assert not set(OrderStatus.open()) & set(OrderStatus.closed())
    assert OrderStatus.closed() == (OrderStatus.completed, OrderStatus.cancelled)


def test_executing_orders_are_live_and_live_orders_are_open():
    assert set(OrderStatus.executing()) < set(OrderStatus.live()) < set(OrderStatus.open())
    assert set(OrderStatus.open()) - set(OrderStatus.live()) == {OrderStatus.draft}
    assert set(OrderStatus.live()) - set(OrderStatus.executing()) == {OrderStatus.in_review}


def test_an_issue_waits_until_resolved_and_stays_unclosed_until_verified():
    assert set(IssueState.waiting()) < set(IssueState.unclosed())
    assert set(IssueState.unclosed()) - set(IssueState.waiting()) == {IssueState.resolved}
    assert set(IssueState) - set(IssueState.unclosed()) == {IssueState.verified}


def test_every_purchase_line_is_either_open_or_done():
    assert set(PurchaseStatus.open()) | set(PurchaseStatus.done()) == set(PurchaseStatus)
    assert not set(PurchaseStatus.open()) & set(PurchaseStatus.done())


def test_groups_are_tuples_in_declaration_order_for_sql_in_clauses():
    for group in (OrderStatus.open(), OrderStatus.live(), IssueState.unclosed()):
        assert isinstance(group, tuple)
    assert list(OrderStatus.open()) == list(OrderStatus)[:4]
