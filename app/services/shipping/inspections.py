"""Quality inspection: full or sampling inspections with defects and photos; a failed
inspection opens rework, which a re-inspection follows; and the shipment gate (nothing ships
unless the order's latest inspection, by the server's recording time, passed and no rework is
open). A pass while rework is open is refused: the rework is finished and re-inspected first."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, load_order, local_date, require_order_role, settings
from app.services.orders import (
    attach_photos,
    check_source,
    open_order,
    refuse_closed,
    require_executing,
    require_member_in_role,
    row_of_order,
    sync_order_checks,
)
from models.base import utcnow
from models.enums import (
    InspectionKind,
    InspectionResult,
    ReworkStatus,
    Role,
    StageKind,
)
from models.errors import Conflict, InvalidInput, NotFound
from models.orders import Order
from models.quality import Inspection, InspectionCreate, InspectionDefect, Rework

INSPECTORS = {Role.quality, Role.tracker}
REWORKERS = {Role.quality, Role.production, Role.tracker}
INSPECTION_FIELDS = {
    "kind",
    "lot_no",
    "lot_size",
    "sample_size",
    "passed_qty",
    "failed_qty",
    "result",
    "note",
}


PASSED_ITEM = "成品检验合格"


def _inspected_qty(data: InspectionCreate) -> int:
    if data.kind == InspectionKind.full:
        if data.sample_size is not None and data.sample_size != data.lot_size:
            raise InvalidInput("全检的检验数量就是批量，不需要填写抽检数量", field="sample_size")
        return data.lot_size
    if data.sample_size is None:
        raise InvalidInput("抽检时必须填写抽检数量", field="sample_size")
    if data.sample_size > data.lot_size:
        raise InvalidInput(
            f"抽检数量（{data.sample_size}）不能大于批量（{data.lot_size}）", field="sample_size"
        )
    return data.sample_size


def _check_result(data: InspectionCreate, inspected: int) -> None:
    if data.passed_qty + data.failed_qty != inspected:
        raise InvalidInput(
            f"合格数（{data.passed_qty}）与不合格数（{data.failed_qty}）之和"
            f"应等于检验数量（{inspected}）",
            field="failed_qty",
        )
    passed = data.result == InspectionResult.passed
    if passed and data.kind == InspectionKind.full and data.failed_qty:
        raise InvalidInput("全检有不合格品时，结论不能是合格", field="result")
    if not passed and not data.defects:
        raise InvalidInput("不合格时必须记录至少一项缺陷", field="defects")
    if not passed and data.rework is None:
        raise InvalidInput("不合格时必须安排返工（内容、负责人、完成期限）", field="rework")
    if passed and data.rework is not None:
        raise InvalidInput("检验合格时不需要安排返工", field="rework")


def _inspected_at(value: datetime | None, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings().tz)
    if value > now:
        raise InvalidInput("检验时间不能在未来", field="inspected_at")
    return value.astimezone(UTC)


def _rework_to_reinspect(session: Session, order_id: int, rework_id: int) -> Rework:
    rework = session.get(Rework, rework_id)
    if rework is None or rework.order_id != order_id:
        raise NotFound("要复检的返工不存在或不属于本订单", field="reinspects_rework_id")
    if rework.status != ReworkStatus.done:
        raise Conflict("返工尚未完成，不能复检", code="rework_open")
    if rework.reinspection_id is not None:
        raise Conflict("该返工已经复检过", code="rework_reinspected")
    return rework


def _check_people(session: Session, actor: Actor, order: Order, data: InspectionCreate, now):
    inspector_id = data.inspector_id or actor.id
    if inspector_id is None:
        raise InvalidInput("请指定检验员", field="inspector_id")
    require_member_in_role(session, order, inspector_id, Role.quality, "inspector_id", "检验员")
    if data.rework is not None:
        owner = data.rework.owner_id
        require_member_in_role(session, order, owner, None, "rework.owner_id", "返工负责人")
        if data.rework.due_date < local_date(now):
            raise InvalidInput("返工完成期限不能早于今天", field="rework.due_date")
    return inspector_id


@acts
def record_inspection(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: InspectionCreate,
    now: datetime | None = None,
) -> Inspection:
    """Record an inspection with its defects; a failed one opens its rework."""
    now = now or utcnow()
    order = open_order(session, actor, order_id, INSPECTORS, "记录成品检验")
    require_executing(order, "记录成品检验")
    inspected = _inspected_qty(data)
    _check_result(data, inspected)
    at = _inspected_at(data.inspected_at, now)
    inspector_id = _check_people(session, actor, order, data, now)
    redone = None
    if data.reinspects_rework_id is not None:
        redone = _rework_to_reinspect(session, order_id, data.reinspects_rework_id)
    if data.result == InspectionResult.passed:
        _refuse_open_rework(session, order_id, "不能判定检验合格，请先完成返工再复检")
    inspection = Inspection(
        **data.model_dump(include=INSPECTION_FIELDS),
        order_id=order_id,
        inspected_qty=inspected,
        inspector_id=inspector_id,
        recorded_by_id=actor.id,
        inspected_at=at,
        created_at=now,
    )
    session.add(inspection)
    session.flush()
    _add_defects(session, inspection, data)
    if data.rework is not None:
        rework = Rework(**data.rework.model_dump(), order_id=order_id, created_at=now)
        rework.inspection_id = inspection.id
        session.add(rework)
    if redone is not None:
        redone.reinspection_id = inspection.id
        session.add(redone)
    session.flush()
    sync_order_checks(session=session, order_id=order_id, now=now)
    return inspection


def _refuse_open_rework(session: Session, order_id: int, then: str) -> None:
    reworks = open_reworks(session=session, order_id=order_id)
    if reworks:
        ids = "、".join(f"#{r.id}" for r in reworks)
        raise Conflict(
            f"返工 {ids} 尚未完成，{then}",
            code="rework_open",
            reworks=[r.id for r in reworks],
        )


def open_reworks(*, session: Session, order_id: int) -> list[Rework]:
    """The order's rework not done yet."""
    query = select(Rework).where(Rework.order_id == order_id, Rework.status != ReworkStatus.done)
    return list(session.exec(query.order_by(Rework.id)))


