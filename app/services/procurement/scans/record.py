"""Warehouse scans: receive, issue to production, stock check; one at a time or a queued batch.

Idempotent by client id: the first time a client id arrives its scan is applied and its
result stored; every later arrival returns that stored result marked `duplicate` (and
`content_differs` when the resend carries other content: it is not applied again either).
Receipts, alone or a run of them in a queue, are applied set-based (_receipts.py): decided in
memory on locked rows, written with executemany. An issue or a stock check runs in its own
savepoint, so a refused scan leaves nothing behind; in a batch the others still count.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from app.services.core import Actor, acts, local_date
from app.services.procurement import _stock as stock
from app.services.procurement.bom import bom_summary, refresh_procurement_progress
from app.services.procurement.errors import (
    BatchTooLarge,
    LotAlreadyReceived,
    NotAMaterialLabel,
)
from app.services.procurement.materials import SCANNERS, check_places, require_role
from app.services.procurement.scans._messages import scan_message
from app.services.procurement.scans._receipts import Outcome, quantity_of, receive_all
from app.services.procurement.scans._resolve import Resolved, resolve_code
from app.services.procurement.scans._targets import choose_line
from app.services.procurement.scans.codes import normalise_type
from models.base import utcnow
from models.bom import BomLine
from models.enums import SCAN_ACTION_NAMES, ScanAction
from models.errors import Conflict, DomainError, Unavailable
from models.materials import MaterialBrief
from models.orders import Order
from models.quantities import show
from models.scans import (
    MAX_BATCH,
    OrderRef,
    Scan,
    ScanBatchResult,
    ScanError,
    ScanIn,
    ScanOutcome,
    ScanResult,
)
from scanning.payload import clean_text


@dataclass(frozen=True)
class RejectedScan:
    """A queued scan the door could not read (bad JSON shape), with the reason."""

    client_id: str | None
    error: DomainError


def fingerprint(data: ScanIn) -> str:
    """A digest of what the scan asks for, to tell a plain resend from changed content."""
    content = {
        "result": data.result,
        "scan_type": normalise_type(data.scan_type),
        "action": str(data.action),
        "quantity": None if data.quantity is None else show(data.quantity),
        "order_id": data.order_id,
        "confirm_over": data.confirm_over,
    }
    if data.new_delivery:
        # Only when set, so that digests stored before the flag existed still match.
        content["new_delivery"] = True
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@acts
def record_scan(
    *,
    session: Session,
    actor: Actor,
    data: ScanIn,
    now: datetime | None = None,
    alone: bool = False,
) -> tuple[ScanResult, bool]:
    """Apply a scan once; return its result and whether it was applied now (False: a resend).

    `alone=True` says the session's transaction holds nothing else of value, and that the
    caller commits it right after: a receipt then runs without a savepoint and, should a
    concurrent request claim the same client id first, the transaction is rolled back and the
    scan applied again (found stored: the duplicate's answer)."""
    now = now or utcnow()
    if data.action == ScanAction.receive:
        outcome = receive_all(session, actor, [data], now, fingerprint, _replay, alone=alone)[0]
        if outcome.error is not None:
            raise outcome.error
        return outcome.result, outcome.applied
    digest = fingerprint(data)
    original = _stored(session, data)
    if original is not None:
        return _replay(actor, original, digest), False
    try:
        with session.begin_nested():
            target = _target(session, actor, data)
            scan = _claim(session, actor, data, target, digest, now)
            result = _move(session, data, target, now)
            scan.result = result.model_dump(mode="json")
            session.add(scan)
            session.flush()
    except IntegrityError:
        # The same client id was claimed by a concurrent request that committed first.
        original = _stored(session, data)
        if original is None:
            raise
        return _replay(actor, original, digest), False
    return result, True


@acts
def record_scan_batch(
    *,
    session: Session,
    actor: Actor,
    scans: list[ScanIn | RejectedScan],
    after_each: Callable[[], None] = lambda: None,
    now: datetime | None = None,
) -> ScanBatchResult:
    """Apply an offline queue in order; each scan answers for itself.

    A run of consecutive receipts is applied set-based in one go (its locks taken in id
    order); an issue or a stock check on its own. `after_each` runs after each run and each
    other scan: the doors pass their commit, so that locks taken out of id order are never
    held while others are taken (two phones replaying at once would deadlock on PostgreSQL).
    """
    check_batch_size(len(scans))
    now = now or utcnow()
    outcomes: list[ScanOutcome] = []
    for run in _runs(scans):
        if isinstance(run, list):
            outcomes.extend(_receipts(session, actor, len(outcomes), run, now))
        else:
            outcomes.append(_one(session, actor, len(outcomes), run, now))
        after_each()
    return ScanBatchResult(
        items=outcomes,
        applied=sum(1 for o in outcomes if o.status == 201),
        duplicates=sum(1 for o in outcomes if o.status == 200),
        failed=sum(1 for o in outcomes if not o.ok),
    )


def check_batch_size(size: int) -> None:
    """A batch holds 1 to MAX_BATCH scans."""
    if not size:
        raise BatchTooLarge("没有要提交的扫码记录")
    if size > MAX_BATCH:
        raise BatchTooLarge(f"一次最多提交 {MAX_BATCH} 条扫码记录，本次 {size} 条")


def _runs(scans: list[ScanIn | RejectedScan]):
    """The queue cut into runs of consecutive receipts (lists, with the unreadable scans among
    them: they touch nothing) and single other items."""
    run: list[ScanIn | RejectedScan] = []
    for item in scans:
        if isinstance(item, RejectedScan) or item.action == ScanAction.receive:
            run.append(item)
            continue
        if run:
            yield run
            run = []
        yield item
    if run:
        yield run


def _receipts(session, actor, start: int, run: list, now) -> list[ScanOutcome]:
    scans = [item for item in run if isinstance(item, ScanIn)]
    try:
        done = receive_all(session, actor, scans, now, fingerprint, _replay) if scans else []
    except OperationalError as exc:
        if exc.connection_invalidated:
            raise
        # A deadlock or lock timeout: this run only, the phone retries it.
        busy = Unavailable("系统繁忙，该条扫码未处理，请稍后重试", code="scan_busy")
        done = [Outcome(error=busy) for _ in scans]
    outcomes = iter(done)
    answers = []
    for i, data in enumerate(run):
        if isinstance(data, RejectedScan):
            answers.append(_failed(start + i, data.client_id, data.error))
            continue
        outcome = next(outcomes)
        if outcome.error is not None:
            answers.append(_failed(start + i, str(data.client_id), outcome.error))
            continue
        answers.append(
            ScanOutcome(
                index=start + i,
                client_id=str(data.client_id),
                ok=True,
                status=201 if outcome.applied else 200,
                result=outcome.result,
            )
        )
    return answers


def _one(session, actor, index: int, item, now) -> ScanOutcome:
    if isinstance(item, RejectedScan):
        return _failed(index, item.client_id, item.error)
    try:
        result, applied = record_scan(session=session, actor=actor, data=item, now=now)
    except DomainError as exc:
        return _failed(index, str(item.client_id), exc)
    except OperationalError as exc:
        if exc.connection_invalidated:
            raise
        # A deadlock or lock timeout: this scan only, the phone retries it.
        busy = Unavailable("系统繁忙，该条扫码未处理，请稍后重试", code="scan_busy")
        return _failed(index, str(item.client_id), busy)
    return ScanOutcome(
        index=index,
        client_id=str(item.client_id),
        ok=True,
        status=201 if applied else 200,
        result=result,
    )


def _failed(index: int, client_id: str | None, exc: DomainError) -> ScanOutcome:
    error = ScanError(code=exc.code, message=exc.message, details=exc.details or None)
    return ScanOutcome(index=index, client_id=client_id, ok=False, status=exc.status, error=error)


def _stored(session: Session, data: ScanIn) -> Scan | None:
    return session.exec(select(Scan).where(Scan.client_id == data.client_id)).first()


def _replay(actor: Actor, original: Scan, digest: str) -> ScanResult:
    if original.user_id != actor.id:
        raise Conflict("该扫码编号已被其他用户使用，请重新扫码", code="client_id_taken")
    result = ScanResult.model_validate(original.result)
    differs = original.fingerprint != digest
    prefix = (
        "该扫码编号已处理过，但本次内容与原记录不同，未重新计数，以下为原结果："
        if differs
        else "该扫码已处理过，未重复计数："
    )
    return result.model_copy(
        update={"duplicate": True, "content_differs": differs, "message": prefix + result.message}
    )


@dataclass(frozen=True)
class _Target:
    """What a scan acts on: the resolved code, the quantity, and for a receipt or an issue the
    order and BOM line."""

    resolved: Resolved
    quantity: Decimal | None
    order: Order | None = None
    line: BomLine | None = None


def _target(session: Session, actor: Actor, data: ScanIn) -> _Target:
    """Resolve the code and choose the line; reads only, so a refusal leaves nothing."""
    require_role(actor, SCANNERS, "扫码收发料和盘点")
    resolved = resolve_code(session, data.result, data.scan_type)
    if resolved.material is None:
        raise NotAMaterialLabel()
    if data.action == ScanAction.stock_check:
        check_places(resolved.material, data.quantity)
        return _Target(resolved, data.quantity)
    quantity = quantity_of(data, resolved)
    check_places(resolved.material, quantity)
    if data.action == ScanAction.receive and not data.new_delivery:
        _refuse_lot_again(session, resolved)
    order, line = choose_line(session, actor, resolved, data.order_id, data.action)
    return _Target(resolved, quantity, order, line)


def _refuse_lot_again(session: Session, resolved: Resolved) -> None:
    """A lot label counts once: a second receipt of the same lot (a new client id) is refused
    unless the scan says it is a new delivery."""
    if resolved.lot is None:
        return
    query = select(Scan).where(
        Scan.material_id == resolved.material.id,
        Scan.lot == resolved.lot,
        Scan.action == ScanAction.receive,
    )
    first = session.exec(query.order_by(Scan.id)).first()
    if first is not None:
        material = resolved.material
        raise LotAlreadyReceived(material.name, resolved.lot, show(first.quantity), material.unit)


def _claim(
    session: Session, actor: Actor, data: ScanIn, target: _Target, digest: str, now: datetime
) -> Scan:
    """Insert the scan row before any row lock: a concurrent resend then waits on the unique
    client id, and the foreign key checks take their KEY SHARE locks ahead of the row locks,
    as every other writer of these rows does."""
    scan = Scan(
        client_id=data.client_id,
        user_id=actor.id,
        action=data.action,
        raw_text=clean_text(data.result)[:512],
        scan_type=data.scan_type,
        material_id=target.resolved.material.id,
        order_id=target.order.id if target.order is not None else None,
        bom_line_id=target.line.id if target.line is not None else None,
        quantity=target.quantity,
        lot=target.resolved.lot,
        fingerprint=digest,
        scanned_at=data.scanned_at,
        recorded_at=now,
    )
    session.add(scan)
    session.flush()
    return scan


def _move(session: Session, data: ScanIn, target: _Target, now: datetime) -> ScanResult:
    """Apply the stock movement and describe it."""
    material_id = target.resolved.material.id
    if data.action == ScanAction.stock_check:
        movement = stock.count(session=session, material_id=material_id, counted=target.quantity)
        return _result(session, data, movement, target, now)
    common = {
        "session": session,
        "order": target.order,
        "line_id": target.line.id,
        "material_id": material_id,
        "quantity": target.quantity,
        "confirm_over": data.confirm_over,
    }
    if data.action == ScanAction.receive:
        movement = stock.receive(**common, now=now, today=local_date(now))
    else:
        movement = stock.issue(**common)
    return _result(session, data, movement, target, now)


def _result(session, data, movement, target: _Target, now) -> ScanResult:
    material, line, order = movement.material, movement.line, target.order
    result = ScanResult(
        client_id=data.client_id,
        action=data.action,
        action_name=SCAN_ACTION_NAMES[data.action],
        message="",
        material=MaterialBrief.model_validate(material, from_attributes=True),
        order=OrderRef(id=order.id, code=order.code) if order is not None else None,
        bom_line_id=line.id if line is not None else None,
        quantity=target.quantity,
        lot=target.resolved.lot,
        received=line.received if line is not None else None,
        needed=line.needed if line is not None else None,
        missing=line.missing if line is not None else None,
        issued=line.issued if line is not None else None,
        over=movement.over,
        stock=material.stock,
        stock_before=movement.stock_before,
        recorded_at=now,
    )
    if order is not None:
        result.key_materials = bom_summary(session, order.id).key_materials
        if data.action == ScanAction.receive:
            result.procurement_progress = refresh_procurement_progress(session, order.id)
    result.message = scan_message(result)
    return result
