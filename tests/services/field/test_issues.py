from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.services.core import configure, settings
from app.services.field import (
    acknowledge_issue,
    create_issue,
    get_issue,
    list_issues,
    reopen_issue,
    resolve_issue,
    update_issue,
    verify_issue,
)
from app.services.orders import cancel_order
from models.changes import ChangeLog
from models.enums import IssueAction, IssueCategory, IssueState, RiskLevel, Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.issues import IssueEvent, IssueUpdate, SiteIssue
from models.people import User
from tests.factories import act, add_to_order, count, make_order, make_user

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


class Crew:
    """An order with a tracker (liaison), a site engineer, a production lead and a quality
    inspector on it, each with an actor."""

    def __init__(self, session):
        self.session = session
        self.order = make_order(session)
        self.tracker = act(session, session.get(User, self.order.liaison_id))
        self.engineer = self._member(Role.site_engineer)
        self.production = self._member(Role.production)
        self.quality = self._member(Role.quality)

    def _member(self, role):
        user = make_user(self.session, role)
        add_to_order(self.session, self.order, user, role)
        return act(self.session, user)

    def resolved(self, owner):
        """An issue of this owner, resolved by them."""
        issue = self.issue(owner=owner)
        resolve_issue(session=self.session, actor=owner, issue_id=issue.id, resolution="已处理")
        return issue

    def issue(self, risk=RiskLevel.medium, owner=None, **values):
        owner = owner or self.production
        return create_issue(
            session=self.session,
            actor=self.engineer,
            order_id=self.order.id,
            description=values.pop("description", "法兰密封面划伤"),
            risk=risk,
            owner_id=owner.id,
            now=values.pop("now", NOW),
            **values,
        )


@pytest.fixture()
def crew(session):
    return Crew(session)


def _events(session, issue):
    query = select(IssueEvent).where(IssueEvent.issue_id == issue.id).order_by(IssueEvent.id)
    return [(e.action, e.from_state, e.to_state, e.actor_id) for e in session.exec(query)]


def test_the_closed_loop_stores_who_and_when_and_the_kpi_times(crew):
    s, owner, engineer = crew.session, crew.production, crew.engineer
    issue = crew.issue(risk=RiskLevel.high, location="2 号机组", category=IssueCategory.quality)
    assert issue.state == IssueState.open and issue.due_at == NOW + timedelta(hours=2)
    acknowledge_issue(session=s, actor=owner, issue_id=issue.id, now=NOW + timedelta(minutes=30))
    assert issue.state == IssueState.in_progress and issue.response_seconds == 1800
    resolve_issue(
        session=s,
        actor=owner,
        issue_id=issue.id,
        resolution="已补焊打磨",
        now=NOW + timedelta(hours=3),
    )
    assert issue.state == IssueState.resolved and issue.resolution_seconds == 3 * 3600
    verify_issue(session=s, actor=engineer, issue_id=issue.id, now=NOW + timedelta(hours=4))
    assert issue.state == IssueState.verified and issue.verified_by_id == engineer.id
    assert _events(s, issue) == [
        (IssueAction.created, None, IssueState.open, engineer.id),
        (IssueAction.acknowledged, IssueState.open, IssueState.in_progress, owner.id),
        (IssueAction.resolved, IssueState.in_progress, IssueState.resolved, owner.id),
        (IssueAction.verified, IssueState.resolved, IssueState.verified, engineer.id),
    ]
    states = s.exec(
        select(ChangeLog.new_value)
        .where(ChangeLog.entity == "site_issue", ChangeLog.field == "state")
        .order_by(ChangeLog.id)
    ).all()
    assert states == ["in_progress", "resolved", "verified"]


def test_a_reopened_issue_keeps_its_first_response_time_and_needs_a_new_resolution(crew):
    s, owner = crew.session, crew.production
    issue = crew.issue()
    acknowledge_issue(session=s, actor=owner, issue_id=issue.id, now=NOW + timedelta(minutes=10))
    resolve_issue(session=s, actor=owner, issue_id=issue.id, resolution="已处理", now=NOW)
    reopen_issue(session=s, actor=crew.quality, issue_id=issue.id, reason="仍有渗漏")
    assert issue.state == IssueState.reopened
    assert issue.resolution_seconds is None and issue.resolved_by_id is None
    reason = s.exec(select(IssueEvent.note).where(IssueEvent.action == "reopened")).one()
    assert reason == "仍有渗漏"
    acknowledge_issue(session=s, actor=owner, issue_id=issue.id, now=NOW + timedelta(hours=5))
    assert issue.response_seconds == 600
    resolve_issue(
        session=s,
        actor=owner,
        issue_id=issue.id,
        resolution="更换垫片",
        now=NOW + timedelta(hours=6),
    )
    assert issue.resolution_seconds == 6 * 3600


