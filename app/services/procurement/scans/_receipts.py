"""Receipts, set-based: a run of queued receipts (or one) applied with a fixed number of SQL
statements, however many scans it holds.

1. Read: the stored scans of every client id (one query); each distinct code resolved once;
   each (material, chosen order) checked once; the candidate lines of the materials that go
   to their earliest open need (one query); lots already received (one query).
2. Lock, each set in id order (SELECT ... FOR NO KEY UPDATE on PostgreSQL; SQLite runs one
   writer at a time), so that two phones replaying queues at once wait for each other instead
   of deadlocking: the materials (a run of one code, every single scan, locks its material with
   the read that resolves the code), the BOM lines, then the orders' procurement stages; only
   then read the lines of those orders. Runs for one order thus read them one after another,
   and the stage's percentage and key-materials item follow every receipt. The orders' rows
   are read FOR KEY SHARE (the lock the scan rows' foreign keys take anyway) as the run learns
   its orders, before their lines and stages are locked: a request that holds an order's row
   FOR UPDATE (a stage started, completed or edited, a BOM edit) and then writes its stage or
   a line is waited for, not deadlocked with.
3. Apply every scan in order, in memory: duplicates, refusals (over-receipt, ambiguity, a lot
   received before) and the running totals are decided here, so no scan needs a savepoint.
4. Write with executemany: the scan rows, the lines, the materials, the purchase lines and
   the procurement stages' progress, and the change log of them all (one row per row and
   field, as the ORM flush logs a single scan). An order whose key materials became complete
   (or no longer are) is refreshed after, with its checklist, as other changes refresh it.

A concurrent request that claims one of the client ids first makes the insert fail: the run
is rolled back to its savepoint (or, for a caller whose transaction holds nothing else, the
whole transaction) and applied again, and then finds that scan stored. A single scan alone in
its transaction skips the first read: it is new unless its insert says otherwise (a resend
then costs a rollback and the run again, a new scan one statement less).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, bindparam, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.services.core import (
    Actor,
    change_base,
    load_order_to_act,
    local_date,
    update_row,
    update_rows,
    write_rows,
)
from app.services.orders import refuse_closed
from app.services.procurement import _stock as stock
from app.services.procurement.bom import (
    key_materials_done,
    refresh_procurement_progress,
    summarise,
)
from app.services.procurement.errors import (
    AmbiguousOrder,
    BadQuantity,
    LotAlreadyReceived,
    NoOpenNeed,
    NotAMaterialLabel,
    NotInBom,
    OverReceipt,
)
from app.services.procurement.materials import SCANNERS, check_places, require_role
from app.services.procurement.scans._messages import scan_message
from app.services.procurement.scans._resolve import Resolved, resolve_code
from app.services.procurement.scans._targets import acting_orders_clause
from app.services.procurement.scans.codes import normalise_type
from models.base import utcnow
from models.bom import BomLine
from models.enums import SCAN_ACTION_NAMES, OrderStatus, ScanAction, StageKind, StageStatus
from models.errors import DomainError, InvalidInput
from models.materials import Material, MaterialBrief
from models.orders import Order
from models.purchasing import PurchaseLine
from models.quantities import QUANTITY_PLACES, number, show
from models.scans import OrderRef, Scan, ScanIn, ScanResult
from models.stages import Stage
from scanning.payload import clean_text

ATTEMPTS = 3

# The run's statements, built once with bound parameters: building and cache-keying a SELECT
# costs about as much CPU as running it. Locks are taken in id order (FOR NO KEY UPDATE on
# PostgreSQL); populate_existing: the session may hold an older copy of a row.
_LOCK_MATERIALS = (
    select(Material)
    .where(col(Material.id).in_(bindparam("ids", expanding=True)))
    .order_by(Material.id)
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)
_CANDIDATE_LINES = col(BomLine.id).in_(bindparam("ids", expanding=True))
_NAMED_LINES = and_(
    col(BomLine.order_id).in_(bindparam("orders", expanding=True)),
    col(BomLine.material_id).in_(bindparam("materials", expanding=True)),
)


def _lock_lines(*which):
    return (
        select(BomLine)
        .where(or_(*which))
        .order_by(BomLine.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )


# By (any candidate lines of the earliest needs, any lines named by order and material).
_LOCK_LINES = {
    (True, False): _lock_lines(_CANDIDATE_LINES),
    (False, True): _lock_lines(_NAMED_LINES),
    (True, True): _lock_lines(_CANDIDATE_LINES, _NAMED_LINES),
}
_ORDER_LINES = (
    select(BomLine.id, BomLine.order_id, BomLine.received, BomLine.needed, Material.is_key)
    .join(Material, Material.id == BomLine.material_id)
    .where(col(BomLine.order_id).in_(bindparam("orders", expanding=True)))
)
# Locked before the order's lines are read: runs for one order take turns from here on, so
# each reads the lines as the one before it left them (the stage's percentage and its key
# materials item follow every receipt, not only the ones each run could see).
_STAGES = (
    select(Stage)
    .where(
        col(Stage.order_id).in_(bindparam("orders", expanding=True)),
        Stage.kind == StageKind.procurement,
    )
    .order_by(Stage.id)
    .with_for_update(key_share=True)
    .execution_options(populate_existing=True)
)
# The writes, Core statements on the tables (executemany): the ORM's bulk paths cost more
# CPU than their SQL. Bound names differ from the column names, as an UPDATE requires.
_INSERT_SCANS = insert(Scan.__table__)
_UPDATE_LINES = (
    update(BomLine.__table__)
    .where(BomLine.__table__.c.id == bindparam("b_id"))
    .values(received=bindparam("b_received"), last_received_at=bindparam("b_last"))
)
_UPDATE_MATERIALS = (
    update(Material.__table__)
    .where(Material.__table__.c.id == bindparam("b_id"))
    .values(stock=bindparam("b_stock"))
)
_UPDATE_PURCHASES = (
    update(PurchaseLine.__table__)
    .where(PurchaseLine.__table__.c.id == bindparam("b_id"))
    .values(
        received=bindparam("b_received"),
        status=bindparam("b_status"),
        arrived_on=bindparam("b_arrived_on"),
    )
)


_UPDATE_STAGES = (
    update(Stage.__table__)
    .where(Stage.__table__.c.id == bindparam("b_id"))
    .values(progress=bindparam("b_progress"))
)


def _bound(new: dict) -> dict:
    return {f"b_{key}": value for key, value in new.items()}


_LOTS = (
    select(Scan.material_id, Scan.lot, Scan.quantity)
    .where(
        col(Scan.material_id).in_(bindparam("materials", expanding=True)),
        col(Scan.lot).in_(bindparam("lots", expanding=True)),
        Scan.action == ScanAction.receive,
    )
    .order_by(Scan.id)
)


@dataclass
class Outcome:
    """One receipt's answer: its result and whether it counted now, or the refusal."""

    result: ScanResult | None = None
    applied: bool = False
    error: DomainError | None = None


