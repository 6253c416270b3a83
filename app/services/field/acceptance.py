"""Customer acceptance (验收): it closes the acceptance stage through its gate and the order.

Acceptance is refused while a high-risk site issue is not verified, while an earlier stage is
not done, or while a required SOP item of the acceptance stage is open. The items stating a
fact are derived (orders/checks.py): every issue verified, the completion report and the user
manual uploaded, the acceptance recorded. Acceptance is the only way the acceptance stage
closes; the order becomes completed and the actual delivery date is recorded with whether it
was on time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, select

from app.services.core import (
    STAGE_ROLES,
    Actor,
    acts,
    load_order,
    local_date,
    note,
    require_order_role,
    validated,
)
from app.services.field.documents import current_documents
from app.services.field.issues import unclosed_issues
from app.services.orders import (
    attach_photos,
    begin_stage,
    check_source,
    finish_stage,
    list_stages,
    open_required_items,
)
from models.acceptance import Acceptance, AcceptanceIn, OrderDocument
from models.base import utcnow
from models.enums import (
    STAGE_NAMES,
    AcceptanceMethod,
    DocumentKind,
    OrderStatus,
    RiskLevel,
    StageKind,
    StageStatus,
)
from models.errors import Conflict, InvalidInput, NotFound
from models.orders import Order
from models.stages import Stage

FORM_ENTITY = "acceptance"
ACCEPTED_ITEM = "客户验收单已签署"


def _check_acceptable(session: Session, order: Order) -> Stage:
    """Refuse acceptance of an order not ready for it; return its acceptance stage."""
    if order.status == OrderStatus.completed:
        raise Conflict("订单已验收", code="already_accepted")
    if order.status == OrderStatus.cancelled:
        raise Conflict("订单已取消", code="order_closed")
    if order.status not in OrderStatus.executing():
        raise Conflict("订单评审通过后才能验收", code="order_not_confirmed")
    stages = list_stages(session=session, order_id=order.id)
    earlier = [s for s in stages if s.kind != StageKind.acceptance and s.status != "done"]
    if earlier:
        names = "、".join(STAGE_NAMES[StageKind(s.kind)] for s in earlier)
        raise Conflict(f"以下阶段尚未完成，不能验收：{names}", code="stages_open")
    risky = unclosed_issues(session=session, order_id=order.id, risk=RiskLevel.high)
    if risky:
        names = "；".join(f"#{i.id} {i.description[:30]}" for i in risky)
        raise Conflict(
            f"以下高风险问题点尚未关闭，不能验收：{names}",
            code="open_high_risk_issues",
            issues=[i.id for i in risky],
        )
    return next(s for s in stages if s.kind == StageKind.acceptance)


@check_source(StageKind.acceptance, "问题点全部关闭", "问题点：全部已验证关闭")
def issues_verified(*, session: Session, order_id: int) -> bool:
    """Every site issue of the order is verified."""
    return not unclosed_issues(session=session, order_id=order_id)


@check_source(
    StageKind.acceptance, "竣工报告与用户操作手册已提交", "文件：已上传竣工报告和用户操作手册"
)
def handover_documents(*, session: Session, order_id: int) -> bool:
    """The completion report and the user manual are uploaded."""
    docs = current_documents(session=session, order_id=order_id)
    return {DocumentKind.completion_report, DocumentKind.user_manual} <= set(docs)


@check_source(StageKind.acceptance, ACCEPTED_ITEM, "验收记录：签字验收单或客户通过验收链接确认")
def acceptance_recorded(*, session: Session, order_id: int) -> bool:
    """The customer's acceptance is recorded."""
    return acceptance_of(session=session, order_id=order_id) is not None


def ready_for_acceptance(*, session: Session, order: Order) -> Stage:
    """Refuse acceptance of an order that is not ready, before anything is written; return
    the acceptance stage."""
    stage = _check_acceptable(session, order)
    if stage.status == StageStatus.done:
        return stage
    missing = open_required_items(session=session, stage=stage, ignore=frozenset({ACCEPTED_ITEM}))
    if missing:
        names = "、".join(i.title for i in missing)
        raise Conflict(
            f"以下必做检查项未完成，不能验收：{names}",
            code="stage_gate",
            open_items=[i.id for i in missing],
        )
    return stage


