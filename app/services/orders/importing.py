"""Order import from CSV or XLSX (the ERP hand-over): every row checked first, then all rows
written or none.

- Columns: 合同号, 客户 and 交货日期 are required; 跟单员 (username or name of an active
  tracker), 订单号, 合同金额, 付款条件, 优先级 and 特殊要求 are optional (English names work
  too, see ORDER_HEADERS).
- Idempotent on the contract number: a contract number already in Gendan updates that order
  (only the cells filled in), a new one creates an order. A contract number twice in the file
  is an error, so is one that several orders share, or one whose order is closed.
- Any error refuses the whole file with every problem listed (row number, column, reason).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from pydantic import ValidationError
from sqlmodel import Session, func, select

from app.services.core import (
    ORDER_CREATORS,
    VALIDATION_WORDS,
    Actor,
    ImportFailed,
    Layout,
    Problems,
    RowError,
    acts,
    cell_date,
    cell_number,
    cell_text,
    read_table,
    settings,
    write_all,
)
from app.services.orders.orders import CLOSED, create_order, update_order
from models.enums import Priority, Role
from models.errors import Forbidden
from models.imports import OrderImportResult, OrderImportRow
from models.orders import Order, OrderCreate, OrderUpdate
from models.people import User, UserRole

ORDER_HEADERS = {
    "contract_no": ("合同号", "合同编号", "contract_no", "contract"),
    "customer": ("客户", "客户名称", "customer"),
    "delivery_date": ("交货日期", "交期", "delivery_date"),
    "liaison": ("跟单员", "跟单联络人", "liaison"),
    "code": ("订单号", "订单编号", "code"),
    "contract_amount": ("合同金额", "contract_amount", "amount"),
    "payment_terms": ("付款条件", "payment_terms"),
    "priority": ("优先级", "priority"),
    "special_requirements": ("特殊要求", "special_requirements"),
}
ORDER_LAYOUT = Layout(ORDER_HEADERS, ("contract_no", "customer", "delivery_date"), label="订单")
ORDER_TEMPLATE = [aliases[0] for aliases in ORDER_HEADERS.values()]
# A model field named after the column it comes from.
_COLUMN_OF = {"liaison_id": "liaison"}
PRIORITIES = {"低": "low", "普通": "normal", "一般": "normal", "高": "high", "紧急": "urgent"}


class OrderImportFailed(ImportFailed):
    code = "order_import_invalid"


def _date(value) -> date | None:
    return cell_date(value, "delivery_date", empty="交货日期不能为空")


def _amount(value) -> Decimal | None:
    number = cell_number(value, "contract_amount", "合同金额", grouped=True)
    if number is None:
        return None
    if not number.is_finite() or number < 0 or number != number.quantize(Decimal("0.01")):
        raise RowError("contract_amount", "合同金额应为不小于 0 的数字，最多两位小数")
    return number


def _priority(value) -> str | None:
    text = cell_text(value)
    if not text:
        return None
    key = PRIORITIES.get(text, text.lower())
    if key not in Priority.__members__:
        raise RowError("priority", "优先级应为 低、普通、高 或 紧急")
    return key


def _liaison(session: Session, value) -> int | None:
    name = cell_text(value)
    if not name:
        return None
    trackers = select(UserRole.user_id).where(UserRole.role == Role.tracker)
    query = select(User.id).where(
        (func.lower(User.username) == name.lower()) | (User.display_name == name),
        User.is_active,
        User.id.in_(trackers),
    )
    found = session.exec(query.limit(2)).all()
    if len(found) != 1:
        reason = "有多个同名跟单员，请填写用户名" if found else f"跟单员 {name} 不存在或不是跟单员"
        raise RowError("liaison", reason)
    return found[0]


def _fields(session: Session, values: dict) -> tuple[dict, list[RowError]]:
    """The row's values for OrderCreate/OrderUpdate (empty cells left out), or its problems."""
    errors, fields = [], {}
    parsers = {
        "delivery_date": _date,
        "contract_amount": _amount,
        "priority": _priority,
        "liaison_id": lambda v: _liaison(session, v),
    }
    for field, parse in parsers.items():
        try:
            value = parse(values.get(_COLUMN_OF.get(field, field)))
        except RowError as err:
            errors.append(err)
            continue
        if value is not None:
            fields[field] = value
    for field in ("contract_no", "customer", "code", "payment_terms", "special_requirements"):
        if text := cell_text(values.get(field)):
            fields[field] = text
    return fields, errors


