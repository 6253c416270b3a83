"""The contingency plan library (应急预案库): one plan per risk type, with ordered steps.

Admins keep the library; a warning carries the matching plan via `plan_for`, with the backup
supplier of the material at risk (procurement's `material.backup_supplier_id`) where one is set.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, acts
from app.services.risk._contingency_defaults import DEFAULT_PLANS
from models.base import utcnow
from models.contingency import (
    BackupSupplier,
    ContingencyPlan,
    ContingencyStep,
    PlanAdvice,
    PlanCreate,
    PlanPublic,
    PlanUpdate,
    StepIn,
    StepPublic,
)
from models.enums import RISK_TYPE_NAMES, ROLE_NAMES, RiskType
from models.errors import Conflict, Forbidden, NotFound
from models.materials import Material
from models.suppliers import Supplier, SupplierContact

MATERIAL_RISKS = frozenset({RiskType.shortage, RiskType.supplier_delay})


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以维护应急预案")


def _steps(session: Session, plan_id: int) -> list[ContingencyStep]:
    query = select(ContingencyStep).where(ContingencyStep.plan_id == plan_id)
    return list(session.exec(query.order_by(ContingencyStep.position)))


def plan_public(session: Session, plan: ContingencyPlan) -> PlanPublic:
    """A plan with its steps, as the API and the warnings show it."""
    steps = [
        StepPublic(
            position=s.position,
            action=s.action,
            role=s.role,
            role_name=ROLE_NAMES[s.role] if s.role else None,
        )
        for s in _steps(session, plan.id)
    ]
    return PlanPublic(
        id=plan.id,
        risk_type=plan.risk_type,
        risk_type_name=RISK_TYPE_NAMES[plan.risk_type],
        title=plan.title,
        summary=plan.summary,
        steps=steps,
        updated_at=plan.updated_at,
    )


def list_plans(*, session: Session) -> list[ContingencyPlan]:
    """Every plan, in the order of the risk types."""
    order = {t: i for i, t in enumerate(RiskType)}
    plans = session.exec(select(ContingencyPlan)).all()
    return sorted(plans, key=lambda p: (order.get(p.risk_type, len(order)), p.id))


def get_plan(*, session: Session, plan_id: int) -> ContingencyPlan | None:
    """The plan with this id, or None."""
    return session.get(ContingencyPlan, plan_id)


def _load(session: Session, plan_id: int) -> ContingencyPlan:
    plan = session.get(ContingencyPlan, plan_id)
    if plan is None:
        raise NotFound("应急预案不存在", code="plan_not_found")
    return plan


def _replace_steps(session: Session, plan_id: int, steps: list[StepIn]) -> None:
    for old in _steps(session, plan_id):
        session.delete(old)
    session.flush()
    for position, step in enumerate(steps, start=1):
        session.add(
            ContingencyStep(plan_id=plan_id, position=position, action=step.action, role=step.role)
        )


@acts
def create_plan(
    *, session: Session, actor: Actor, data: PlanCreate, now: datetime | None = None
) -> ContingencyPlan:
    """Add the plan for a risk type that has none yet (admins)."""
    _require_admin(actor)
    query = select(ContingencyPlan.id).where(ContingencyPlan.risk_type == data.risk_type)
    if session.exec(query).first() is not None:
        raise Conflict(
            f"{RISK_TYPE_NAMES[data.risk_type]}已有应急预案，请修改现有预案", code="plan_exists"
        )
    now = now or utcnow()
    plan = ContingencyPlan(
        risk_type=data.risk_type,
        title=data.title,
        summary=data.summary,
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    session.flush()
    _replace_steps(session, plan.id, data.steps)
    session.flush()
    return plan


@acts
def update_plan(
    *,
    session: Session,
    actor: Actor,
    plan_id: int,
    data: PlanUpdate,
    now: datetime | None = None,
) -> ContingencyPlan:
    """Change a plan's title, summary and/or its steps (given steps replace all) (admins)."""
    _require_admin(actor)
    plan = _load(session, plan_id)
    if data.title is not None:
        plan.title = data.title
    if data.summary is not None:
        plan.summary = data.summary
    if data.steps is not None:
        _replace_steps(session, plan.id, data.steps)
    plan.updated_at = now or utcnow()
    session.add(plan)
    session.flush()
    return plan


@acts
def delete_plan(*, session: Session, actor: Actor, plan_id: int) -> None:
    """Remove a plan and its steps (admins)."""
    _require_admin(actor)
    plan = _load(session, plan_id)
    for step in _steps(session, plan.id):
        session.delete(step)
    session.flush()
    session.delete(plan)
    session.flush()


def backup_supplier_of(session: Session, material_id: int) -> BackupSupplier | None:
    """The material's backup supplier, with its primary contact (None if none is set or it
    no longer supplies)."""
    material = session.get(Material, material_id)
    if material is None or material.backup_supplier_id is None:
        return None
    supplier = session.get(Supplier, material.backup_supplier_id)
    if supplier is None or not supplier.is_active:
        return None
    query = select(SupplierContact).where(SupplierContact.supplier_id == supplier.id)
    contacts = session.exec(
        query.order_by(col(SupplierContact.is_primary).desc(), SupplierContact.id)
    ).all()
    contact = None
    if contacts:
        contact = " ".join(part for part in (contacts[0].name, contacts[0].phone) if part)
    return BackupSupplier(supplier_id=supplier.id, name=supplier.name, contact=contact)


def plan_for(
    session: Session,
    risk_type: RiskType,
    material_id: int | None = None,
    *,
    backup_supplier: BackupSupplier | None = None,
) -> PlanAdvice | None:
    """The plan a warning of this risk type carries (None when the library has none); for a
    material risk, with the material's backup supplier (given, or looked up by material_id)."""
    risk_type = RiskType(risk_type)
    plan = session.exec(
        select(ContingencyPlan).where(ContingencyPlan.risk_type == risk_type)
    ).first()
    if plan is None:
        return None
    supplier = None
    if risk_type in MATERIAL_RISKS:
        supplier = backup_supplier
        if supplier is None and material_id is not None:
            supplier = backup_supplier_of(session, material_id)
    return PlanAdvice(plan=plan_public(session, plan), backup_supplier=supplier)


def ensure_default_plans(*, session: Session) -> None:
    """Seed the default plans into an empty library (idempotent; deleted plans stay deleted
    once the library has any plan)."""
    if session.exec(select(ContingencyPlan.id).limit(1)).first() is not None:
        return
    now = utcnow()
    for risk_type, (title, summary, steps) in DEFAULT_PLANS.items():
        plan = ContingencyPlan(
            risk_type=risk_type, title=title, summary=summary, created_at=now, updated_at=now
        )
        session.add(plan)
        session.flush()
        _replace_steps(session, plan.id, [StepIn(action=a, role=r) for r, a in steps])
    session.flush()