def close_by_acceptance(
    session: Session,
    actor: Actor,
    order: Order,
    stage: Stage,
    acceptance: Acceptance,
    text: str,
) -> Acceptance:
    """Close the acceptance stage through its gate (the acceptance now recorded), complete the
    order."""
    now = acceptance.recorded_at
    if stage.status != StageStatus.done:
        if stage.status == StageStatus.not_started:
            begin_stage(session=session, stage=stage, now=now)
        finish_stage(session=session, stage=stage, now=now)
    order.status = OrderStatus.completed
    order.actual_delivery_date = acceptance.accepted_on
    order.updated_at = now
    note(session, order, text)
    session.add_all([acceptance, order])
    session.flush()
    return acceptance


def punctuality(order: Order, accepted_on: date) -> dict:
    """Whether acceptance on that day is on time for the order, and how many days late."""
    late = (accepted_on - order.delivery_date).days
    return {"accepted_on": accepted_on, "on_time": late <= 0, "days_late": max(0, late)}


def _accepted_on(value: date | None, order: Order, now: datetime) -> date:
    today = local_date(now)
    day = value or today
    if day > today:
        raise InvalidInput("验收日期不能晚于今天", field="accepted_on")
    if day < local_date(order.created_at):
        raise InvalidInput("验收日期不能早于订单创建日期", field="accepted_on")
    return day


def _form_document(session: Session, order: Order, document_id: int) -> OrderDocument:
    document = session.get(OrderDocument, document_id)
    if document is None or document.order_id != order.id:
        raise NotFound("验收单文件不存在或不属于本订单", field="form_document_id")
    if document.kind != DocumentKind.acceptance_form:
        raise InvalidInput("请选择上传为“客户验收单”的文件", field="form_document_id")
    return document


@acts
def record_acceptance(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    form_photo_ids: Sequence[int] = (),
    form_document_id: int | None = None,
    signer_name: str = "",
    satisfaction: int | None = None,
    comment: str = "",
    accepted_on: date | None = None,
    now: datetime | None = None,
) -> Acceptance:
    """Record the customer's signed acceptance form (photos or a PDF) and close the order."""
    now = now or utcnow()
    data = validated(
        AcceptanceIn,
        {
            "form_photo_ids": list(form_photo_ids),
            "form_document_id": form_document_id,
            "signer_name": signer_name,
            "satisfaction": satisfaction,
            "comment": comment,
            "accepted_on": accepted_on,
        },
    )
    order = load_order(session, actor, order_id, for_update=True)
    require_order_role(session, actor, order, STAGE_ROLES[StageKind.acceptance], "登记验收")
    if bool(data.form_photo_ids) == (data.form_document_id is not None):
        raise InvalidInput(
            "请上传签字验收单的照片或 PDF（二选一），或发送验收链接给客户确认", field="form"
        )
    ready = ready_for_acceptance(session=session, order=order)
    acceptance = _signed_form(session, actor, order, data, now)
    return close_by_acceptance(session, actor, order, ready, acceptance, "客户验收，订单完成")


def _signed_form(session, actor, order: Order, data: AcceptanceIn, now) -> Acceptance:
    document = None
    if data.form_document_id is not None:
        document = _form_document(session, order, data.form_document_id)
    acceptance = Acceptance(
        order_id=order.id,
        method=AcceptanceMethod.pdf if document else AcceptanceMethod.photo,
        form_document_id=document.id if document else None,
        signer_name=data.signer_name,
        satisfaction=data.satisfaction,
        comment=data.comment,
        **punctuality(order, _accepted_on(data.accepted_on, order, now)),
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    session.add(acceptance)
    session.flush()
    attach_photos(
        session=session,
        order_id=order.id,
        photo_ids=data.form_photo_ids,
        entity=FORM_ENTITY,
        entity_id=acceptance.id,
    )
    return acceptance


def get_acceptance(*, session: Session, actor: Actor, order_id: int) -> Acceptance:
    """The order's acceptance; NotFound while it is not accepted."""
    load_order(session, actor, order_id)
    acceptance = acceptance_of(session=session, order_id=order_id)
    if acceptance is None:
        raise NotFound("订单尚未验收", code="acceptance_not_found")
    return acceptance


def acceptance_of(*, session: Session, order_id: int) -> Acceptance | None:
    """The order's acceptance, or None."""
    return session.exec(select(Acceptance).where(Acceptance.order_id == order_id)).first()