def _existing(session: Session, contract_no: str) -> list[Order]:
    return list(session.exec(select(Order).where(Order.contract_no == contract_no).limit(2)))


def _validate(model, fields: dict) -> list[RowError]:
    try:
        model.model_validate(fields)
    except ValidationError as exc:
        return [
            RowError(
                str(e["loc"][0]) if e["loc"] else "contract_no",
                VALIDATION_WORDS.get(e["type"], "格式不正确"),
            )
            for e in exc.errors()
        ]
    return []


def _check_row(session: Session, number: int, values: dict, seen: dict) -> tuple[dict, list]:
    """One row: its plan (create or update which order) or its problems."""
    fields, errors = _fields(session, values)
    contract = fields.get("contract_no", "")
    if not contract:
        errors.append(RowError("contract_no", "合同号不能为空"))
    elif contract.upper() in seen:
        errors.append(
            RowError("contract_no", f"合同号重复（与第 {seen[contract.upper()]} 行相同）")
        )
    else:
        seen[contract.upper()] = number
    existing = _existing(session, contract) if contract else []
    if len(existing) > 1:
        errors.append(RowError("contract_no", "系统中有多个订单使用该合同号，请手工处理"))
    elif existing and existing[0].status in CLOSED:
        errors.append(RowError("contract_no", f"订单 {existing[0].code} 已关闭，不能更新"))
    target = existing[0] if len(existing) == 1 else None
    if target is None and not errors:
        errors += _validate(OrderCreate, fields)
        code = fields.get("code")
        if code and session.exec(select(Order.id).where(Order.code == code)).first():
            errors.append(RowError("code", f"订单号 {code} 已被其他合同使用"))
    elif target is not None:
        fields.pop("code", None)
        errors += _validate(OrderUpdate, fields)
    return {"row": number, "order": target, "fields": fields}, errors


@acts
def import_orders(
    *,
    session: Session,
    actor: Actor,
    data: bytes,
    progress: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> OrderImportResult:
    """Import an order list (all rows or none); progress() is called after each row written."""
    if not (actor.is_admin or actor.has(*ORDER_CREATORS)):
        raise Forbidden("只有销售、跟单员或管理层可以导入订单")
    table = read_table(data, ORDER_LAYOUT)
    plans, problems, seen = [], Problems(), {}
    for number, values in table.rows:
        plan, errors = _check_row(session, number, values, seen)
        plans.append(plan)
        for err in errors:
            problems.add(number, _COLUMN_OF.get(err.field, err.field), err.reason)
    if problems:
        rejected = problems.rows()
        raise OrderImportFailed(
            f"订单导入失败：{rejected} 行有错误，共 {len(problems)} 处，未导入任何数据",
            errors=problems.listed(ORDER_HEADERS),
            rejected=rejected,
        )
    rows = write_all(session, plans, lambda plan: _write(session, actor, plan, now), progress)
    return OrderImportResult(
        dry_run=False,
        created=sum(1 for r in rows if r.action == "created"),
        updated=sum(1 for r in rows if r.action == "updated"),
        rejected=0,
        rows=rows,
    )


def _write(session: Session, actor: Actor, plan: dict, now) -> OrderImportRow:
    fields, order = plan["fields"], plan["order"]
    if order is None:
        order = create_order(
            session=session,
            actor=actor,
            data=OrderCreate.model_validate(fields),
            default_departments=list(settings().review_departments),
            now=now,
        )
        action = "created"
    else:
        data = OrderUpdate.model_validate(fields)
        order = update_order(session=session, actor=actor, order_id=order.id, data=data, now=now)
        action = "updated"
    return OrderImportRow(
        row=plan["row"],
        contract_no=order.contract_no,
        action=action,
        order_id=order.id,
        code=order.code,
    )
