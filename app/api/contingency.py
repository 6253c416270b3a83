"""/api/contingency-plans: the contingency plan library (应急预案库); admins keep it."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services import risk as svc
from models.contingency import PlanCreate, PlanPublic, PlanUpdate
from models.enums import RiskType
from models.errors import NotFound

bp = APIBlueprint(
    "api_contingency",
    __name__,
    url_prefix="/api/contingency-plans",
    abp_tags=[Tag(name="应急预案")],
    abp_security=SECURITY,
)


class PlanQuery(BaseModel):
    risk_type: RiskType | None = None


class PlanPath(BaseModel):
    plan_id: int


class PlanList(BaseModel):
    items: list[PlanPublic]


@bp.get("", responses={200: PlanList})
def index(query: PlanQuery):
    """Every plan with its steps (optionally of one risk type)."""
    current_actor()
    session = db_session()
    plans = svc.list_plans(session=session)
    if query.risk_type is not None:
        plans = [p for p in plans if p.risk_type == query.risk_type]
    return ok(PlanList(items=[svc.plan_public(session, p) for p in plans]))


@bp.get("/<int:plan_id>", responses={200: PlanPublic})
def show(path: PlanPath):
    """One plan with its steps."""
    current_actor()
    session = db_session()
    plan = svc.get_plan(session=session, plan_id=path.plan_id)
    if plan is None:
        raise NotFound("应急预案不存在", code="plan_not_found")
    return ok(svc.plan_public(session, plan))


@bp.post("", responses={201: PlanPublic})
def create(body: PlanCreate):
    """Add the plan for a risk type that has none (admins)."""
    actor, session = current_actor(), db_session()
    plan = svc.create_plan(session=session, actor=actor, data=body)
    commit()
    return ok(svc.plan_public(session, plan), 201)


@bp.patch("/<int:plan_id>", responses={200: PlanPublic})
def update(path: PlanPath, body: PlanUpdate):
    """Change a plan; given steps replace all steps, in order (admins)."""
    actor, session = current_actor(), db_session()
    plan = svc.update_plan(session=session, actor=actor, plan_id=path.plan_id, data=body)
    commit()
    return ok(svc.plan_public(session, plan))


@bp.delete("/<int:plan_id>", responses={204: None})
def remove(path: PlanPath):
    """Delete a plan (admins)."""
    actor, session = current_actor(), db_session()
    svc.delete_plan(session=session, actor=actor, plan_id=path.plan_id)
    commit()
    return ok()
