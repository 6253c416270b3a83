"""/api/orders/<id>/retro: the retrospective after acceptance."""

from __future__ import annotations

from flask_openapi3 import Tag

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import insight as svc
from models.retro import (
    FeedbackIn,
    FeedbackPublic,
    ImprovementIn,
    ImprovementPublic,
    RetroConclusionIn,
    RetroPublic,
)

bp = APIBlueprint(
    "api_retro",
    __name__,
    url_prefix="/api/orders/<int:order_id>/retro",
    abp_tags=[Tag(name="复盘")],
    abp_security=SECURITY,
)


class ImprovementPath(OrderPath):
    improvement_id: int


def _retro(order_id: int):
    return ok(svc.get_retro(session=db_session(), actor=current_actor(), order_id=order_id))


@bp.get("", responses={200: RetroPublic})
def show(path: OrderPath):
    """The retrospective (409 before acceptance): draft, feedback and improvement items."""
    return _retro(path.order_id)


@bp.post("/draft", responses={200: RetroPublic})
def save(path: OrderPath, body: RetroConclusionIn):
    """Save the draft as the order's data says now, with the conclusion."""
    svc.save_draft(
        session=db_session(),
        actor=current_actor(),
        order_id=path.order_id,
        conclusion=body.conclusion,
    )
    commit()
    return _retro(path.order_id)


@bp.post("/feedback", responses={201: FeedbackPublic})
def feedback(path: OrderPath, body: FeedbackIn):
    """Feedback from the tracker, the customer or a supplier (entered by the buyer)."""
    session = db_session()
    svc.add_feedback(session=session, actor=current_actor(), order_id=path.order_id, data=body)
    commit()
    retro = svc.get_retro(session=session, actor=current_actor(), order_id=path.order_id)
    return ok(retro.feedback[-1], 201)


@bp.post("/improvements", responses={201: ImprovementPublic})
def improve(path: OrderPath, body: ImprovementIn):
    """Write down an improvement item (for a stage's SOP checklist)."""
    item = svc.add_improvement(
        session=db_session(), actor=current_actor(), order_id=path.order_id, data=body
    )
    commit()
    return ok(svc.improvement_public(item), 201)


@bp.post("/improvements/<int:improvement_id>/adopt", responses={200: ImprovementPublic})
def adopt(path: ImprovementPath):
    """Add the improvement item to its stage's SOP checklist template (admins)."""
    item = svc.adopt_improvement(
        session=db_session(),
        actor=current_actor(),
        order_id=path.order_id,
        improvement_id=path.improvement_id,
    )
    commit()
    return ok(svc.improvement_public(item))