@dataclass
class _Plan:
    """A receipt after the reads: its code, quantity and, when the label or the worker named
    the order, its order and line."""

    data: ScanIn
    digest: str
    resolved: Resolved | None = None
    quantity: Decimal | None = None
    order: Order | None = None
    order_error: DomainError | None = None
    error: DomainError | None = None
    last_before: datetime | None = None


@dataclass
class _State:
    """What the run knows and changes: locked rows and their running values."""

    materials: dict[int, Material] = field(default_factory=dict)
    lines: dict[int, BomLine] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    candidates: dict[int, list[int]] = field(default_factory=dict)
    received: dict[int, Decimal] = field(default_factory=dict)
    last_received: dict[int, datetime | None] = field(default_factory=dict)
    stock: dict[int, Decimal] = field(default_factory=dict)
    order_lines: dict[int, dict[int, tuple[Decimal, Decimal, bool]]] = field(default_factory=dict)
    procuring: set[int] = field(default_factory=set)
    done_before: dict[int, bool] = field(default_factory=dict)  # key_materials_done per order
    stages: dict[int, Stage] = field(default_factory=dict)  # procurement stage per order
    pair_line: dict[tuple[int, int], int] = field(default_factory=dict)
    resolved: dict = field(default_factory=dict)
    chosen: dict = field(default_factory=dict)
    briefs: dict[int, MaterialBrief] = field(default_factory=dict)
    log_bases: dict[tuple[str, int], dict] = field(default_factory=dict)
    logged_at: datetime = field(default_factory=utcnow)
    refresh: set[int] = field(default_factory=set)  # orders whose checklist fact changed
    # A run of one code locks its material as it resolves it: one statement fewer.
    lock_on_resolve: bool = False


