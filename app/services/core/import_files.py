"""Reading an import file (a BOM, an order list): CSV (UTF-8 or GB18030, as Excel saves it)
or XLSX, into raw rows; then the helpers both importers check and write rows with: RowError
and Problems (every problem with its row number and a Chinese reason), the cell parsers
(cell_text, cell_limited, cell_date, cell_number,
cell_flag) and write_all (every row written or none).

The type is sniffed from the bytes, not taken from the file name. XLSX files are checked as
zip archives before openpyxl opens them (read-only, values only), so a zip bomb or a workbook
with a million rows is refused before it fills memory.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from sqlmodel import Session

from models.bom import ImportProblem
from models.errors import InvalidInput, TooLarge, UnsupportedMedia

T = TypeVar("T")
R = TypeVar("R")


class ImportFailed(InvalidInput):
    """An import file (BOM, order list) was refused; `errors` names row, column and reason."""

    code = "bom_import_invalid"


MAX_BYTES = 5 * 1024 * 1024
MAX_UNZIPPED = 50 * 1024 * 1024
MAX_ROWS = 2000
_OLE = b"\xd0\xcf\x11\xe0"

# Accepted header names of each column (Chinese first, as the template writes them).
HEADERS = {
    "material_code": ("物料编码", "编码", "material_code", "code"),
    "name": ("物料名称", "名称", "name"),
    "spec": ("规格型号", "规格", "spec"),
    "unit": ("单位", "unit"),
    "is_key": ("关键物料", "关键", "is_key", "key"),
    "quantity": ("需求数量", "数量", "quantity", "needed"),
    "need_date": ("需求日期", "need_date"),
    "warning_days": ("预警天数", "warning_days"),
    "note": ("备注", "note"),
}
REQUIRED = ("material_code", "quantity", "need_date")
TEMPLATE = [HEADERS[field][0] for field in HEADERS]


@dataclass(frozen=True)
class Table:
    """The columns found (field -> header as written in the file) and the data rows, each
    with its row number in the file (the header is row 1 for an XLSX, its line for a CSV)."""

    columns: dict[str, str]
    rows: list[tuple[int, dict[str, object]]]


@dataclass(frozen=True)
class Layout:
    """What a kind of file holds: its columns (field -> accepted headers), the required ones,
    what people call it (in messages) and how many rows it may have."""

    headers: dict[str, tuple[str, ...]]
    required: tuple[str, ...]
    label: str = "BOM"
    max_rows: int = MAX_ROWS


BOM_LAYOUT = Layout(HEADERS, REQUIRED)


def read_table(data: bytes, layout: Layout = BOM_LAYOUT) -> Table:
    """The table in a CSV or XLSX file (a BOM by default); a DomainError for anything else."""
    if not data:
        raise ImportFailed("文件为空")
    if len(data) > MAX_BYTES:
        raise TooLarge(
            f"{layout.label} 文件不能超过 {MAX_BYTES // 1024 // 1024} MB", code="file_too_large"
        )
    if data.startswith(_OLE):
        raise UnsupportedMedia("不支持旧版 Excel（.xls），请另存为 .xlsx 或 CSV", code="xls_format")
    if data.startswith(b"PK\x03\x04"):
        lines = _xlsx_lines(data, layout.max_rows)
    else:
        lines = _csv_lines(data, layout.label)
    return _table(lines, layout)


def _table(lines, layout: Layout) -> Table:
    header_number, header = next(
        ((n, cells) for n, cells in lines if not all(_blank(c) for c in cells)), (1, [])
    )
    positions = _columns(header, layout.headers)
    missing = [layout.headers[f][0] for f in layout.required if f not in positions]
    if missing:
        raise ImportFailed(
            f"缺少必填列：{'、'.join(missing)}",
            errors=[{"row": header_number, "column": m, "reason": "缺少该列"} for m in missing],
        )
    rows = []
    for number, cells in lines:
        if number <= header_number or all(_blank(c) for c in cells):
            continue
        if len(rows) == layout.max_rows:
            raise ImportFailed(
                f"{layout.label} 最多 {layout.max_rows} 行，请分批导入", code="too_many_rows"
            )
        values = {f: cells[i] if i < len(cells) else None for f, i in positions.items()}
        rows.append((number, values))
    if not rows:
        raise ImportFailed("文件中没有数据行")
    columns = {f: str(header[i]).strip() for f, i in positions.items()}
    return Table(columns=columns, rows=rows)


def _columns(header: list, headers: dict[str, tuple[str, ...]]) -> dict[str, int]:
    names = {alias.lower(): field for field, aliases in headers.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        field = names.get(str(cell or "").strip().lower())
        if field is not None and field not in found:
            found[field] = index
    return found


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _csv_lines(data: bytes, label: str):
    if b"\x00" in data:
        raise UnsupportedMedia(f"只支持 CSV 或 XLSX 格式的 {label} 文件", code="bom_file_type")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFailed("无法识别文件编码，请保存为 UTF-8 或 GBK 编码的 CSV")
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise ImportFailed(f"CSV 格式错误（第 {reader.line_num} 行）") from exc


def _xlsx_lines(data: bytes, max_rows: int):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportFailed("XLSX 文件已损坏或不完整") from exc
    if unzipped > MAX_UNZIPPED:
        raise TooLarge("XLSX 文件解压后过大", code="file_too_large")
    from openpyxl import load_workbook  # with the first upload, not at start (issue 18)

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise ImportFailed("XLSX 文件已损坏或不是 Excel 工作簿") from exc
    try:
        sheet = book.worksheets[0]
        lines = []
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            if not all(_blank(c) for c in row):
                lines.append((number, list(row)))
            # Header plus one row too many is enough to refuse the file.
            if len(lines) > max_rows + 1:
                break
        return lines
    finally:
        book.close()


# Rows and cells: what both importers check before they write anything. ---------------------

DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")
YES = frozenset({"是", "y", "yes", "true", "1", "关键", "√"})
NO = frozenset({"否", "n", "no", "false", "0", ""})


class RowError(ValueError):
    """One cell's problem: which field, and why (in Chinese)."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    reason: str