def test_resolving_straight_from_open_counts_as_the_first_response(crew):
    s, owner = crew.session, crew.production
    issue = crew.issue()
    resolve_issue(
        session=s,
        actor=owner,
        issue_id=issue.id,
        resolution="当场处理",
        now=NOW + timedelta(hours=1),
    )
    assert issue.response_seconds == issue.resolution_seconds == 3600


def test_only_the_owner_acknowledges_and_resolves(crew):
    s = crew.session
    issue = crew.issue(owner=crew.production)
    with pytest.raises(Forbidden) as err:
        acknowledge_issue(session=s, actor=crew.engineer, issue_id=issue.id)
    assert err.value.code == "not_issue_owner"
    with pytest.raises(Forbidden):
        resolve_issue(session=s, actor=crew.tracker, issue_id=issue.id, resolution="x")
    assert issue.state == IssueState.open and len(_events(s, issue)) == 1


def test_nobody_verifies_their_own_resolution(crew):
    s = crew.session
    issue = crew.resolved(crew.engineer)
    with pytest.raises(Forbidden) as err:
        verify_issue(session=s, actor=crew.engineer, issue_id=issue.id)
    assert err.value.code == "own_resolution"
    assert issue.state == IssueState.resolved


def test_verification_needs_a_tracker_quality_or_site_engineer(crew):
    s = crew.session
    issue = crew.resolved(crew.engineer)
    with pytest.raises(Forbidden) as err:
        verify_issue(session=s, actor=crew.production, issue_id=issue.id)
    assert err.value.code == "forbidden_role"
    with pytest.raises(Forbidden):
        reopen_issue(session=s, actor=crew.production, issue_id=issue.id, reason="不行")
    verify_issue(session=s, actor=crew.quality, issue_id=issue.id)
    assert issue.state == IssueState.verified


@pytest.mark.parametrize(
    ("steps", "action"),
    [
        ([], "verify"),
        ([], "reopen"),
        (["ack"], "ack"),
        (["resolve"], "ack"),
        (["resolve"], "resolve"),
        (["resolve", "verify"], "resolve"),
        (["resolve", "verify"], "reopen"),
        (["resolve", "verify"], "verify"),
        (["resolve", "verify"], "ack"),
    ],
)
def test_forbidden_transitions_are_refused_and_change_nothing(crew, steps, action):
    s, owner, quality = crew.session, crew.production, crew.quality
    issue = crew.issue()
    run = {
        "ack": lambda: acknowledge_issue(session=s, actor=owner, issue_id=issue.id),
        "resolve": lambda: resolve_issue(
            session=s, actor=owner, issue_id=issue.id, resolution="好"
        ),
        "verify": lambda: verify_issue(session=s, actor=quality, issue_id=issue.id),
        "reopen": lambda: reopen_issue(session=s, actor=quality, issue_id=issue.id, reason="不行"),
    }
    for step in steps:
        run[step]()
    state, events = issue.state, len(_events(s, issue))
    with pytest.raises(Conflict) as err:
        run[action]()
    assert err.value.code == "issue_state" and f"#{issue.id}" in err.value.message
    assert issue.state == state and len(_events(s, issue)) == events


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"description": "  "}, "description"),
        ({"risk": "extreme"}, "risk"),
        ({"category": "weather"}, "category"),
        ({"location": "x" * 201}, "location"),
    ],
)
def test_bad_issue_input_is_refused_and_nothing_stored(crew, values, field):
    with pytest.raises(InvalidInput) as err:
        crew.issue(**values)
    assert field in {f["field"] for f in err.value.details["fields"]}
    assert count(crew.session, SiteIssue) == 0 and count(crew.session, IssueEvent) == 0


def test_the_owner_must_be_a_member_and_the_due_time_in_the_future(crew):
    s = crew.session
    outsider = act(s, make_user(s, Role.production))
    with pytest.raises(InvalidInput, match="责任人必须是本订单的成员"):
        crew.issue(owner=outsider)
    with pytest.raises(InvalidInput, match="处理期限必须晚于现在"):
        crew.issue(due_at=NOW - timedelta(minutes=1))
    assert count(s, SiteIssue) == 0


