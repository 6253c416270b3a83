"""Gendan label payloads: format and parse are inverses; anything else is a clean plain code."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import InvalidInput
from scanning.payload import (
    MAX_TEXT,
    BadPayload,
    GendanLabel,
    LabelKind,
    PlainCode,
    format_payload,
    parse_payload,
)

CONTROL = {"Cc", "Cf", "Cs"}


def is_clean(value: str) -> bool:
    return value == value.strip() and all(unicodedata.category(c) not in CONTROL for c in value)


field_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from("%;:不锈钢板批次号 \u00a0é"),
        st.characters(exclude_categories=("Cc", "Cf", "Cs")),
    ),
    min_size=1,
    max_size=20,
).filter(is_clean)

quantities = st.decimals(
    min_value=Decimal("0.000001"), max_value=Decimal("999999999999.999999"), places=6
)


@st.composite
def labels(draw) -> GendanLabel:
    kind = draw(st.sampled_from(LabelKind))
    optional = {
        "material_code": draw(st.none() | field_text),
        "lot": draw(st.none() | field_text),
        "quantity": draw(st.none() | quantities),
        "order_code": draw(st.none() | field_text),
    }
    required = {
        LabelKind.ORDER: ("order_code",),
        LabelKind.MATERIAL: ("material_code",),
        LabelKind.LOT: ("material_code", "lot"),
    }[kind]
    for name in required:
        optional[name] = optional[name] or draw(field_text)
    return GendanLabel(kind=kind, **optional)


def longest_payload(label: GendanLabel) -> int:
    """The payload's length if every byte of every text field were escaped (%XX): at most."""
    texts = [label.material_code, label.lot, label.order_code]
    fields = sum(len("X:;") + 3 * len(text.encode()) for text in texts if text is not None)
    return len("GD1:K") + fields + (len(";Q:") + 19 if label.quantity is not None else 0)


@given(labels())
def test_format_then_parse_gives_the_same_label_or_refuses_one_too_long_for_a_code(label):
    # A field may hold 64 characters, and one Chinese character escapes to 9 ASCII ones (an
    # emoji to 12): three long non-ASCII fields do not fit in the 512 characters of a code.
    try:
        payload = format_payload(label)
    except BadPayload as exc:
        assert exc.message == "扫码内容过长（超过 512 个字符）"
        assert longest_payload(label) > MAX_TEXT
        return
    assert parse_payload(payload) == label
    assert payload.isascii() and payload.isprintable() and " " not in payload
    assert len(payload) <= MAX_TEXT


@given(st.text(max_size=600))
def test_parse_raises_nothing_but_invalid_input_on_any_text(text):
    try:
        result = parse_payload(text)
    except InvalidInput:
        return
    assert isinstance(result, GendanLabel | PlainCode)
    if isinstance(result, PlainCode):
        assert result.text and is_clean(result.text) and len(result.text) <= MAX_TEXT
        assert "  " not in result.text
        assert parse_payload(result.text) == result


label_like = st.builds(
    lambda kind, body: f"GD1:{kind}" + body,
    st.sampled_from(["ORD", "MAT", "LOT", "XYZ", ""]),
    st.text(alphabet=st.sampled_from(list("MLQO:;%0123456789AF.-x 中")), max_size=40),
)


@given(label_like)
def test_parse_raises_nothing_but_invalid_input_on_label_like_text(text):
    try:
        result = parse_payload(text)
    except InvalidInput:
        return
    assert isinstance(result, GendanLabel)


def test_lot_label_payload_reads_as_documented():
    label = GendanLabel(
        kind=LabelKind.LOT,
        material_code="STEEL-3MM",
        lot="A240501",
        quantity=Decimal("12.50"),
        order_code="SO-2405-001",
    )
    assert format_payload(label) == "GD1:LOT;M:STEEL-3MM;L:A240501;Q:12.5;O:SO-2405-001"


def test_separators_spaces_and_chinese_are_escaped():
    label = GendanLabel(kind=LabelKind.MATERIAL, material_code="钢板 3:1;5%")
    payload = format_payload(label)
    assert payload == "GD1:MAT;M:%E9%92%A2%E6%9D%BF%203%3A1%3B5%25"
    assert parse_payload(payload) == label


def test_quantity_is_canonical_whatever_it_was_given_as():
    for given_as in (100, "100", "100.000", Decimal("1E+2"), 100.0):
        label = GendanLabel(kind=LabelKind.MATERIAL, material_code="M1", quantity=given_as)
        assert label.quantity == Decimal("100")
        assert format_payload(label) == "GD1:MAT;M:M1;Q:100"


