"""On PostgreSQL the sweep writes the alerts of the four high-volume rules with INSERT .. SELECT,
their message built in SQL (`SqlFinding`); everywhere else, and in a rule's own `check`, the
rule's Python `build` makes them. The two must agree to the character: these tests run the
sweep and compare every alert it wrote, and every outbox stub, with what `build` makes of the
same rows, over the cases where text formatting differs (lengths around the cut, characters
outside the BMP, times near local midnight, decimals with trailing zeros or in the thousands,
need dates ahead and past)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time, timedelta
from enum import StrEnum

import pytest
from sqlalchemy import event
from sqlmodel import select

from app.services.alerts.rendering import stub
from app.services.alerts.rules import RuleContext, load_rules, run_rule
from app.services.core import local_date, settings
from app.services.field import acknowledge_issue, create_issue
from app.services.orders import update_stage
from app.services.risk import risk_matrix
from models import clock
from models.alerts import Alert
from models.enums import Role, StageKind
from models.outbox import Outbox
from models.stages import StageUpdate
from tests.alerting import local, noon, run
from tests.clocks import PINNED_DAY, pin_clock
from tests.factories import (
    act,
    add_to_order,
    make_bom_line,
    make_chat_group,
    make_material,
    make_procuring_order,
    make_purchase,
    make_supplier,
    make_user,
)

pytestmark = pytest.mark.clock

TODAY = PINNED_DAY
_pinned_clock = pin_clock(TODAY)
SQL_RULES = ("stage_overdue", "purchase_overdue", "issue_overdue", "key_shortage")


@pytest.fixture(autouse=True)
def _postgresql_only(db):
    if db.is_sqlite:
        pytest.skip("the SQL-built findings are PostgreSQL's path; SQLite runs `build` itself")


def _tracker(session, order):
    from models.people import User

    return act(session, session.get(User, order.liaison_id))


def _late_stages(session):
    order = make_procuring_order(session)
    for days, kind in ((1, StageKind.procurement), (9, StageKind.production)):
        update_stage(
            session=session,
            actor=_tracker(session, order),
            order_id=order.id,
            kind=kind,
            data=StageUpdate(planned_end=TODAY - timedelta(days=days)),
        )
    return order


def _late_purchases(session):
    order = make_procuring_order(session)
    buyer = make_user(session, Role.buyer)
    add_to_order(session, order, buyer, Role.buyer)
    supplier = make_supplier(session, name='华东\U0001f3edA&B "钢" 厂')
    for days, is_key in ((1, False), (8, False), (2, True)):
        material = make_material(session, name=f"法兰{days}'，「DN{days}」", is_key=is_key)
        line = make_bom_line(session, order, material=material, days=20)
        make_purchase(
            session,
            order,
            line,
            supplier=supplier,
            status="confirmed",
            promised_date=TODAY - timedelta(days=days),
        )
    return order


def _overdue_issues(session):
    order = make_procuring_order(session)
    cases = (
        ("短", "high", local(0, 0)),  # local midnight: the previous UTC day
        ("长" * 39, "medium", local(23, 59, days=-1)),
        ("长" * 40, "low", local(8, 5)),
        ("长" * 41, "high", local(7, 30)),
        ("\U0001f6a7" * 41, "medium", local(11, 59)),  # astral characters: one each
        ("a\\b%_'\"" * 8, "low", local(1, 1)),
    )
    for n, (text, risk, due) in enumerate(cases):
        issue = create_issue(
            session=session,
            actor=_tracker(session, order),
            order_id=order.id,
            description=text,
            risk=risk,
            due_at=due,
            now=local(0, 0, days=-2),
        )
        if n % 2:
            acknowledge_issue(
                session=session,
                actor=_tracker(session, order),
                issue_id=issue.id,
                now=local(0, 1, days=-2),
            )
    return order


def _shortages(session):
    order = make_procuring_order(session)
    backup = make_supplier(session, name="备选厂")
    for needed, days in (("10", 3), ("2.5", 0), ("0.125", -2), ("1000", -30), ("12.340", 6)):
        material = make_material(
            session, is_key=True, unit="m³", backup_supplier_id=backup.id, name=f"钢{needed}"
        )
        make_bom_line(session, order, material=material, needed=needed, days=days)
    return order


def _context(session, now: datetime) -> RuleContext:
    return RuleContext(
        session=session,
        now=now,
        today=local_date(now),
        matrix=risk_matrix(session=session),
        settings=settings(),
    )


@contextmanager
def _statements(session):
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(session.get_bind(), "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", record)


def test_every_sql_built_alert_and_stub_is_what_build_makes(session):
    orders = [
        _late_stages(session),
        _late_purchases(session),
        _overdue_issues(session),
        _shortages(session),
    ]
    make_chat_group(session, order_ids=[o.id for o in orders])
    session.commit()
    now = clock.at_local(TODAY, time(12))
    with _statements(session) as statements:
        result = run(session, now, only=set(SQL_RULES), delivered=False)
    assert sum("INSERT INTO alert" in s and "to_char" in s for s in statements) == len(SQL_RULES)

    rules = load_rules()
    ctx = _context(session, now)
    expected = {f.key: f for name in SQL_RULES for f in run_rule(rules[name], ctx)}
    written = list(session.exec(select(Alert).where(Alert.day == ctx.today)))
    assert {a.rule for a in written} == set(SQL_RULES)
    assert len(written) == len(expected) == result.alerts == 16
    stubs = {o.alert_id: o.message for o in session.exec(select(Outbox)) if o.alert_id}
    for alert in written:
        f = expected[(alert.rule, alert.entity_type, alert.entity_id, alert.order_id, alert.level)]
        assert (alert.message, alert.owner_id) == (f.message, f.owner_id)
        assert alert.since == (f.since or now)
        assert stubs[alert.id] == stub(f)


def _plan_nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _plan_nodes(child)


ISSUES = 120  # enough alerts to fill new pages of the alert table


def test_a_first_sweep_on_an_empty_alert_table_does_not_reread_what_it_inserts(session):
    """With no alert yet, PostgreSQL plans the probe for an exception's earlier alerts as a seq
    scan of the alert table, once per found row. Inside an INSERT .. SELECT that scan used to
    re-read the rows being inserted (quadratic: 2.1 s for 15k issues, 1.7 of them there); the
    statement now computes its source in full first. The plan is forced to that seq scan and
    the pages it read counted (counts are deterministic, times are not): each probe reads the
    pages the table had before the statement, none it wrote."""
    from app.services.alerts.setwise import found_insert

    order = make_procuring_order(session)
    for n in range(ISSUES):
        create_issue(
            session=session,
            actor=_tracker(session, order),
            order_id=order.id,
            description=f"法兰漏水，需更换密封垫并复测压力（第 {n} 处）",
            risk="high",
            due_at=local(8),
            now=local(7),
        )
    session.commit()
    statement, _, _ = found_insert(load_rules()["issue_overdue"], _context(session, noon()))
    compiled = statement.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    params = {k: str(v) if isinstance(v, StrEnum) else v for k, v in compiled.params.items()}
    conn = session.connection()
    pages = conn.exec_driver_sql("SELECT pg_relation_size('alert') / 8192").scalar()
    for scan in ("indexscan", "indexonlyscan", "bitmapscan"):
        conn.exec_driver_sql(f"SET LOCAL enable_{scan} = off")
    [plan] = conn.exec_driver_sql(
        "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + str(compiled), params
    ).scalar()
    session.rollback()
    nodes = list(_plan_nodes(plan["Plan"]))
    assert [n["Actual Rows"] for n in nodes if n["Node Type"] == "ModifyTable"] == [ISSUES]
    probes = [n for n in nodes if n.get("Relation Name") == "alert" and n["Actual Loops"] > 1]
    assert probes and all(n["Node Type"] == "Seq Scan" for n in probes)  # the fresh-table plan
    assert {n["Actual Loops"] for n in probes} == {ISSUES}
    # Each probe read the table as it was before the statement: no page it wrote.
    assert {n["Shared Hit Blocks"] + n["Shared Read Blocks"] for n in probes} == {ISSUES * pages}


def test_the_sweeps_transaction_hashes_in_memory_and_compiles_nothing(session):
    """The sweep sets its own transaction's work_mem (its hashes and sorts spilled to disk at
    1M items) and turns JIT off (LLVM compiled the rule queries for about 0.6 s of a 1M sweep);
    both settings end with the transaction."""
    from app.services.alerts.sweeper import sweep

    conn = session.connection()
    before = (
        conn.exec_driver_sql("SHOW jit").scalar(),
        conn.exec_driver_sql("SHOW work_mem").scalar(),
    )
    sweep(session=session, now=noon())
    assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
    assert conn.exec_driver_sql("SHOW work_mem").scalar() == "64MB"
    session.rollback()
    conn = session.connection()
    after = (
        conn.exec_driver_sql("SHOW jit").scalar(),
        conn.exec_driver_sql("SHOW work_mem").scalar(),
    )
    assert after == before
