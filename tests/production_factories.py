"""Factories for production, inspection and shipment tests: a confirmed order with its team,
operations, a passed inspection. Everything goes through the real services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from app.services.core import Actor
from app.services.orders import decide_signoff, start_stage, submit_for_review, upload_photo
from app.services.production import create_operation, report_output
from app.services.shipping import record_inspection
from models.enums import InspectionKind, InspectionResult, Role, StageKind
from models.orders import Order
from models.people import User
from models.production import Operation, OperationCreate, OperationLink
from models.quality import Inspection, InspectionCreate
from tests.factories import act, add_to_order, bearer, make_order, make_user
from tests.images import jpeg

# Noon in Shanghai on a Wednesday: far from midnight, so local and UTC dates agree.
NOW = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)
TODAY = date(2026, 3, 4)
_seq = itertools.count(1)


@dataclass
class Team:
    session: object
    order: Order
    tracker: User
    production: User
    quality: User
    logistics: User
    buyer: User

    def actor(self, who: str) -> Actor:
        """The actor for one of the team ("tracker", "production", ...)."""
        return act(self.session, getattr(self, who))

    def headers(self, who: str) -> dict:
        """API headers for one of the team."""
        return bearer(getattr(self, who))


def make_team(
    session,
    *,
    confirmed: bool = True,
    production_started: bool = False,
    production_done: bool = False,
) -> Team:
    """An order (confirmed unless told, its review stage closed) with a tracker liaison and
    production, quality, logistics and buyer members; production started (after procurement,
    done through its records) or production done (an operation reported complete) if told."""
    from tests.stage_factories import finish_procurement, finish_production, finish_review

    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, review_departments=["sales"])
    team = Team(
        session=session,
        order=order,
        tracker=tracker,
        production=make_user(session, Role.production),
        quality=make_user(session, Role.quality),
        logistics=make_user(session, Role.logistics),
        buyer=make_user(session, Role.buyer),
    )
    for role in (Role.production, Role.quality, Role.logistics, Role.buyer):
        add_to_order(session, order, getattr(team, role.value), role)
    if confirmed:
        liaison = act(session, tracker)
        submit_for_review(session=session, actor=liaison, order_id=order.id, now=NOW)
        decide_signoff(
            session=session,
            actor=act(session, make_user(session, Role.sales)),
            order_id=order.id,
            department="sales",
            approve=True,
            now=NOW,
        )
        finish_review(session, order, NOW)
    if production_done:
        finish_production(session, order, NOW)
    elif production_started:
        finish_procurement(session, order, NOW)
        start_stage(
            session=session,
            actor=act(session, tracker),
            order_id=order.id,
            kind=StageKind.production,
            now=NOW,
        )
    session.flush()
    return team


def make_operation(session, team: Team, **overrides) -> Operation:
    """An operation planned over the ten days from TODAY - 4, every day a working day."""
    data = {
        "name": f"工序{next(_seq)}",
        "planned_qty": 100,
        "planned_start": TODAY - timedelta(days=4),
        "planned_end": TODAY + timedelta(days=5),
        "work_weekdays": [1, 2, 3, 4, 5, 6, 7],
    }
    data.update(overrides)
    return create_operation(
        session=session,
        actor=act(session, team.production),
        order_id=team.order.id,
        data=OperationCreate(**data),
        now=NOW,
    )


def report(session, team: Team, op: Operation, who: str = "production", **fields):
    """Report an operation's output (10 today unless told) as one of the team."""
    fields.setdefault("day", TODAY)
    fields.setdefault("quantity", 10)
    return report_output(
        session=session,
        actor=team.actor(who),
        order_id=team.order.id,
        operation_id=op.id,
        now=NOW,
        **fields,
    )


def links_of(session, order_id: int) -> set[tuple[int, int]]:
    """The (upstream, downstream) operation pairs of an order."""
    rows = session.exec(select(OperationLink).where(OperationLink.order_id == order_id)).all()
    return {(r.upstream_id, r.downstream_id) for r in rows}


def photo_id(session, team: Team, seed: int = 1) -> int:
    """An uploaded photo of the team's order."""
    photo = upload_photo(
        session=session,
        actor=act(session, team.tracker),
        order_id=team.order.id,
        data=jpeg(seed=seed),
        now=NOW,
    )
    return photo.id


def pass_inspection(session, team: Team, **overrides) -> Inspection:
    """A full inspection of a lot of 10 that passed, an hour before NOW."""
    data = {
        "kind": InspectionKind.full,
        "lot_size": 10,
        "passed_qty": 10,
        "failed_qty": 0,
        "result": InspectionResult.passed,
        "inspected_at": NOW - timedelta(hours=1),
    }
    data.update(overrides)
    return record_inspection(
        session=session,
        actor=act(session, team.quality),
        order_id=team.order.id,
        data=InspectionCreate(**data),
        now=NOW,
    )
