"""What a scanned code means: a Gendan label, or a plain code for the service to resolve.

Gendan label payload, version 1::

    GD1:<KIND>;<KEY>:<VALUE>;<KEY>:<VALUE>...

    GD1:LOT;M:STEEL-3MM;L:A240501;Q:12.5;O:SO-2405-001

- KIND is ORD (order label), MAT (material label) or LOT (lot label).
- KEY is M (material code), L (lot), Q (quantity) or O (order code), each at most once,
  written in that order. An order label needs O, a material label M, a lot label M and L;
  the other fields are optional.
- VALUE is percent-encoded UTF-8: every character outside printable ASCII (space included)
  and every '%', ';' and ':' becomes %XX with upper-case hex. The payload is therefore plain
  printable ASCII without spaces: Code 128 can carry it, no scanner keyboard layout mangles
  it and a person can read it off the label.
- Q is a positive decimal, at most 12 integer and 6 fraction digits, no sign or exponent.
- A value is 1-64 characters, without control characters or surrounding whitespace; the whole
  payload is at most 512 characters.

Anything that starts with ``GD<digits>:`` is taken as a Gendan label and must be valid; any
other text is a plain code (a material code or a supplier's own barcode), returned with
control characters removed and whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from models.errors import InvalidInput

VERSION = "1"
MAX_TEXT = 512
MAX_VALUE = 64

_HEADER = re.compile(r"GD([0-9]+):")
_QUANTITY = re.compile(r"[0-9]{1,12}(\.[0-9]{1,6})?")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_RESERVED = frozenset("%;:")
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})

MESSAGES = {
    "empty": "扫码内容为空或只有不可见字符",
    "too_long": f"扫码内容过长（超过 {MAX_TEXT} 个字符）",
    "version": "标签版本不受支持，请重新打印标签",
    "kind": "标签类型无效",
    "field": "标签字段无效：{field}",
    "duplicate": "标签字段重复：{field}",
    "missing": "{kind}缺少{field}",
    "value": "{field}无效：需为 1-{max} 个字符，不能含控制字符或首尾空格",
    "escape": "标签中的转义字符无效",
    "quantity": "数量无效：需为大于 0 的数字，最多 12 位整数、6 位小数",
}


class BadPayload(InvalidInput):
    code = "bad_payload"
    message = "扫码内容无效"


class LabelKind(StrEnum):
    ORDER = "order"
    MATERIAL = "material"
    LOT = "lot"


KIND_CODES = {LabelKind.ORDER: "ORD", LabelKind.MATERIAL: "MAT", LabelKind.LOT: "LOT"}


KIND_NAMES = {
    LabelKind.ORDER: "订单标签",
    LabelKind.MATERIAL: "物料标签",
    LabelKind.LOT: "批次标签",
}
# Payload key and Chinese name of each field, in payload order.
FIELD_KEYS = {"material_code": "M", "lot": "L", "quantity": "Q", "order_code": "O"}
FIELD_NAMES = {
    "material_code": "物料编码",
    "lot": "批次号",
    "quantity": "数量",
    "order_code": "订单号",
}
REQUIRED = {
    LabelKind.ORDER: ("order_code",),
    LabelKind.MATERIAL: ("material_code",),
    LabelKind.LOT: ("material_code", "lot"),
}


@dataclass(frozen=True)
class GendanLabel:
    """A label Gendan printed; constructing one validates it (InvalidInput if it is wrong)."""

    kind: LabelKind
    material_code: str | None = None
    lot: str | None = None
    quantity: Decimal | None = None
    order_code: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _kind(self.kind))
        for name in ("material_code", "lot", "order_code"):
            _check_value(name, getattr(self, name))
        if self.quantity is not None:
            object.__setattr__(self, "quantity", _quantity(_plain_number(self.quantity)))
        for name in REQUIRED[self.kind]:
            if getattr(self, name) is None:
                message = MESSAGES["missing"].format(
                    kind=KIND_NAMES[self.kind], field=FIELD_NAMES[name]
                )
                raise BadPayload(message)


@dataclass(frozen=True)
class PlainCode:
    """Any other code: cleaned text for the service to resolve."""

    text: str


Payload = GendanLabel | PlainCode


def parse_payload(text: str) -> Payload:
    """Classify scanned text; InvalidInput when it is empty, too long or a broken label."""
    if len(text) > MAX_TEXT:
        raise BadPayload(MESSAGES["too_long"])
    cleaned = clean_text(text)
    if not cleaned:
        raise BadPayload(MESSAGES["empty"])
    header = _HEADER.match(cleaned)
    if header is None:
        return PlainCode(cleaned)
    if header.group(1) != VERSION:
        raise BadPayload(MESSAGES["version"], version=header.group(1))
    return _parse_label(cleaned[header.end() :])


def format_payload(label: GendanLabel) -> str:
    """The payload string printed in a label's code; parse_payload reverses it."""
    parts = [f"GD{VERSION}:{KIND_CODES[label.kind]}"]
    for name, key in FIELD_KEYS.items():
        value = getattr(label, name)
        if value is not None:
            shown = _format_quantity(value) if name == "quantity" else _escape(value)
            parts.append(f"{key}:{shown}")
    payload = ";".join(parts)
    if len(payload) > MAX_TEXT:
        raise BadPayload(MESSAGES["too_long"])
    return payload


