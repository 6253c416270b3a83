"""BOM import from CSV or XLSX: every row checked first, then all rows written or none.

- Columns: 物料编码, 需求数量 and 需求日期 are required; 物料名称, 规格型号, 单位, 关键物料
  (是/否), 预警天数 and 备注 are optional (English names work too, see bom_files.HEADERS).
- A material code the master does not know is created from the row (its name is then
  required) and named in `created_materials`; with create_materials=False it is an error.
  A known material keeps its master data; a differing name in the file is a warning.
- A material already on the order's BOM has its line updated (quantity, date, warning days,
  note); other lines stay as they are. A material twice in the file is an error.
- Any error refuses the whole file with every problem listed (row number, column, reason).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlmodel import Session

from app.services.core import HEADERS, Actor, ImportFailed, acts, read_table
from app.services.procurement.bom import (
    editable_order,
    line_for_material,
    refresh_procurement_progress,
)
from app.services.procurement.materials import CATALOGUE_ROLES, find_material, require_role
from models.base import utcnow
from models.bom import MAX_WARNING_DAYS, BomImportResult, BomLine, ImportProblem
from models.enums import Role
from models.materials import Material
from models.quantities import MAX_QUANTITY, QUANTITY_PLACES

_CODE = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
_YES = {"是", "y", "yes", "true", "1", "关键", "√"}
_NO = {"否", "n", "no", "false", "0", ""}
_LIMITS = {"name": 200, "spec": 200, "unit": 16, "note": 500}


class RowError(ValueError):
    """One cell's problem: which field, and why (in Chinese)."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Row:
    number: int
    code: str
    quantity: Decimal
    need_date: date
    name: str
    spec: str
    unit: str
    is_key: bool
    warning_days: int | None
    note: str


@acts
def import_bom(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: bytes,
    create_materials: bool = True,
    progress: Callable[[], None] | None = None,
    now: datetime | None = None,
) -> BomImportResult:
    """Import a BOM file into the order (all rows or none); progress() after each row written."""
    now = now or utcnow()
    editable_order(session, actor, order_id, "导入 BOM")
    table = read_table(data)
    rows, problems = _parse(table.rows)
    materials, created, warnings = _materials(session, rows, create_materials, problems)
    if problems:
        raise ImportFailed(
            f"BOM 导入失败：共 {len(problems)} 处错误，未导入任何数据",
            errors=[_problem(p, table.columns) for p in problems],
        )
    if created:
        # An order's BOM may bring new codes into the catalogue (only adding, and logged); the
        # tracker who edits the BOM may do that, changing existing materials stays with buyers.
        require_role(actor, CATALOGUE_ROLES | {Role.tracker}, "新建物料")
    added, updated = _write(session, order_id, rows, materials, now, progress)
    refresh_procurement_progress(session, order_id)
    return BomImportResult(
        dry_run=False,
        added=added,
        updated=updated,
        created_materials=created,
        warnings=[_problem(w, table.columns) for w in warnings],
    )


def _write(session: Session, order_id: int, rows: list[Row], materials: dict, now, progress):
    """Create the new materials, add or update the lines; how many added and updated."""
    added = updated = 0
    for row in rows:
        material = materials.get(row.code) or _create_material(session, row, now)
        line = line_for_material(session, order_id, material.id)
        if line is None:
            session.add(_new_line(order_id, material.id, row, now))
            added += 1
        else:
            _update_line(line, row, now)
            session.add(line)
            updated += 1
        session.flush()
        if progress is not None:
            progress()
    return added, updated


def _parse(raw_rows) -> tuple[list[Row], list[tuple[int, str, str]]]:
    rows, problems, seen = [], [], {}
    for number, values in raw_rows:
        row, errors = _row(number, values)
        problems.extend((number, err.field, err.reason) for err in errors)
        if row is None:
            continue
        key = row.code.upper()
        if key in seen:
            problems.append((number, "material_code", f"物料重复（与第 {seen[key]} 行相同）"))
            continue
        seen[key] = number
        rows.append(row)
    return rows, problems


