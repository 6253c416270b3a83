"""The order review record (订单评审记录表): submit, sign off per department, confirm or reject."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, can_sign_for, load_order, note, require_manage_order
from app.services.orders.revisions import require_reviewable, snapshot_of
from app.services.orders.sop import open_required_items
from app.services.orders.stages import begin_stage, finish_stage, list_stages
from app.services.people import get_department
from models.base import utcnow
from models.enums import OrderStatus, ReviewStatus, SignoffStatus, StageKind, StageStatus
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.orders import Order, Review, Signoff


def current_review(*, session: Session, order_id: int) -> Review | None:
    """The latest review round of an order, or None if it was never submitted."""
    query = select(Review).where(Review.order_id == order_id)
    return session.exec(query.order_by(col(Review.round).desc())).first()


def signoffs(*, session: Session, review_id: int) -> list[Signoff]:
    """The sign-off lines of a review round, in department order."""
    query = select(Signoff).where(Signoff.review_id == review_id)
    return list(session.exec(query.order_by(Signoff.department_id)))


def get_review(*, session: Session, actor: Actor, order_id: int) -> Review:
    """The order's current review round; NotFound when it was never submitted."""
    load_order(session, actor, order_id)
    review = current_review(session=session, order_id=order_id)
    if review is None:
        raise NotFound("订单尚未提交评审", code="review_not_found")
    return review


@acts
def submit_for_review(
    *, session: Session, actor: Actor, order_id: int, now: datetime | None = None
) -> Review:
    """Send a draft order to review: one sign-off line per required department."""
    now = now or utcnow()
    order = load_order(session, actor, order_id, for_update=True)
    require_manage_order(session, actor, order, "提交评审")
    if order.status != OrderStatus.draft:
        raise Conflict("只有草稿状态的订单可以提交评审", code="not_draft")
    require_reviewable(order)
    last = current_review(session=session, order_id=order_id)
    review = Review(
        order_id=order.id,
        round=(last.round + 1) if last else 1,
        submitted_by_id=actor.id,
        submitted_at=now,
    )
    session.add(review)
    session.flush()
    for code in order.review_departments:
        dept = get_department(session=session, code=code)
        session.add(Signoff(review_id=review.id, order_id=order.id, department_id=dept.id))
    order.status = OrderStatus.in_review
    order.updated_at = now
    session.add(order)
    review_stage = _review_stage(session, order.id)
    begin_stage(session=session, stage=review_stage, now=now)
    session.flush()
    return review


def _review_stage(session: Session, order_id: int):
    return next(
        s for s in list_stages(session=session, order_id=order_id) if s.kind == StageKind.review
    )


def _signoff_for(session: Session, actor: Actor, review: Review, dept_code: str) -> Signoff:
    dept = get_department(session=session, code=dept_code)
    if dept is None:
        raise NotFound(f"部门代码 {dept_code} 不存在")
    line = session.exec(
        select(Signoff).where(Signoff.review_id == review.id, Signoff.department_id == dept.id)
    ).first()
    if line is None:
        raise NotFound(f"本次评审不需要{dept.name}会签", code="signoff_not_required")
    if not can_sign_for(actor, dept.id):
        raise Forbidden(f"只有{dept.name}的人员可以代表{dept.name}会签", code="wrong_department")
    return line


@acts
def decide_signoff(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    department: str,
    approve: bool,
    reason: str | None = None,
    now: datetime | None = None,
) -> Review:
    """A department signs the review or rejects it with a reason."""
    now = now or utcnow()
    order = load_order(session, actor, order_id, for_update=True)
    review = current_review(session=session, order_id=order_id)
    if order.status != OrderStatus.in_review or review is None:
        raise Conflict("订单当前不在评审中", code="not_in_review")
    line = _signoff_for(session, actor, review, department)
    if line.status != SignoffStatus.pending:
        raise Conflict("该部门已经会签过", code="already_decided")
    if not approve and not (reason and reason.strip()):
        raise InvalidInput("驳回时必须填写原因", field="reason")
    line.status = SignoffStatus.signed if approve else SignoffStatus.rejected
    line.user_id = actor.id
    line.reason = reason.strip() if reason else None
    line.signed_at = now
    line.snapshot = snapshot_of(order)
    session.add(line)
    session.flush()
    if not approve:
        _reject(session, order, review, line.reason, now)
    elif all(
        s.status == SignoffStatus.signed for s in signoffs(session=session, review_id=review.id)
    ):
        _approve(session, order, review, now)
    return review


def _reject(session: Session, order: Order, review: Review, reason: str, now: datetime) -> None:
    review.status = ReviewStatus.rejected
    review.decided_at = now
    order.status = OrderStatus.draft
    order.updated_at = now
    note(session, order, f"评审驳回：{reason}")
    session.add_all([review, order])
    session.flush()


def _approve(session: Session, order: Order, review: Review, now: datetime) -> None:
    review.status = ReviewStatus.approved
    review.decided_at = now
    order.status = OrderStatus.confirmed
    order.updated_at = now
    session.add_all([review, order])
    session.flush()
    stage = _review_stage(session, order.id)
    # With review SOP items still open, the stage stays open for the liaison to finish.
    if stage.status == StageStatus.in_progress and not open_required_items(
        session=session, stage=stage
    ):
        finish_stage(session=session, stage=stage, now=now)


@acts
def withdraw_review(
    *, session: Session, actor: Actor, order_id: int, now: datetime | None = None
) -> Review:
    """Pull an order back from review to draft before it is decided."""
    now = now or utcnow()
    order = load_order(session, actor, order_id, for_update=True)
    require_manage_order(session, actor, order, "撤回评审")
    review = current_review(session=session, order_id=order_id)
    if order.status != OrderStatus.in_review or review is None:
        raise Conflict("订单当前不在评审中", code="not_in_review")
    review.status = ReviewStatus.withdrawn
    review.decided_at = now
    order.status = OrderStatus.draft
    order.updated_at = now
    session.add_all([review, order])
    session.flush()
    return review