def receive_all(
    session: Session,
    actor: Actor,
    scans: list[ScanIn],
    now: datetime,
    fingerprint,
    replay,
    *,
    alone: bool = False,
) -> list[Outcome]:
    """Apply receipts in order, set-based (see the module docstring).

    `alone`: the session's transaction holds nothing else of value (a door that commits right
    after), so no savepoint is taken: after a failed claim the whole transaction is rolled
    back and the run applied again (two round trips fewer on PostgreSQL)."""
    for attempt in range(ATTEMPTS):
        try:
            if alone:
                look_up = attempt > 0 or len(scans) > 1
                return _run(session, actor, scans, now, fingerprint, replay, look_up=look_up)
            with session.begin_nested():
                return _run(session, actor, scans, now, fingerprint, replay)
        except IntegrityError:
            # A concurrent request claimed one of the client ids first: apply again.
            if attempt == ATTEMPTS - 1:
                raise
            if alone:
                session.rollback()
    raise AssertionError("unreachable")


def _run(session, actor, scans, now, fingerprint, replay, *, look_up=True) -> list[Outcome]:
    stored = {}
    if look_up:
        ids = {data.client_id for data in scans}
        query = select(Scan).where(col(Scan.client_id).in_(ids))
        stored = {s.client_id: s for s in session.exec(query)}
    try:
        require_role(actor, SCANNERS, "扫码收发料和盘点")
        refused = None
    except DomainError as exc:
        refused = exc
    state = _State(lock_on_resolve=len({_code_key(data) for data in scans}) == 1)
    plans = [_plan(session, actor, data, fingerprint, refused, state) for data in scans]
    _lock(session, actor, plans, stored, state)
    lots = _lots_received(session, plans, stored)
    outcomes: list[Outcome] = []
    claimed: dict[uuid.UUID, tuple[Scan, ScanResult]] = {}
    rows, log = [], []
    for plan in plans:
        outcomes.append(_apply(session, actor, plan, stored, claimed, lots, state, now, replay))
        if outcomes[-1].applied:
            scan, _ = claimed[plan.data.client_id]
            rows.append(scan)
            log.extend(_log_rows(actor, now, plan, outcomes[-1].result, state))
    if rows:
        _write(session, actor, rows, log, state, now)
    return outcomes


def _plan(session, actor, data: ScanIn, fingerprint, refused, state: _State) -> _Plan:
    plan = _Plan(data, fingerprint(data))
    cache = state.resolved
    try:
        if refused is not None:
            raise refused
        key = _code_key(data)
        if key not in cache:
            try:
                lock = state.lock_on_resolve
                cache[key] = resolve_code(session, data.result, data.scan_type, lock=lock)
            except DomainError as exc:
                cache[key] = exc
        resolved = cache[key]
        if isinstance(resolved, DomainError):
            raise resolved
        if resolved.material is None:
            raise NotAMaterialLabel()
        plan.resolved = resolved
        plan.quantity = quantity_of(data, resolved)
        check_places(resolved.material, plan.quantity)
    except DomainError as exc:
        plan.error = exc
        return plan
    try:
        plan.order = _chosen(session, actor, resolved, data.order_id, state)
    except DomainError as exc:
        # Decided after the lot check, as choose_line is for a single scan.
        plan.order_error = exc
    return plan


def _code_key(data: ScanIn) -> tuple[str, str]:
    return (data.result, normalise_type(data.scan_type))


def quantity_of(data: ScanIn, resolved: Resolved) -> Decimal:
    """The scan's quantity, else the label's; refused when missing, not positive or too fine."""
    quantity = data.quantity if data.quantity is not None else resolved.quantity
    if quantity is None:
        raise BadQuantity("请填写数量", field="quantity")
    if quantity <= 0:
        raise BadQuantity("数量必须大于 0", field="quantity")
    if quantity != quantity.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise BadQuantity(f"数量最多 {QUANTITY_PLACES} 位小数", field="quantity")
    return quantity


def _chosen(session, actor, resolved: Resolved, order_id: int | None, state: _State):
    """The order a label or the worker names, checked once per order (access, role, open);
    None for the earliest open need."""
    if resolved.order is not None and order_id is not None and resolved.order.id != order_id:
        raise InvalidInput(
            f"标签上的订单是 {resolved.order.code}，与所选订单不一致", code="order_mismatch"
        )
    chosen = resolved.order.id if resolved.order is not None else order_id
    if chosen is None:
        return None
    if chosen not in state.chosen:
        try:
            order = load_order_to_act(
                session, actor, chosen, set(SCANNERS), "为该订单扫码收发料", key_share=True
            )
            refuse_closed(order, f"订单 {order.code} 已关闭")
            state.chosen[chosen] = order
        except DomainError as exc:
            state.chosen[chosen] = exc
    found = state.chosen[chosen]
    if isinstance(found, DomainError):
        raise found
    return found


