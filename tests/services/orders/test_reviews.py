import pytest
from sqlmodel import select

from app.services.orders import (
    checklist,
    current_review,
    decide_signoff,
    list_stages,
    set_checklist_item,
    signoffs,
    submit_for_review,
    withdraw_review,
)
from models.changes import ChangeLog
from models.enums import OrderStatus, ReviewStatus, Role, SignoffStatus, StageKind, StageStatus
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.factories import act, make_order, make_user

DEPTS = ["sales", "engineering", "production"]
SIGNER_ROLE = {"sales": Role.sales, "engineering": Role.engineering, "production": Role.production}


@pytest.fixture()
def setup(session):
    tracker = make_user(session, Role.tracker)
    order = make_order(session, liaison=tracker, review_departments=DEPTS)
    signers = {d: make_user(session, SIGNER_ROLE[d]) for d in DEPTS}
    return session, act(session, tracker), order, signers


def _sign(session, order, signers, dept, approve=True, reason=None):
    return decide_signoff(
        session=session,
        actor=act(session, signers[dept]),
        order_id=order.id,
        department=dept,
        approve=approve,
        reason=reason,
    )


def _review_stage(session, order):
    return next(
        s for s in list_stages(session=session, order_id=order.id) if s.kind == StageKind.review
    )


def test_submitting_opens_one_signoff_per_required_department(setup):
    session, tracker, order, _ = setup
    review = submit_for_review(session=session, actor=tracker, order_id=order.id)
    lines = signoffs(session=session, review_id=review.id)
    assert len(lines) == 3 and {s.status for s in lines} == {SignoffStatus.pending}
    assert order.status == OrderStatus.in_review
    assert _review_stage(session, order).status == StageStatus.in_progress


def test_order_is_confirmed_only_when_every_department_has_signed(setup):
    session, tracker, order, signers = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    _sign(session, order, signers, "sales")
    _sign(session, order, signers, "engineering")
    assert order.status == OrderStatus.in_review
    review = _sign(session, order, signers, "production")
    assert review.status == ReviewStatus.approved
    assert order.status == OrderStatus.confirmed


def test_review_stage_stays_open_until_its_own_checklist_is_done(setup):
    session, tracker, order, signers = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    for dept in DEPTS:
        _sign(session, order, signers, dept)
    assert _review_stage(session, order).status == StageStatus.in_progress


def test_review_stage_closes_itself_when_checklist_was_done_before_the_last_signature(setup):
    session, tracker, order, signers = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    stage = _review_stage(session, order)
    for item in checklist(session=session, stage_id=stage.id):
        set_checklist_item(
            session=session, actor=tracker, order_id=order.id, item_id=item.id, done=True
        )
    for dept in DEPTS:
        _sign(session, order, signers, dept)
    assert _review_stage(session, order).status == StageStatus.done


def test_a_rejection_needs_a_reason_and_sends_the_order_back_to_draft(setup):
    session, tracker, order, signers = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    with pytest.raises(InvalidInput):
        _sign(session, order, signers, "engineering", approve=False, reason="  ")
    review = _sign(session, order, signers, "engineering", approve=False, reason="图纸版本不一致")
    assert review.status == ReviewStatus.rejected
    assert order.status == OrderStatus.draft
    notes = session.exec(select(ChangeLog.note).where(ChangeLog.order_id == order.id)).all()
    assert "评审驳回：图纸版本不一致" in notes


def test_resubmitting_after_rejection_starts_a_new_round(setup):
    session, tracker, order, signers = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    _sign(session, order, signers, "sales", approve=False, reason="交期太紧")
    second = submit_for_review(session=session, actor=tracker, order_id=order.id)
    assert second.round == 2
    assert current_review(session=session, order_id=order.id).id == second.id


def test_only_the_departments_own_people_sign_for_it(setup):
    session, tracker, order, signers = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    with pytest.raises(Forbidden):
        decide_signoff(
            session=session,
            actor=act(session, signers["sales"]),
            order_id=order.id,
            department="engineering",
            approve=True,
        )


def test_a_department_not_on_the_review_cannot_see_it_or_sign(setup):
    session, tracker, order, _ = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    quality = make_user(session, Role.quality)
    with pytest.raises(Forbidden):
        decide_signoff(
            session=session,
            actor=act(session, quality),
            order_id=order.id,
            department="quality",
            approve=True,
        )
    admin = make_user(session, Role.admin)
    with pytest.raises(NotFound) as err:
        decide_signoff(
            session=session,
            actor=act(session, admin),
            order_id=order.id,
            department="quality",
            approve=True,
        )
    assert err.value.code == "signoff_not_required"


def test_a_department_signs_once(setup):
    session, tracker, order, signers = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    _sign(session, order, signers, "sales")
    with pytest.raises(Conflict):
        _sign(session, order, signers, "sales")


def test_signing_a_draft_is_refused(setup):
    session, _, order, _ = setup
    admin = make_user(session, Role.admin)
    with pytest.raises(Conflict) as err:
        decide_signoff(
            session=session,
            actor=act(session, admin),
            order_id=order.id,
            department="sales",
            approve=True,
        )
    assert err.value.code == "not_in_review"


def test_submitting_twice_is_refused(setup):
    session, tracker, order, _ = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    with pytest.raises(Conflict):
        submit_for_review(session=session, actor=tracker, order_id=order.id)


def test_withdrawing_returns_the_order_to_draft(setup):
    session, tracker, order, _ = setup
    submit_for_review(session=session, actor=tracker, order_id=order.id)
    review = withdraw_review(session=session, actor=tracker, order_id=order.id)
    assert review.status == ReviewStatus.withdrawn and order.status == OrderStatus.draft