def test_the_owner_defaults_to_the_liaison_and_due_times_follow_the_risk_matrix(crew):
    s = crew.session
    saved = settings().issue_limit_hours
    configure(issue_limit_hours={"high": 1, "medium": 8, "low": 48})
    try:
        issue = create_issue(
            session=s,
            actor=crew.engineer,
            order_id=crew.order.id,
            description="围栏缺失",
            risk="low",
            now=NOW,
        )
    finally:
        configure(issue_limit_hours=saved)
    assert issue.owner_id == crew.order.liaison_id
    assert issue.due_at == NOW + timedelta(hours=48)


def test_a_due_time_without_a_zone_is_local_time(crew):
    issue = crew.issue(due_at=datetime(2026, 11, 25, 18, 0))
    assert issue.due_at == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def test_only_members_create_issues_and_not_on_closed_orders(crew):
    s = crew.session
    stranger = act(s, make_user(s, Role.site_engineer))
    with pytest.raises(Forbidden):
        create_issue(session=s, actor=stranger, order_id=crew.order.id, description="x", risk="low")
    issue = crew.issue()
    cancel_order(session=s, actor=crew.tracker, order_id=crew.order.id, reason="取消")
    with pytest.raises(Conflict) as err:
        crew.issue()
    assert err.value.code == "order_closed"
    with pytest.raises(Conflict):
        acknowledge_issue(session=s, actor=crew.production, issue_id=issue.id)


def test_reassigning_an_issue_in_progress_waits_for_the_new_owner(crew):
    s = crew.session
    issue = crew.issue(owner=crew.production)
    acknowledge_issue(session=s, actor=crew.production, issue_id=issue.id)
    update_issue(
        session=s,
        actor=crew.tracker,
        issue_id=issue.id,
        data=IssueUpdate(owner_id=crew.engineer.id),
    )
    assert issue.owner_id == crew.engineer.id and issue.state == IssueState.open
    with pytest.raises(Forbidden):
        acknowledge_issue(session=s, actor=crew.production, issue_id=issue.id)
    acknowledge_issue(session=s, actor=crew.engineer, issue_id=issue.id)
    assert IssueAction.reassigned in [e[0] for e in _events(s, issue)]


def test_changing_the_risk_restarts_the_clock_and_strangers_cannot_edit(crew):
    s = crew.session
    issue = crew.issue(risk=RiskLevel.low)
    update_issue(
        session=s,
        actor=crew.engineer,
        issue_id=issue.id,
        data=IssueUpdate(risk=RiskLevel.high),
        now=NOW + timedelta(hours=1),
    )
    assert issue.due_at == NOW + timedelta(hours=3)
    with pytest.raises(Forbidden):
        update_issue(
            session=s, actor=crew.production, issue_id=issue.id, data=IssueUpdate(location="x")
        )


def test_listing_filters_by_state_risk_owner_and_overdue(crew):
    s = crew.session
    late = crew.issue(risk=RiskLevel.high, now=NOW - timedelta(hours=3))
    fresh = crew.issue(risk=RiskLevel.low, owner=crew.engineer)
    done = crew.issue(risk=RiskLevel.high, now=NOW - timedelta(hours=5))
    resolve_issue(session=s, actor=crew.production, issue_id=done.id, resolution="好")

    def ids(**filters):
        rows, total = list_issues(session=s, actor=crew.tracker, now=NOW, **filters)
        assert total == len(rows)
        return {i.id for i in rows}

    assert ids() == {late.id, fresh.id, done.id}
    assert ids(overdue=True) == {late.id}
    assert ids(overdue=False) == {fresh.id, done.id}
    assert ids(risk=RiskLevel.high, state=IssueState.open) == {late.id}
    assert ids(owner_id=crew.engineer.id) == {fresh.id}
    assert ids(order_id=crew.order.id, state=IssueState.resolved) == {done.id}
    other = make_order(s)
    with pytest.raises(Forbidden):
        list_issues(session=s, actor=crew.engineer, order_id=other.id)
    outsider = act(s, make_user(s, Role.site_engineer))
    assert list_issues(session=s, actor=outsider)[1] == 0


def test_an_unknown_issue_number_is_not_found(crew):
    with pytest.raises(NotFound, match="#999"):
        get_issue(session=crew.session, actor=crew.tracker, issue_id=999)


def test_a_verified_issue_can_no_longer_be_edited(crew):
    s = crew.session
    issue = crew.resolved(crew.production)
    verify_issue(session=s, actor=crew.quality, issue_id=issue.id)
    with pytest.raises(Conflict) as err:
        update_issue(
            session=s, actor=crew.tracker, issue_id=issue.id, data=IssueUpdate(location="别处")
        )
    assert err.value.code == "issue_closed" and issue.location == ""