def _lock(session, actor, plans: list[_Plan], stored, state: _State) -> None:
    """Read the candidate lines, then lock materials and lines in id order; read the lines of
    the orders concerned."""
    todo = [p for p in plans if p.error is None and p.data.client_id not in stored]
    if not todo:
        return
    named = [p for p in todo if p.order is not None]
    open_materials = {
        p.resolved.material.id for p in todo if p.order is None and p.order_error is None
    }
    for p in named:
        state.orders[p.order.id] = p.order
    candidates: set[int] = set()
    if open_materials:
        query = (
            select(BomLine.id, BomLine.material_id, Order)
            .join(Order, Order.id == BomLine.order_id)
            .where(
                col(BomLine.material_id).in_(open_materials),
                col(Order.status).not_in(OrderStatus.closed()),
                acting_orders_clause(actor),
            )
            .order_by(BomLine.need_date, BomLine.order_id)
            .with_for_update(of=Order, read=True, key_share=True)
        )
        for line_id, material_id, order in session.exec(query):
            state.candidates.setdefault(material_id, []).append(line_id)
            state.orders[order.id] = order
            candidates.add(line_id)
    material_ids = sorted({p.resolved.material.id for p in todo})
    locked = [p.resolved.material for p in todo if p.resolved.locked]
    if len(material_ids) == 1 and locked:
        found = locked[:1]  # the material of the run's one code, locked as it was read
    else:
        found = session.exec(_LOCK_MATERIALS, params={"ids": material_ids})
    for material in found:
        state.materials[material.id] = material
        state.stock[material.id] = material.stock
    pairs = {(p.order.id, p.resolved.material.id) for p in named}
    if candidates or pairs:
        params = {
            "ids": sorted(candidates),
            "orders": sorted({o for o, _ in pairs}),
            "materials": sorted({m for _, m in pairs}),
        }
        for line in session.exec(_LOCK_LINES[(bool(candidates), bool(pairs))], params=params):
            state.lines[line.id] = line
            state.received[line.id] = line.received
            state.last_received[line.id] = line.last_received_at
            state.pair_line[(line.order_id, line.material_id)] = line.id
    orders = sorted({line.order_id for line in state.lines.values()})
    if orders:
        found = session.exec(_STAGES, params={"orders": orders})
        state.stages = {stage.order_id: stage for stage in found}
        for line_id, order_id, received, needed, is_key in session.exec(
            _ORDER_LINES, params={"orders": orders}
        ):
            state.order_lines.setdefault(order_id, {})[line_id] = (received, needed, is_key)
        state.done_before = {
            order_id: key_materials_done(summarise(list(lines.values())))
            for order_id, lines in state.order_lines.items()
        }
        state.procuring = {
            order_id
            for order_id, stage in state.stages.items()
            if stage.status == StageStatus.in_progress
        }


def _lots_received(session, plans: list[_Plan], stored) -> dict[tuple[int, str], Decimal]:
    """The first receipt of each (material, lot) the run's labels carry, from earlier scans."""
    pairs = {
        (p.resolved.material.id, p.resolved.lot)
        for p in plans
        if p.error is None and p.resolved.lot is not None and p.data.client_id not in stored
    }
    if not pairs:
        return {}
    params = {"materials": sorted({m for m, _ in pairs}), "lots": sorted({lot for _, lot in pairs})}
    first: dict[tuple[int, str], Decimal] = {}
    for material_id, lot, quantity in session.exec(_LOTS, params=params):
        first.setdefault((material_id, lot), quantity)
    return first


def _apply(session, actor, plan: _Plan, stored, claimed, lots, state, now, replay) -> Outcome:
    data = plan.data
    original = stored.get(data.client_id)
    if original is None and data.client_id in claimed:
        original = claimed[data.client_id][0]
    if original is not None:
        try:
            return Outcome(result=replay(actor, original, plan.digest))
        except DomainError as exc:
            return Outcome(error=exc)
    if plan.error is not None:
        return Outcome(error=plan.error)
    try:
        result = _receive(actor, plan, lots, state, now)
    except DomainError as exc:
        return Outcome(error=exc)
    # A plain row for the executemany (an ORM instance per scan costs more than its SQL).
    scan = _Row(
        client_id=data.client_id,
        user_id=actor.id,
        action=data.action,
        raw_text=clean_text(data.result)[:512],
        scan_type=data.scan_type,
        material_id=plan.resolved.material.id,
        order_id=result.order.id,
        bom_line_id=result.bom_line_id,
        quantity=plan.quantity,
        lot=plan.resolved.lot,
        fingerprint=plan.digest,
        result=result.model_dump(mode="json"),
        scanned_at=data.scanned_at,
        recorded_at=now,
    )
    claimed[data.client_id] = (scan, result)
    return Outcome(result=result, applied=True)