@check_source(
    StageKind.delivery, PASSED_ITEM, "最近一次成品检验（按系统记录时间）合格且无未完成返工"
)
def inspection_passed(*, session: Session, order_id: int) -> bool:
    """The latest inspection by server time passed and no rework is open."""
    last = last_inspection(session=session, order_id=order_id)
    if last is None or last.result != InspectionResult.passed:
        return False
    return not open_reworks(session=session, order_id=order_id)


def _add_defects(session: Session, inspection: Inspection, data: InspectionCreate) -> None:
    for item in data.defects:
        defect = InspectionDefect(
            **item.model_dump(exclude={"photo_ids"}),
            inspection_id=inspection.id,
            order_id=inspection.order_id,
        )
        session.add(defect)
        session.flush()
        attach_photos(
            session=session,
            order_id=inspection.order_id,
            photo_ids=item.photo_ids,
            entity="inspection_defect",
            entity_id=defect.id,
        )


@acts
def complete_rework(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    rework_id: int,
    note: str | None = None,
    now: datetime | None = None,
) -> Rework:
    """Mark rework done (its owner, production, quality or the tracker); a re-inspection follows."""
    order = load_order(session, actor, order_id, for_update=True)
    rework = row_of_order(session, Rework, rework_id, order_id, "返工")
    if actor.id is None or rework.owner_id != actor.id:
        require_order_role(session, actor, order, REWORKERS, "完成返工")
    refuse_closed(order)
    if rework.status == ReworkStatus.done:
        raise Conflict("返工已经完成", code="rework_done")
    rework.status = ReworkStatus.done
    rework.done_at = now or utcnow()
    rework.done_by_id = actor.id
    rework.done_note = note
    session.add(rework)
    session.flush()
    sync_order_checks(session=session, order_id=order_id, now=rework.done_at)
    return rework


def list_inspections(*, session: Session, actor: Actor, order_id: int) -> list[Inspection]:
    """The order's inspections, latest first."""
    load_order(session, actor, order_id)
    query = select(Inspection).where(Inspection.order_id == order_id)
    return list(session.exec(query.order_by(*_latest_first())))


def get_inspection(*, session: Session, actor: Actor, order_id: int, inspection_id: int):
    """One inspection of the order."""
    load_order(session, actor, order_id)
    return row_of_order(session, Inspection, inspection_id, order_id, "检验记录")


def list_reworks(
    *, session: Session, actor: Actor, order_id: int, status: ReworkStatus | None = None
) -> list[Rework]:
    """The order's rework, by due date."""
    load_order(session, actor, order_id)
    query = select(Rework).where(Rework.order_id == order_id)
    if status is not None:
        query = query.where(Rework.status == status)
    return list(session.exec(query.order_by(Rework.due_date, Rework.id)))


def _latest_first():
    return col(Inspection.inspected_at).desc(), col(Inspection.id).desc()


def last_inspection(*, session: Session, order_id: int) -> Inspection | None:
    """The order's latest inspection by the server's recording time (the client-set
    inspected_at is what the inspector reports, not what orders the gate), or None."""
    query = select(Inspection).where(Inspection.order_id == order_id)
    latest = col(Inspection.created_at).desc(), col(Inspection.id).desc()
    return session.exec(query.order_by(*latest).limit(1)).first()


def require_passed_inspection(*, session: Session, order_id: int) -> Inspection:
    """The shipment gate: the order's last inspection, if it passed; Conflict (409) otherwise."""
    last = last_inspection(session=session, order_id=order_id)
    if last is None:
        raise Conflict("尚无成品检验记录，检验合格后才能发货", code="inspection_missing")
    if last.result != InspectionResult.passed:
        when = last.inspected_at.astimezone(settings().tz).strftime("%Y-%m-%d %H:%M")
        raise Conflict(
            f"最近一次成品检验（{when}）不合格，返工并复检合格后才能发货",
            code="inspection_not_passed",
            inspection_id=last.id,
        )
    _refuse_open_rework(session, order_id, "完成返工并复检合格后才能发货")
    return last
