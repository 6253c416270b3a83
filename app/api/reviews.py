"""/api/orders/<id>/review: the order review record and department sign-offs."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import orders as svc
from app.services.orders import review_public
from models.orders import ReviewPublic, SignoffDecision

bp = APIBlueprint(
    "api_reviews",
    __name__,
    url_prefix="/api/orders/<int:order_id>/review",
    abp_tags=[Tag(name="订单评审")],
    abp_security=SECURITY,
)


class SignoffPath(OrderPath):
    department: str = Field(max_length=32, description="部门代码，例如 sales")


@bp.get("", responses={200: ReviewPublic})
def show(path: OrderPath):
    """The current review round with every department's sign-off."""
    actor, session = current_actor(), db_session()
    return ok(
        review_public(session, svc.get_review(session=session, actor=actor, order_id=path.order_id))
    )


@bp.post("", responses={201: ReviewPublic})
def submit(path: OrderPath):
    """Submit a draft order for review."""
    actor, session = current_actor(), db_session()
    review = svc.submit_for_review(session=session, actor=actor, order_id=path.order_id)
    commit()
    return ok(review_public(session, review), 201)


@bp.post("/withdraw", responses={200: ReviewPublic})
def withdraw(path: OrderPath):
    """Pull the order back to draft before the review is decided."""
    actor, session = current_actor(), db_session()
    review = svc.withdraw_review(session=session, actor=actor, order_id=path.order_id)
    commit()
    return ok(review_public(session, review))


@bp.post("/signoffs/<department>", responses={200: ReviewPublic})
def decide(path: SignoffPath, body: SignoffDecision):
    """A department signs the review, or rejects it with a reason."""
    actor, session = current_actor(), db_session()
    review = svc.decide_signoff(
        session=session,
        actor=actor,
        order_id=path.order_id,
        department=path.department,
        approve=body.approve,
        reason=body.reason,
    )
    commit()
    return ok(review_public(session, review))