class Problems:
    """Every problem of a file (row number, field, reason), collected before anything is
    written: an importer writes only when there are none."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def __len__(self) -> int:  # also its truth: a file with no problems is falsy
        return len(self.items)

    def add(self, row: int, field: str, reason: str) -> None:
        self.items.append(Problem(row, field, reason))

    def cell(self, row: int, values: dict, field: str, parse: Callable[[object], T]) -> T | None:
        """The parsed cell, or None with its RowError recorded."""
        try:
            return parse(values.get(field))
        except RowError as err:
            self.add(row, err.field, err.reason)
            return None

    def rows(self) -> int:
        """How many rows have a problem."""
        return len({p.row for p in self.items})

    def listed(
        self, headers: dict[str, tuple[str, ...]], columns: dict[str, str] | None = None
    ) -> list[dict]:
        """Each problem as the error details name it: row, column (the header as written in
        the file when given, else the template's), reason."""
        written = columns or {}
        return [
            ImportProblem(
                row=p.row,
                column=written.get(p.field) or headers.get(p.field, (p.field,))[0],
                reason=p.reason,
            ).model_dump()
            for p in self.items
        ]


def cell_text(value: object) -> str:
    """A cell as text: blank for empty, whole numbers without '.0' (Excel stores 12 as 12.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def cell_limited(value: object, field: str, limit: int) -> str:
    """A text cell of at most `limit` characters."""
    if len(result := cell_text(value)) > limit:
        raise RowError(field, f"最多 {limit} 个字符")
    return result


def cell_date(value: object, field: str, *, empty: str | None) -> date | None:
    """A date cell (an Excel date or text such as 2026-12-03 or 2026年12月3日); blank is
    None when `empty` is None, else refused with that reason."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    cell = cell_text(value)
    if not cell:
        if empty is None:
            return None
        raise RowError(field, empty)
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(cell, fmt).date()
        except ValueError:
            continue
    raise RowError(field, "日期格式应为 YYYY-MM-DD")


def cell_number(value: object, field: str, label: str, *, grouped: bool = False) -> Decimal | None:
    """A number cell as a Decimal (None when blank); `grouped` allows thousands separators.
    Range, precision and infinity are the caller's to refuse, with its own words."""
    if isinstance(value, float):
        value = round(value, 9)
    cell = cell_text(value)
    if grouped:
        cell = cell.replace(",", "").replace("，", "")
    if not cell:
        return None
    try:
        result = Decimal(cell)
    except InvalidOperation:
        raise RowError(field, f"{label}应为数字") from None
    return result


def cell_flag(value: object, field: str) -> bool:
    """A yes/no cell (是/否, y/n, true/false, 1/0; blank is no)."""
    cell = cell_text(value).lower()
    if cell in YES:
        return True
    if cell in NO:
        return False
    raise RowError(field, "应填 是 或 否")


def write_all(
    session: Session,
    items: Iterable[T],
    write: Callable[[T], R],
    progress: Callable[[], None] | None = None,
) -> list[R]:
    """Write every checked row or none: a failure part-way undoes the rows already written
    (a savepoint), so the caller's transaction holds no half-imported file."""
    results = []
    with session.begin_nested():
        for item in items:
            results.append(write(item))
            session.flush()
            if progress is not None:
                progress()
    return results
