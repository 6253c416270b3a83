"""/api/orders/<id>/costs and /payments: the cost centre and the payment milestones."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import finance as svc
from app.services.core import local_date
from models.base import utcnow
from models.costs import (
    BudgetIn,
    CostEntryIn,
    CostEntryPublic,
    CostReport,
    FundView,
    MilestoneGenerateIn,
    MilestonePlanIn,
    MilestonePublic,
    MilestoneUpdate,
    PaymentIn,
)

bp = APIBlueprint(
    "api_costs",
    __name__,
    url_prefix="/api/orders/<int:order_id>",
    abp_tags=[Tag(name="成本与回款")],
    abp_security=SECURITY,
)


class EntryPath(OrderPath):
    entry_id: int


class MilestonePath(OrderPath):
    milestone_id: int


def _report(order_id: int):
    return ok(svc.cost_report(session=db_session(), actor=current_actor(), order_id=order_id))


def _funds(order_id: int):
    return ok(svc.fund_view(session=db_session(), actor=current_actor(), order_id=order_id))


def _milestone(milestone) -> BaseModel:
    return svc.milestone_public(milestone, local_date(utcnow()))


@bp.get("/costs", responses={200: CostReport})
def report(path: OrderPath):
    """Budget against actual per category (material, labour, logistics, other), with the lines."""
    return _report(path.order_id)


@bp.put("/costs/budget", responses={200: CostReport})
def budget(path: OrderPath, body: BudgetIn):
    """Set the budget of the categories given (yuan, two places; others keep theirs)."""
    svc.set_budget(session=db_session(), actor=current_actor(), order_id=path.order_id, data=body)
    commit()
    return _report(path.order_id)


@bp.post("/costs/entries", responses={201: CostEntryPublic})
def add_entry(path: OrderPath, body: CostEntryIn):
    """Enter a cost by hand."""
    session = db_session()
    entry = svc.add_cost_entry(
        session=session, actor=current_actor(), order_id=path.order_id, data=body
    )
    commit()
    return ok(svc.entries_public(session, [entry])[0], 201)


@bp.delete("/costs/entries/<int:entry_id>", responses={204: None})
def delete_entry(path: EntryPath):
    """Remove a cost entered by mistake."""
    svc.delete_cost_entry(
        session=db_session(),
        actor=current_actor(),
        order_id=path.order_id,
        entry_id=path.entry_id,
    )
    commit()
    return ok()


@bp.get("/payments", responses={200: FundView})
def funds(path: OrderPath):
    """The fund view: milestones with receivable, received, outstanding and overdue money."""
    return _funds(path.order_id)


@bp.post("/payments/generate", responses={200: FundView})
def generate(path: OrderPath, body: MilestoneGenerateIn):
    """Generate the milestones from the order's payment terms (e.g. 30%预付，60%发货，10%质保金)."""
    svc.generate_milestones(
        session=db_session(),
        actor=current_actor(),
        order_id=path.order_id,
        contract_amount=body.contract_amount,
        replace=body.replace,
    )
    commit()
    return _funds(path.order_id)


@bp.put("/payments", responses={200: FundView})
def replace_plan(path: OrderPath, body: MilestonePlanIn):
    """Replace the milestone plan (percentages must add up to 100; nothing received yet)."""
    svc.set_milestones(
        session=db_session(), actor=current_actor(), order_id=path.order_id, data=body
    )
    commit()
    return _funds(path.order_id)


@bp.patch("/payments/<int:milestone_id>", responses={200: MilestonePublic})
def update(path: MilestonePath, body: MilestoneUpdate):
    """Rename a milestone, move its due date or change its note."""
    milestone = svc.update_milestone(
        session=db_session(),
        actor=current_actor(),
        order_id=path.order_id,
        milestone_id=path.milestone_id,
        data=body,
    )
    commit()
    return ok(_milestone(milestone))


@bp.post("/payments/<int:milestone_id>/receipts", responses={200: MilestonePublic})
def receive(path: MilestonePath, body: PaymentIn):
    """Record money received against a milestone (partial payments add up)."""
    milestone = svc.record_payment(
        session=db_session(),
        actor=current_actor(),
        order_id=path.order_id,
        milestone_id=path.milestone_id,
        data=body,
    )
    commit()
    return ok(_milestone(milestone))
