"""Retrospective (复盘) after acceptance: the draft from the order's data, feedback from tracker,
customer and supplier, and improvement items adopted into the SOP checklist templates.

Refused before acceptance: there is nothing to look back on while the order runs."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, load_order, require_member, require_order_role, validated
from app.services.field import acceptance_of
from app.services.insight._retro_draft import build_draft
from app.services.orders import add_template
from app.services.people import user_brief, users_by_id
from models.acceptance import Acceptance
from models.base import utcnow
from models.enums import FEEDBACK_SOURCE_NAMES, STAGE_NAMES, FeedbackSource, Role
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.orders import Order
from models.purchasing import PurchaseLine
from models.retro import (
    FeedbackIn,
    FeedbackPublic,
    ImprovementIn,
    ImprovementPublic,
    RetroFeedback,
    RetroImprovement,
    RetroPublic,
    Retrospective,
)
from models.stages import ChecklistTemplateIn
from models.suppliers import Supplier

# Who may enter feedback of each source (besides admins): the buyer speaks for the supplier.
FEEDBACK_ROLES = {
    FeedbackSource.tracker: {Role.tracker},
    FeedbackSource.customer: {Role.tracker, Role.sales},
    FeedbackSource.supplier: {Role.buyer, Role.tracker},
}


def _accepted(session: Session, actor: Actor, order_id: int) -> tuple[Order, Acceptance]:
    order = load_order(session, actor, order_id)
    acceptance = acceptance_of(session=session, order_id=order_id)
    if acceptance is None:
        raise Conflict("订单尚未验收，验收后才能复盘", code="not_accepted")
    return order, acceptance


def _retro(session: Session, order_id: int) -> Retrospective | None:
    query = select(Retrospective).where(Retrospective.order_id == order_id)
    return session.exec(query).first()


def get_retro(
    *, session: Session, actor: Actor, order_id: int, now: datetime | None = None
) -> RetroPublic:
    """The retrospective: the saved draft (or a fresh one), feedback and improvement items."""
    order, acceptance = _accepted(session, actor, order_id)
    retro = _retro(session, order_id)
    draft = retro.draft if retro else build_draft(session, order, acceptance)
    now = now or utcnow()
    return RetroPublic(
        order_id=order_id,
        draft=draft,
        saved=retro is not None,
        conclusion=retro.conclusion if retro else "",
        created_at=retro.created_at if retro else None,
        updated_at=retro.updated_at if retro else None,
        feedback=_feedback_public(session, order_id),
        improvements=_improvements_public(session, order_id),
        generated_at=now,
    )


@acts
def save_draft(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    conclusion: str | None = None,
    now: datetime | None = None,
) -> Retrospective:
    """Save (or regenerate) the draft from the order's data now, with the conclusion."""
    order, acceptance = _accepted(session, actor, order_id)
    require_order_role(session, actor, order, {Role.tracker}, "保存复盘")
    now = now or utcnow()
    retro = _retro(session, order_id) or Retrospective(
        order_id=order_id, created_by_id=actor.id, created_at=now
    )
    retro.draft = build_draft(session, order, acceptance)
    if conclusion is not None:
        retro.conclusion = conclusion.strip()[:4000]
    retro.updated_at = now
    session.add(retro)
    session.flush()
    return retro


@acts
def add_feedback(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: FeedbackIn | dict,
    now: datetime | None = None,
) -> RetroFeedback:
    """Record feedback from the tracker, the customer or a supplier of the order."""
    data = validated(FeedbackIn, data) if isinstance(data, dict) else data
    order, _ = _accepted(session, actor, order_id)
    require_order_role(session, actor, order, FEEDBACK_ROLES[data.source], "登记复盘反馈")
    if data.source == FeedbackSource.supplier:
        _check_supplier(session, order_id, data.supplier_id)
    elif data.supplier_id is not None:
        raise InvalidInput("只有供应商反馈需要选择供应商", field="supplier_id")
    feedback = RetroFeedback(
        **data.model_dump(),
        order_id=order_id,
        created_by_id=actor.id,
        created_at=now or utcnow(),
    )
    session.add(feedback)
    session.flush()
    return feedback


def _check_supplier(session: Session, order_id: int, supplier_id: int | None) -> None:
    if supplier_id is None:
        raise InvalidInput("供应商反馈须选择供应商", field="supplier_id")
    query = select(PurchaseLine.id).where(
        PurchaseLine.order_id == order_id, PurchaseLine.supplier_id == supplier_id
    )
    if session.exec(query.limit(1)).first() is None:
        raise InvalidInput("该供应商没有为本订单供货", field="supplier_id")


@acts
def add_improvement(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: ImprovementIn | dict,
    now: datetime | None = None,
) -> RetroImprovement:
    """Write down an improvement item for the next orders."""
    data = validated(ImprovementIn, data) if isinstance(data, dict) else data
    order, _ = _accepted(session, actor, order_id)
    require_member(session, actor, order, "提出改进项")
    item = RetroImprovement(
        **data.model_dump(), order_id=order_id, created_by_id=actor.id, created_at=now or utcnow()
    )
    session.add(item)
    session.flush()
    return item


@acts
def adopt_improvement(
    *, session: Session, actor: Actor, order_id: int, improvement_id: int
) -> RetroImprovement:
    """Add the improvement item to its stage's SOP checklist template (admins), once."""
    _accepted(session, actor, order_id)
    if not actor.is_admin:
        raise Forbidden("只有管理员可以把改进项加入检查清单模板")
    item = session.get(RetroImprovement, improvement_id)
    if item is None or item.order_id != order_id:
        raise NotFound("改进项不存在", code="improvement_not_found")
    if item.template_id is not None:
        raise Conflict("该改进项已加入检查清单模板", code="already_adopted")
    template = add_template(
        session=session,
        actor=actor,
        data=ChecklistTemplateIn(
            stage_kind=item.stage_kind, title=item.title, required=item.required, position=1000
        ),
    )
    item.template_id = template.id
    session.add(item)
    session.flush()
    return item


def _feedback_public(session: Session, order_id: int) -> list[FeedbackPublic]:
    query = select(RetroFeedback).where(RetroFeedback.order_id == order_id)
    rows = list(session.exec(query.order_by(RetroFeedback.id)))
    users = users_by_id(session, [r.created_by_id for r in rows])
    ids = {r.supplier_id for r in rows if r.supplier_id is not None}
    query = select(Supplier.id, Supplier.name).where(col(Supplier.id).in_(ids))
    suppliers = dict(session.exec(query).all()) if ids else {}
    return [feedback_public(r, users, suppliers) for r in rows]


def feedback_public(row: RetroFeedback, users: dict, suppliers: dict) -> FeedbackPublic:
    return FeedbackPublic(
        **row.model_dump(exclude={"order_id", "created_by_id"}),
        source_name=FEEDBACK_SOURCE_NAMES[FeedbackSource(row.source)],
        supplier_name=suppliers.get(row.supplier_id),
        created_by=user_brief(users.get(row.created_by_id)),
    )


def _improvements_public(session: Session, order_id: int) -> list[ImprovementPublic]:
    query = select(RetroImprovement).where(RetroImprovement.order_id == order_id)
    return [improvement_public(i) for i in session.exec(query.order_by(RetroImprovement.id))]


def improvement_public(item: RetroImprovement) -> ImprovementPublic:
    return ImprovementPublic(
        **item.model_dump(exclude={"order_id", "created_by_id"}),
        stage_name=STAGE_NAMES[item.stage_kind],
        adopted=item.template_id is not None,
    )
