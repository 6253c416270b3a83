"""Issue 14, deliver 8: random sequences of the service calls the doors make (review and
sign, start/close/reopen stages, scans, purchases, output, inspections, rework, shipments,
documents, issues, acceptance) on SQLite and PostgreSQL, with the invariants a 跟单 manager
relies on checked after every step:

- a shipment leaves only with production done, the latest inspection passed, no rework open;
  a pass over open rework is refused;
- a completed order has its acceptance recorded;
- every stage's progress is what its records say (done: 100; derived: the records);
- a BOM line's received quantity is the sum of its counted receipt scans;
- the cost report adds up to the fen;
- no issue's due time is later than its first one unless a manager moved it with a reason.

Refusals are fine (a random walk tries many things out of order); every call runs in a
savepoint, rolled back when refused, as a door rolls back its transaction. `make test` runs a
few short examples; `pytest -m deep tests/services/test_order_stateful.py` runs many long ones
(README, "Tests").
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import func, select

from app.services.field import (
    create_issue,
    record_acceptance,
    respects_first_deadline,
    update_issue,
    upload_document,
)
from app.services.finance import cost_report
from app.services.orders import (
    close_stage,
    decide_signoff,
    derived_progress,
    list_stages,
    reopen_stage,
    start_stage,
    submit_for_review,
    upload_photo,
)
from app.services.procurement import record_scan
from app.services.shipping import complete_rework, last_inspection, open_reworks
from models.acceptance import Acceptance
from models.base import utcnow
from models.bom import BomLine
from models.enums import (
    DocumentKind,
    IssueAction,
    OrderStatus,
    RiskLevel,
    Role,
    ScanAction,
    StageKind,
    StageStatus,
)
from models.errors import DomainError
from models.issues import IssueEvent, IssueUpdate, SiteIssue
from models.materials import Material
from models.orders import Order
from models.scans import Scan
from models.shipments import Shipment
from tests.factories import (
    act,
    add_to_order,
    make_bom_line,
    make_material,
    make_order,
    make_purchase,
    make_user,
    scan_in,
)
from tests.images import jpeg
from tests.pdfs import pdf
from tests.stage_factories import (
    deliver,
    finish_operations,
    inspect,
    liaison,
    member,
    tick_by_hand,
)

KINDS = [StageKind.procurement, StageKind.production, StageKind.delivery, StageKind.acceptance]
SHIPPED = {"dispatched", "in_transit", "delivered"}


def machine_for(session):
    """The state machine class bound to one test session (each example gets a new order)."""

    class OrderProcess(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.order = make_order(session, review_departments=["sales"])
            self.boss = act(session, make_user(session, Role.manager, Role.tracker))
            add_to_order(session, self.order, self.boss.user, Role.tracker)
            self.sales = act(session, make_user(session, Role.sales))
            self.lines: list[BomLine] = []
            self.shipments: list[Shipment] = []

        def attempt(self, call, *args, **kwargs) -> bool:
            """Run a service call as a door would: kept if it succeeds, undone if refused."""
            try:
                with session.begin_nested():
                    call(*args, **kwargs)
            except DomainError:
                session.expire_all()
                return False
            return True

        @property
        def oid(self) -> int:
            return self.order.id

        def stage(self, kind):
            return next(
                s for s in list_stages(session=session, order_id=self.oid) if s.kind == kind
            )

        @rule()
        def review_and_sign(self):
            def go():
                submit_for_review(
                    session=session, actor=liaison(session, self.order), order_id=self.oid
                )
                decide_signoff(
                    session=session,
                    actor=self.sales,
                    order_id=self.oid,
                    department="sales",
                    approve=True,
                )
                tick_by_hand(session, self.order, StageKind.review)
                close_stage(
                    session=session,
                    actor=liaison(session, self.order),
                    order_id=self.oid,
                    kind=StageKind.review,
                )

            self.attempt(go)

        @rule(kind=st.sampled_from(KINDS), early=st.booleans())
        def start(self, kind, early):
            who = self.boss if early else liaison(session, self.order)
            reason = "工期紧，经理批准提前开始" if early else None
            before = self.stage(kind).seq - 1
            previous = next(
                s for s in list_stages(session=session, order_id=self.oid) if s.seq == before
            )
            started = self.attempt(
                start_stage, session=session, actor=who, order_id=self.oid, kind=kind, reason=reason
            )
            if started and previous.status != StageStatus.done:
                assert early and self.stage(kind).started_early_reason == reason

        @rule(kind=st.sampled_from(KINDS))
        def close(self, kind):
            if self.stage(kind).status == StageStatus.in_progress:
                tick_by_hand(session, self.order, kind)
            closed = self.attempt(
                close_stage,
                session=session,
                actor=liaison(session, self.order),
                order_id=self.oid,
                kind=kind,
            )
            assert not (closed and kind == StageKind.acceptance)
            if closed and kind == StageKind.production:
                assert derived_progress(session, self.oid, kind) == 100

        @rule(kind=st.sampled_from(KINDS))
        def reopen(self, kind):
            self.attempt(
                reopen_stage,
                session=session,
                actor=liaison(session, self.order),
                order_id=self.oid,
                kind=kind,
                reason="客户变更",
            )

        @rule(key=st.booleans(), needed=st.integers(1, 5), price=st.integers(1, 99999))
        def add_bom_line_with_purchase(self, key, needed, price):
            def go():
                line = make_bom_line(
                    session, self.order, make_material(session, is_key=key), needed=needed
                )
                make_purchase(session, self.order, line, unit_price=Decimal(price) / 100)
                self.lines.append(line)

            self.attempt(go)

        @rule(data=st.data(), quantity=st.integers(1, 4))
        def receive(self, data, quantity):
            if not self.lines:
                return
            line = data.draw(st.sampled_from(self.lines))
            worker = act(session, member(session, self.order, Role.warehouse))
            code = session.get(Material, line.material_id).code
            self.attempt(
                record_scan, session=session, actor=worker, data=scan_in(code, quantity=quantity)
            )

        @rule()
        def operation_done(self):
            self.attempt(finish_operations, session, self.order)

        @rule(passed=st.booleans())
        def inspection(self, passed):
            reworks_open = bool(open_reworks(session=session, order_id=self.oid))
            recorded = self.attempt(inspect, session, self.order, passed)
            if passed and reworks_open:
                assert not recorded, "a pass over open rework must be refused"

        @rule()
        def finish_rework(self):
            for rework in open_reworks(session=session, order_id=self.oid):
                owner = act(session, member(session, self.order, Role.production))
                self.attempt(
                    complete_rework,
                    session=session,
                    actor=owner,
                    order_id=self.oid,
                    rework_id=rework.id,
                )

        @rule()
        def ship(self):
            ready = self._may_ship()
            shipped = self.attempt(deliver, session, self.order)
            assert not shipped or ready, "a shipment left through a closed gate"

        def _may_ship(self) -> bool:
            last = last_inspection(session=session, order_id=self.oid)
            return (
                self.stage(StageKind.production).status == StageStatus.done
                and last is not None
                and last.result == "pass"
                and not open_reworks(session=session, order_id=self.oid)
            )

        @rule(kind=st.sampled_from([DocumentKind.completion_report, DocumentKind.user_manual]))
        def upload(self, kind):
            engineer = act(session, member(session, self.order, Role.site_engineer))
            self.attempt(
                upload_document,
                session=session,
                actor=engineer,
                order_id=self.oid,
                kind=kind,
                data=pdf(f"{kind} {self.oid}"),
            )

        @rule()
        def accept(self):
            engineer = act(session, member(session, self.order, Role.site_engineer))

            def go():
                photo = upload_photo(
                    session=session, actor=engineer, order_id=self.oid, data=jpeg(seed=self.oid)
                )
                tick_by_hand(session, self.order, StageKind.acceptance)
                record_acceptance(
                    session=session,
                    actor=engineer,
                    order_id=self.oid,
                    form_photo_ids=[photo.id],
                    signer_name="客户代表",
                )

            self.attempt(go)

        @rule(risk=st.sampled_from([RiskLevel.medium, RiskLevel.high, RiskLevel.low]))
        def raise_issue(self, risk):
            self.attempt(
                create_issue,
                session=session,
                actor=liaison(session, self.order),
                order_id=self.oid,
                description="法兰漏水（2号口）",
                risk=risk,
            )

        def _issue(self, data):
            issues = session.exec(select(SiteIssue).where(SiteIssue.order_id == self.oid)).all()
            return data.draw(st.sampled_from(issues)) if issues else None

        @rule(data=st.data(), risk=st.sampled_from(list(RiskLevel)), by_manager=st.booleans())
        def change_risk(self, data, risk, by_manager):
            """Lower or raise the risk, with a reason (lowering needs one)."""
            issue = self._issue(data)
            if issue is not None:
                self.attempt(
                    update_issue,
                    session=session,
                    actor=self.boss if by_manager else liaison(session, self.order),
                    issue_id=issue.id,
                    data=IssueUpdate(risk=risk, reason="现场已临时处理"),
                )

        @rule(data=st.data(), by_manager=st.booleans())
        def lower_and_raise_back(self, data, by_manager):
            """The bypass of the issue: lower the risk (a longer limit), then raise it back."""
            issue = self._issue(data)
            if issue is None or issue.risk == RiskLevel.low:
                return
            actor = self.boss if by_manager else liaison(session, self.order)
            for risk in (RiskLevel.low, RiskLevel(issue.risk)):
                self.attempt(
                    update_issue,
                    session=session,
                    actor=actor,
                    issue_id=issue.id,
                    data=IssueUpdate(risk=risk, reason="现场已临时处理"),
                )

        @rule(
            data=st.data(),
            hours=st.integers(1, 240),
            by_manager=st.booleans(),
            reason=st.sampled_from([None, "客户同意延期"]),
        )
        def move_due(self, data, hours, by_manager, reason):
            issue = self._issue(data)
            if issue is not None:
                self.attempt(
                    update_issue,
                    session=session,
                    actor=self.boss if by_manager else liaison(session, self.order),
                    issue_id=issue.id,
                    data=IssueUpdate(due_at=utcnow() + timedelta(hours=hours), reason=reason),
                )

        @invariant()
        def completed_means_accepted(self):
            order = session.get(Order, self.oid)
            accepted = session.exec(
                select(Acceptance).where(Acceptance.order_id == self.oid)
            ).first()
            if order.status == OrderStatus.completed:
                assert accepted is not None
                assert all(
                    s.status == StageStatus.done
                    for s in list_stages(session=session, order_id=self.oid)
                )
            else:
                assert accepted is None

        @invariant()
        def progress_is_what_the_records_say(self):
            for stage in list_stages(session=session, order_id=self.oid):
                if stage.status == StageStatus.done:
                    assert stage.progress == 100
                elif stage.status == StageStatus.in_progress:
                    derived = derived_progress(session, self.oid, stage.kind)
                    if derived is not None:
                        assert stage.progress == derived, stage.kind

        @invariant()
        def received_is_the_sum_of_counted_scans(self):
            for line in session.exec(select(BomLine).where(BomLine.order_id == self.oid)):
                scanned = session.exec(
                    select(func.coalesce(func.sum(Scan.quantity), 0)).where(
                        Scan.bom_line_id == line.id, Scan.action == ScanAction.receive
                    )
                ).one()
                assert Decimal(line.received) == Decimal(scanned)

        @invariant()
        def shipped_means_the_gate_was_open(self):
            shipped = session.exec(
                select(Shipment).where(Shipment.order_id == self.oid, Shipment.status.in_(SHIPPED))
            ).all()
            if shipped:
                assert last_inspection(session=session, order_id=self.oid) is not None

        @invariant()
        def money_adds_up_to_the_fen(self):
            report = cost_report(
                session=session, actor=liaison(session, self.order), order_id=self.oid
            )
            assert report.total_actual == sum((c.actual for c in report.categories), Decimal(0))
            for line in report.material_lines:
                assert line.amount is None or Decimal(line.amount) == Decimal(line.amount).quantize(
                    Decimal("0.01")
                )

        @invariant()
        def no_deadline_later_than_its_first_without_a_managers_reason(self):
            for issue in session.exec(select(SiteIssue).where(SiteIssue.order_id == self.oid)):
                assert respects_first_deadline(session, issue), issue.id
                if issue.due_at <= issue.first_due_at:
                    continue
                # Checked here from the timeline, not only through the service's own helper.
                extensions = session.exec(
                    select(IssueEvent).where(
                        IssueEvent.issue_id == issue.id,
                        IssueEvent.action == IssueAction.extended,
                        IssueEvent.due_at == issue.due_at,
                    )
                ).all()
                assert any(
                    e.actor_id == self.boss.id and "原因：" in (e.note or "") for e in extensions
                ), issue.id

    return OrderProcess


def _run(session, examples: int, steps: int) -> None:
    run_state_machine_as_test(
        machine_for(session),
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )


def test_the_order_process_keeps_its_invariants(session):
    _run(session, examples=3, steps=10)


@pytest.mark.deep
def test_the_order_process_keeps_its_invariants_deeply(session, request):
    if "deep" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the deep run is selected with -m deep")
    _run(session, examples=100, steps=40)