class _Row(dict):
    """A scan row to insert; reads like a stored Scan for a resend within the same queue."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _receive(actor, plan: _Plan, lots, state: _State, now) -> ScanResult:
    """Decide and apply one receipt on the running values."""
    material = state.materials[plan.resolved.material.id]
    lot = plan.resolved.lot
    if lot is not None and not plan.data.new_delivery and (material.id, lot) in lots:
        first = lots[(material.id, lot)]
        raise LotAlreadyReceived(material.name, lot, show(first), material.unit)
    if plan.order_error is not None:
        raise plan.order_error
    line_id = _named_line(plan.order, material, state) if plan.order else _earliest(material, state)
    line = state.lines[line_id]
    order = state.orders[line.order_id]
    before = state.received[line_id]
    excess = before + plan.quantity - line.needed
    if excess > 0 and not plan.data.confirm_over:
        raise _over_receipt(order, material, line.needed, before, plan.quantity, excess)
    received = before + plan.quantity
    plan.last_before = state.last_received[line_id]
    state.received[line_id] = received
    state.last_received[line_id] = now
    state.stock[material.id] += plan.quantity
    mine = state.order_lines.setdefault(order.id, {})
    _, needed, is_key = mine.get(line_id, (before, line.needed, material.is_key))
    mine[line_id] = (received, needed, is_key)
    if lot is not None:
        lots.setdefault((material.id, lot), plan.quantity)
    summary = summarise(list(mine.values()))
    if material.id not in state.briefs:
        state.briefs[material.id] = MaterialBrief.model_validate(material, from_attributes=True)
    result = ScanResult(
        client_id=plan.data.client_id,
        action=ScanAction.receive,
        action_name=SCAN_ACTION_NAMES[ScanAction.receive],
        message="",
        material=state.briefs[material.id],
        order=OrderRef(id=order.id, code=order.code),
        bom_line_id=line_id,
        quantity=plan.quantity,
        lot=lot,
        received=received,
        needed=line.needed,
        missing=max(line.needed - received, Decimal(0)),
        issued=line.issued,
        over=excess > 0,
        stock=state.stock[material.id],
        recorded_at=now,
        key_materials=summary.key_materials,
        procurement_progress=summary.progress if order.id in state.procuring else None,
    )
    result.message = scan_message(result)
    return result


def _named_line(order: Order, material: Material, state: _State) -> int:
    line_id = state.pair_line.get((order.id, material.id))
    if line_id is None:
        raise NotInBom(
            f"订单 {order.code} 的 BOM 中没有物料 {material.code} {material.name}",
            order_id=order.id,
            material_id=material.id,
        )
    return line_id


def _earliest(material: Material, state: _State) -> int:
    """The line of the earliest open need, on the running values (choose_line's rule)."""
    open_lines = [
        state.lines[i]
        for i in state.candidates.get(material.id, [])
        if state.received[i] < state.lines[i].needed
    ]
    if not open_lines:
        raise NoOpenNeed(
            f"您参与的订单中没有待入库的物料 {material.code} {material.name}，"
            "如需记到某个订单，请选择订单后重新提交",
            material_id=material.id,
        )
    earliest = [line for line in open_lines if line.need_date == open_lines[0].need_date]
    if len(earliest) > 1:
        raise AmbiguousOrder(
            f"物料 {material.code} {material.name} 有 {len(earliest)} 个订单在同一天需要，"
            "请选择订单后重新提交",
            choices=[
                {
                    "order_id": line.order_id,
                    "order_code": state.orders[line.order_id].code,
                    "need_date": line.need_date.isoformat(),
                    "missing": number(max(line.needed - state.received[line.id], Decimal(0))),
                }
                for line in earliest
            ],
            choose_field="order_id",
        )
    return open_lines[0].id


def _over_receipt(order, material, needed, done, quantity, excess) -> OverReceipt:
    try:
        stock._check_excess(
            order,
            material,
            _Line(needed=needed, received=done),
            "received",
            quantity,
            confirmed=False,
        )
    except OverReceipt as exc:
        return exc
    raise AssertionError("an excess is refused")  # pragma: no cover


@dataclass(frozen=True)
class _Line:
    needed: Decimal
    received: Decimal


def _log_rows(actor, now, plan: _Plan, result: ScanResult, state: _State) -> list[dict]:
    """The change log of one receipt, as the ORM flush logs a single scan: the line's received
    and last receipt time, the material's stock, each with the scan's note."""
    material = state.materials[plan.resolved.material.id]
    line = state.lines[result.bom_line_id]
    text = f"扫码入库 {show(plan.quantity)}{material.unit}"
    if result.over:
        text += "（确认超收）"
    of_line, of_material = _base(actor, line, state), _base(actor, material, state)
    before = result.received - plan.quantity
    rows = [
        update_row(of_line, "received", before, result.received, text),
        update_row(of_line, "last_received_at", plan.last_before, now, text),
        update_row(
            of_material,
            "stock",
            result.stock - plan.quantity,
            result.stock,
            f"{text}，订单 {result.order.code}",
        ),
    ]
    return [row for row in rows if row is not None]


def _base(actor, obj, state: _State) -> dict:
    # Logged at the time of writing, as the flush logs (the scan's `now` may be a chat's clock).
    key = (type(obj).__name__, obj.id)
    if key not in state.log_bases:
        state.log_bases[key] = change_base(actor, state.logged_at, obj)
    return state.log_bases[key]


def _write(session, actor, scans: list[Scan], log, state: _State, now) -> None:
    """The run's writes: scan rows, lines, materials and change log with executemany; then the
    purchase lines of the lines received and each order's procurement stage, once."""
    added: dict[int, Decimal] = {}
    for s in scans:
        added[s.bom_line_id] = added.get(s.bom_line_id, Decimal(0)) + s.quantity
    filled = stock.allocate_receipts(session, added, local_date(now))
    for purchase, new in filled:
        base = _base(actor, purchase, state)
        log.extend(update_rows(base, purchase, new, stock.purchase_note(new)))
    stages = _stage_progress(actor, scans, log, state)
    connection = session.connection()
    connection.execute(_INSERT_SCANS, scans)
    lines = {s.bom_line_id for s in scans}
    connection.execute(
        _UPDATE_LINES,
        [
            {"b_id": i, "b_received": state.received[i], "b_last": state.last_received[i]}
            for i in sorted(lines)
        ],
    )
    materials = {s.material_id for s in scans}
    connection.execute(
        _UPDATE_MATERIALS, [{"b_id": i, "b_stock": state.stock[i]} for i in sorted(materials)]
    )
    if filled:
        connection.execute(_UPDATE_PURCHASES, [{"b_id": p.id, **_bound(new)} for p, new in filled])
    if stages:
        connection.execute(_UPDATE_STAGES, [{"b_id": st.id, "b_progress": v} for st, v in stages])
    write_rows(session, log)
    for purchase, new in filled:
        for key, value in new.items():
            set_committed_value(purchase, key, value)
    for i in lines:
        set_committed_value(state.lines[i], "received", state.received[i])
        set_committed_value(state.lines[i], "last_received_at", state.last_received[i])
    for i in materials:
        set_committed_value(state.materials[i], "stock", state.stock[i])
    for stage, value in stages:
        set_committed_value(stage, "progress", value)
    for order_id in sorted(state.refresh):
        summary = summarise(list(state.order_lines[order_id].values()))
        stage = state.stages.get(order_id)
        refresh_procurement_progress(session, order_id, summary, stage)


def _stage_progress(actor, scans: list[Scan], log: list[dict], state: _State):
    """The procurement progress of each order the run received for, as
    refresh_procurement_progress would set it: (stage, new progress) to write with the run, its
    change log row added to `log`. An order whose key materials became complete (or were
    complete and no longer are) syncs its checklist too: left to refresh_procurement_progress
    after the writes (`state.refresh`)."""
    changed = []
    for order_id in sorted({s.order_id for s in scans}):
        summary = summarise(list(state.order_lines[order_id].values()))
        stage = state.stages.get(order_id)
        if stage is None or key_materials_done(summary) != state.done_before.get(order_id):
            state.refresh.add(order_id)
            continue
        value = summary.progress
        if stage.status != StageStatus.in_progress or value is None or value == stage.progress:
            continue
        changed.append((stage, value))
        log.append(update_row(_base(actor, stage, state), "progress", stage.progress, value))
    return changed