def clean_text(text: str) -> str:
    """Whitespace runs to one space, control and format characters dropped, ends stripped."""
    kept = (
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in _DROPPED_CATEGORIES
    )
    return " ".join("".join(kept).split())


def _parse_label(body: str) -> GendanLabel:
    """The part after 'GD1:': the kind, then the fields."""
    kind_text, *segments = body.split(";")
    values: dict[str, object] = {}
    names_by_key = {key: name for name, key in FIELD_KEYS.items()}
    for segment in segments:
        key, colon, raw = segment.partition(":")
        name = names_by_key.get(key)
        if name is None or not colon:
            raise BadPayload(MESSAGES["field"].format(field=segment[:16]))
        if name in values:
            raise BadPayload(MESSAGES["duplicate"].format(field=FIELD_NAMES[name]))
        if ":" in raw:
            raise BadPayload(MESSAGES["field"].format(field=segment[:16]))
        values[name] = _quantity(raw) if name == "quantity" else _unescape(raw)
    kinds_by_code = {code: kind for kind, code in KIND_CODES.items()}
    if kind_text not in kinds_by_code:
        raise BadPayload(MESSAGES["kind"])
    return GendanLabel(kind=kinds_by_code[kind_text], **values)


def _kind(value: object) -> LabelKind:
    """The label kind, from the enum or its value."""
    try:
        return LabelKind(value)
    except ValueError:
        raise BadPayload(MESSAGES["kind"]) from None


def _plain_number(value: object) -> str:
    """A quantity given as Decimal, int, float or text, as digits without an exponent."""
    if isinstance(value, bool):
        raise BadPayload(MESSAGES["quantity"])
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        return value
    try:
        return format(Decimal(value), "f")
    except (InvalidOperation, TypeError, ValueError):
        raise BadPayload(MESSAGES["quantity"]) from None


def _check_value(name: str, value: object) -> None:
    """A text field is absent, or 1-MAX_VALUE clean characters."""
    if value is None:
        return
    ok = (
        isinstance(value, str)
        and 0 < len(value) <= MAX_VALUE
        and value == value.strip()
        and not any(unicodedata.category(c) in _DROPPED_CATEGORIES for c in value)
    )
    if not ok:
        raise BadPayload(MESSAGES["value"].format(field=FIELD_NAMES[name], max=MAX_VALUE))


def _quantity(text: str) -> Decimal:
    """A positive quantity in canonical form (no exponent, no trailing fraction zeros)."""
    if not _QUANTITY.fullmatch(text):
        raise BadPayload(MESSAGES["quantity"])
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadPayload(MESSAGES["quantity"]) from None
    if value <= 0:
        raise BadPayload(MESSAGES["quantity"])
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal.as_tuple().exponent > 0 else normal


def _format_quantity(value: Decimal) -> str:
    """The quantity as plain digits, e.g. 100 or 12.5."""
    return format(value, "f")


def _escape(value: str) -> str:
    """Percent-encode everything but printable ASCII other than '%', ';' and ':'."""
    out = []
    for char in value:
        if "!" <= char <= "~" and char not in _RESERVED:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def _unescape(value: str) -> str:
    """Reverse _escape; a stray '%' or bytes that are not UTF-8 are an error."""
    if "%" in _ESCAPE.sub("", value):
        raise BadPayload(MESSAGES["escape"])
    parts = _ESCAPE.split(value)
    # re.split alternates literal text and captured hex pairs: rebuild the raw bytes.
    data = b"".join(
        bytes.fromhex(part) if i % 2 else part.encode("utf-8") for i, part in enumerate(parts)
    )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload(MESSAGES["escape"]) from None
