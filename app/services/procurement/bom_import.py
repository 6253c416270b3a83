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
from decimal import Decimal

from sqlmodel import Session

from app.services.core import (
    HEADERS,
    Actor,
    ImportFailed,
    Problems,
    RowError,
    acts,
    cell_date,
    cell_flag,
    cell_limited,
    cell_number,
    cell_text,
    read_table,
    write_all,
)
from app.services.procurement.bom import (
    editable_order,
    line_for_material,
    refresh_procurement_progress,
)
from app.services.procurement.errors import places_rule
from app.services.procurement.materials import CATALOGUE_ROLES, find_material, require_role
from models.base import utcnow
from models.bom import MAX_WARNING_DAYS, BomImportResult, BomLine
from models.enums import Role
from models.materials import Material, default_places
from models.quantities import MAX_QUANTITY, QUANTITY_PLACES

_CODE = re.compile(r"[^\s\x00-\x1f\x7f]{1,64}")
_LIMITS = {"name": 200, "spec": 200, "unit": 16, "note": 500}


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
    problems, warnings = Problems(), Problems()
    rows = _parse(table.rows, problems)
    materials, created = _materials(session, rows, create_materials, problems, warnings)
    if problems:
        raise ImportFailed(
            f"BOM 导入失败：共 {len(problems)} 处错误，未导入任何数据",
            errors=problems.listed(HEADERS, table.columns),
        )
    if created:
        # An order's BOM may bring new codes into the catalogue (only adding, and logged); the
        # tracker who edits the BOM may do that, changing existing materials stays with buyers.
        require_role(actor, CATALOGUE_ROLES | {Role.tracker}, "新建物料")
    lines = write_all(
        session, rows, lambda row: _write(session, order_id, row, materials, now), progress
    )
    refresh_procurement_progress(session, order_id)
    return BomImportResult(
        dry_run=False,
        added=lines.count("added"),
        updated=lines.count("updated"),
        created_materials=created,
        warnings=warnings.listed(HEADERS, table.columns),
    )


def _write(session: Session, order_id: int, row: Row, materials: dict, now) -> str:
    """Create the row's material if new, add or update its line; "added" or "updated"."""
    material = materials.get(row.code) or _create_material(session, row, now)
    line = line_for_material(session, order_id, material.id)
    if line is None:
        session.add(_new_line(order_id, material.id, row, now))
        return "added"
    _update_line(line, row, now)
    session.add(line)
    return "updated"


def _parse(raw_rows, problems: Problems) -> list[Row]:
    rows, seen = [], {}
    for number, values in raw_rows:
        row = _row(number, values, problems)
        if row is None:
            continue
        key = row.code.upper()
        if key in seen:
            problems.add(number, "material_code", f"物料重复（与第 {seen[key]} 行相同）")
            continue
        seen[key] = number
        rows.append(row)
    return rows


def _row(number: int, values: dict, problems: Problems) -> Row | None:
    """The row, or None with every problem its cells have recorded."""
    before = len(problems)
    fields = {
        "code": problems.cell(number, values, "material_code", _code),
        "quantity": problems.cell(number, values, "quantity", _quantity),
        "need_date": problems.cell(
            number,
            values,
            "need_date",
            lambda v: cell_date(v, "need_date", empty="需求日期不能为空"),
        ),
        "is_key": problems.cell(number, values, "is_key", lambda v: cell_flag(v, "is_key")),
        "warning_days": problems.cell(number, values, "warning_days", _warning_days),
    }
    for field, limit in _LIMITS.items():
        fields[field] = problems.cell(
            number, values, field, lambda v, f=field, n=limit: cell_limited(v, f, n)
        )
    if len(problems) > before:
        return None
    fields["unit"] = fields["unit"] or "件"
    return Row(number=number, **fields)


def _code(value) -> str:
    code = cell_text(value)
    if not code:
        raise RowError("material_code", "物料编码不能为空")
    if not _CODE.fullmatch(code):
        raise RowError("material_code", "物料编码不能含空格，最多 64 个字符")
    return code


def _quantity(value) -> Decimal:
    number = cell_number(value, "quantity", "需求数量")
    if number is None:
        raise RowError("quantity", "需求数量应为数字")
    if not number.is_finite() or number <= 0 or number > MAX_QUANTITY:
        raise RowError("quantity", "需求数量必须大于 0")
    if number != number.quantize(Decimal(1).scaleb(-QUANTITY_PLACES)):
        raise RowError("quantity", f"需求数量最多 {QUANTITY_PLACES} 位小数")
    return number


def _warning_days(value) -> int | None:
    text = cell_text(value)
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_WARNING_DAYS:
        raise RowError("warning_days", f"预警天数应为 0-{MAX_WARNING_DAYS} 的整数")
    return int(text)


def _materials(
    session: Session, rows: list[Row], create: bool, problems: Problems, warnings: Problems
):
    """Known materials by code and the codes to create; differing names are warnings."""
    known, created = {}, []
    for row in rows:
        material = find_material(session, row.code)
        if material is None:
            unit, places = row.unit, default_places(row.unit)
        else:
            unit, places = material.unit, material.quantity_places
        if row.quantity != row.quantity.quantize(Decimal(1).scaleb(-places)):
            problems.add(row.number, "quantity", places_rule(unit, places))
        if material is not None:
            known[row.code] = material
            if row.name and row.name != material.name:
                reason = f"名称与物料主数据不一致（主数据：{material.name}），按主数据导入"
                warnings.add(row.number, "name", reason)
        elif not create:
            problems.add(row.number, "material_code", f"物料 {row.code} 不存在")
        elif not row.name:
            problems.add(row.number, "name", "新物料必须填写物料名称")
        else:
            created.append(row.code)
    return known, created


def _create_material(session: Session, row: Row, now: datetime) -> Material:
    material = Material(
        code=row.code,
        name=row.name,
        spec=row.spec,
        unit=row.unit,
        quantity_places=default_places(row.unit),
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
