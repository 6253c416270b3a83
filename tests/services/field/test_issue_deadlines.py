"""Deadlines keep their history: the first due time stays, only a manager with a reason moves a
deadline later, and every change is a step of the issue's timeline."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.services.field import create_issue, respects_first_deadline, update_issue
from models.enums import IssueAction, RiskLevel, Role
from models.errors import Forbidden, InvalidInput
from models.issues import IssueEvent, IssueUpdate
from models.people import User
from tests.factories import act, add_to_order, make_order, make_user

pytestmark = pytest.mark.clock

RAISED = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
LATE = RAISED + timedelta(hours=5)


class Site:
    def __init__(self, session):
        self.session = session
        self.order = make_order(session)
        self.tracker = act(session, session.get(User, self.order.liaison_id))
        manager = make_user(session, Role.manager, Role.tracker)
        add_to_order(session, self.order, manager, Role.tracker)
        self.manager = act(session, manager)

    def high_issue(self):
        return create_issue(
            session=self.session,
            actor=self.tracker,
            order_id=self.order.id,
            description="吊装点焊缝开裂",
            risk=RiskLevel.high,
            now=RAISED,
        )

    def update(self, actor, issue, now=LATE, **values):
        return update_issue(
            session=self.session,
            actor=actor,
            issue_id=issue.id,
            data=IssueUpdate(**values),
            now=now,
        )

    def events(self, issue):
        query = select(IssueEvent).where(IssueEvent.issue_id == issue.id)
        return list(self.session.exec(query.order_by(IssueEvent.id)))


@pytest.fixture()
def site(session):
    return Site(session)


def test_an_issue_keeps_the_due_time_it_was_raised_with(site):
    issue = site.high_issue()
    assert issue.first_due_at == issue.due_at > RAISED
    assert respects_first_deadline(site.session, issue)
    assert site.events(issue)[0].due_at == issue.first_due_at


def test_lowering_then_raising_the_risk_does_not_reset_an_overdue_clock(site):
    issue = site.high_issue()
    due = issue.due_at
    assert due < LATE
    with pytest.raises(Forbidden, match="只有管理层可以降低高风险问题点的等级"):
        site.update(site.tracker, issue, risk=RiskLevel.low, reason="现场复核")
    assert issue.risk == RiskLevel.high
    site.update(site.manager, issue, risk=RiskLevel.low, reason="复核后影响有限")
    site.update(site.tracker, issue, risk=RiskLevel.high, now=LATE + timedelta(minutes=5))
    assert issue.due_at == due and issue.due_at < LATE
    assert respects_first_deadline(site.session, issue)
    notes = [e.note for e in site.events(issue)[1:]]
    assert notes[0].startswith("风险 高 → 低，处理期限不变") and "复核后影响有限" in notes[0]
    assert notes[1].startswith("风险 低 → 高")


def test_lowering_a_risk_needs_a_reason(site):
    issue = site.high_issue()
    with pytest.raises(InvalidInput, match="降低风险等级须填写原因"):
        site.update(site.manager, issue, risk=RiskLevel.medium)
    assert issue.risk == RiskLevel.high and len(site.events(issue)) == 1


def test_only_a_manager_with_a_reason_moves_a_deadline_later(site):
    issue = site.high_issue()
    later = LATE + timedelta(days=1)
    with pytest.raises(Forbidden, match="只有管理层可以推迟问题点的处理期限"):
        site.update(site.tracker, issue, due_at=later, reason="等备件")
    with pytest.raises(InvalidInput, match="推迟处理期限须填写原因") as err:
        site.update(site.manager, issue, due_at=later)
    assert err.value.details["field"] == "reason"
    assert issue.due_at == issue.first_due_at
    site.update(site.manager, issue, due_at=later, reason="备件周五到货")
    assert issue.due_at == later > issue.first_due_at
    step = site.events(issue)[-1]
    assert step.action == IssueAction.extended and step.actor_id == site.manager.id
    assert step.due_at == later and "备件周五到货" in step.note
    assert respects_first_deadline(site.session, issue)


def test_anyone_who_may_edit_brings_a_deadline_closer_and_it_is_in_the_timeline(site):
    issue = site.high_issue()
    sooner = issue.due_at - timedelta(minutes=30)
    site.update(site.tracker, issue, due_at=sooner, now=RAISED)
    step = site.events(issue)[-1]
    assert issue.due_at == sooner and step.action == IssueAction.updated
    assert step.actor_name == site.tracker.name and step.note.startswith("处理期限")


def test_a_deadline_moved_later_without_a_reasoned_extension_breaks_the_invariant(site):
    issue = site.high_issue()
    issue.due_at = issue.first_due_at + timedelta(hours=1)
    assert not respects_first_deadline(site.session, issue)