def _row(number: int, values: dict) -> tuple[Row | None, list[RowError]]:
    """The row, or every problem its cells have."""
    errors: list[RowError] = []

    def check(parse, field):
        try:
            return parse(values.get(field))
        except RowError as err:
            errors.append(err)
            return None

    fields = {
        "code": check(_code, "material_code"),
        "quantity": check(_quantity, "quantity"),
        "need_date": check(_date, "need_date"),
        "is_key": check(_flag, "is_key"),
        "warning_days": check(_warning_days, "warning_days"),
    }
    for field, limit in _LIMITS.items():
        fields[field] = check(lambda v, f=field, n=limit: _limited(v, f, n), field)
    if errors:
        return None, errors
    fields["unit"] = fields["unit"] or "件"
    return Row(number=number, **fields), []


def _code(value) -> str:
    code = _text(value)
    if not code:
        raise RowError("material_code", "物料编码不能为空")
    if not _CODE.fullmatch(code):
        raise RowError("material_code", "物料编码不能含空格，最多 64 个字符")
    return code


def _limited(value, field: str, limit: int) -> str:
    text = _text(value)
    if len(text) > limit:
        raise RowError(field, f"最多 {limit} 个字符")
    return text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _quantity(value) -> Decimal:
    if isinstance(value, float):
        value = round(value, 9)
    try:
        number = Decimal(_text(value))
    except InvalidOperation:
        raise RowError("quantity", "需求数量应为数字") from None
    if not number.is_finite() or number <= 0 or number > MAX_QUANTITY:
        raise RowError("quantity", "需求数量必须大于 0")
    if number != number.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise RowError("quantity", f"需求数量最多 {QUANTITY_PLACES} 位小数")
    return number


def _date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        raise RowError("need_date", "需求日期不能为空")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise RowError("need_date", "日期格式应为 YYYY-MM-DD")


def _flag(value) -> bool:
    text = _text(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise RowError("is_key", "应填 是 或 否")


def _warning_days(value) -> int | None:
    text = _text(value)
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_WARNING_DAYS:
        raise RowError("warning_days", f"预警天数应为 0-{MAX_WARNING_DAYS} 的整数")
    return int(text)


def _materials(session: Session, rows: list[Row], create: bool, problems: list):
    """Known materials by code, the codes to create, and warnings about differing names."""
    known, created, warnings = {}, [], []
    for row in rows:
        material = find_material(session, row.code)
        if material is not None:
            known[row.code] = material
            if row.name and row.name != material.name:
                reason = f"名称与物料主数据不一致（主数据：{material.name}），按主数据导入"
                warnings.append((row.number, "name", reason))
        elif not create:
            problems.append((row.number, "material_code", f"物料 {row.code} 不存在"))
        elif not row.name:
            problems.append((row.number, "name", "新物料必须填写物料名称"))
        else:
            created.append(row.code)
    return known, created, warnings


def _create_material(session: Session, row: Row, now: datetime) -> Material:
    material = Material(
        code=row.code,
        name=row.name,
        spec=row.spec,
        unit=row.unit,
        is_key=row.is_key,
        created_at=now,
        updated_at=now,
    )
    session.add(material)
    session.flush()
    return material


def _new_line(order_id: int, material_id: int, row: Row, now: datetime) -> BomLine:
    return BomLine(
        order_id=order_id,
        material_id=material_id,
        needed=row.quantity,
        need_date=row.need_date,
        warning_days=row.warning_days,
        note=row.note,
        position=row.number,
        created_at=now,
        updated_at=now,
    )


def _update_line(line: BomLine, row: Row, now: datetime) -> None:
    line.needed = row.quantity
    line.need_date = row.need_date
    line.warning_days = row.warning_days
    if row.note:
        line.note = row.note
    line.updated_at = now


def _problem(problem: tuple[int, str, str], columns: dict[str, str]) -> dict:
    number, field, reason = problem
    column = columns.get(field) or HEADERS[field][0]
    return ImportProblem(row=number, column=column, reason=reason).model_dump()