def test_fields_may_come_in_any_order_when_parsed():
    label = parse_payload("GD1:LOT;O:SO-1;Q:3;L:B7;M:BOLT-M8")
    assert label == GendanLabel(
        kind=LabelKind.LOT,
        material_code="BOLT-M8",
        lot="B7",
        quantity=Decimal(3),
        order_code="SO-1",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  MAT-0001\r\n", "MAT-0001"),
        ("\ufeff6901234567892", "6901234567892"),
        ("ABC\t 123", "ABC 123"),
        ("0109501101530003\x1d10LOT7", "0109501101530003 10LOT7"),
        ("供应商-甲\u200b-001", "供应商-甲-001"),
        ("gd1:lot;M:X", "gd1:lot;M:X"),
    ],
)
def test_plain_codes_are_cleaned(text, expected):
    assert parse_payload(text) == PlainCode(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "扫码内容为空或只有不可见字符"),
        ("   \t\r\n ", "扫码内容为空或只有不可见字符"),
        ("\x00\x01\x1b\x7f\u200b\ufeff", "扫码内容为空或只有不可见字符"),
        ("A" * (MAX_TEXT + 1), "扫码内容过长（超过 512 个字符）"),
        ("GD2:MAT;M:X", "标签版本不受支持，请重新打印标签"),
        ("GD01:MAT;M:X", "标签版本不受支持，请重新打印标签"),
        ("GD1:BOX;M:X", "标签类型无效"),
        ("GD1:MAT;M:X;Q:0", "数量无效：需为大于 0 的数字，最多 12 位整数、6 位小数"),
        ("GD1:MAT;M:X;Q:-5", "数量无效：需为大于 0 的数字，最多 12 位整数、6 位小数"),
        ("GD1:MAT;M:X;Q:ten", "数量无效：需为大于 0 的数字，最多 12 位整数、6 位小数"),
        ("GD1:MAT;M:X;Q:1e3", "数量无效：需为大于 0 的数字，最多 12 位整数、6 位小数"),
        ("GD1:MAT;M:X;Q:0.0000001", "数量无效：需为大于 0 的数字，最多 12 位整数、6 位小数"),
        ("GD1:MAT;M:X;Q:١٢", "数量无效：需为大于 0 的数字，最多 12 位整数、6 位小数"),
        ("GD1:MAT;Q:5", "物料标签缺少物料编码"),
        ("GD1:LOT;M:X", "批次标签缺少批次号"),
        ("GD1:ORD", "订单标签缺少订单号"),
        ("GD1:MAT;M:X;M:Y", "标签字段重复：物料编码"),
        ("GD1:MAT;M:X;Z:1", "标签字段无效：Z:1"),
        ("GD1:MAT;M:a:b", "标签字段无效：M:a:b"),
        ("GD1:MAT;M:X;", "标签字段无效："),
        ("GD1:MAT;M:50%", "标签中的转义字符无效"),
        ("GD1:MAT;M:%C3%28", "标签中的转义字符无效"),
        ("GD1:MAT;M:%00", "物料编码无效：需为 1-64 个字符，不能含控制字符或首尾空格"),
        ("GD1:MAT;M:%20X", "物料编码无效：需为 1-64 个字符，不能含控制字符或首尾空格"),
        ("GD1:MAT;M:" + "X" * 65, "物料编码无效：需为 1-64 个字符，不能含控制字符或首尾空格"),
    ],
)
def test_bad_text_is_refused_with_a_clear_message(text, message):
    with pytest.raises(InvalidInput) as caught:
        parse_payload(text)
    assert caught.value.message == message
    assert caught.value.status == 422


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": LabelKind.LOT, "material_code": "X", "lot": "L", "quantity": 0},
        {"kind": LabelKind.LOT, "material_code": "X", "lot": "L", "quantity": True},
        {"kind": LabelKind.LOT, "material_code": "X", "lot": "L", "quantity": float("nan")},
        {"kind": LabelKind.MATERIAL, "material_code": " X"},
        {"kind": LabelKind.MATERIAL, "material_code": ""},
        {"kind": LabelKind.MATERIAL, "material_code": "X\n"},
        {"kind": "box", "material_code": "X"},
    ],
)
def test_invalid_labels_cannot_be_built(fields):
    with pytest.raises(InvalidInput):
        GendanLabel(**fields)


def test_payload_longer_than_the_limit_is_refused_when_formatting():
    label = GendanLabel(
        kind=LabelKind.LOT, material_code="钢" * 64, lot="板" * 64, order_code="号" * 64
    )
    with pytest.raises(InvalidInput):
        format_payload(label)
