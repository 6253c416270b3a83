"""Pydantic validation errors in the words users read, for every door (API, bot, pages)."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from models.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)

# Chinese wording for the pydantic error types users actually meet.
VALIDATION_WORDS = {
    "missing": "必填",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文本",
    "string_too_short": "不能为空或过短",
    "string_too_long": "过长",
    "string_pattern_mismatch": "格式不正确",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "datetime_from_date_parsing": "时间格式应为 ISO 8601",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "too_short": "至少需要一项",
    "too_long": "项数过多",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "请求体应为 JSON 对象",
    "model_type": "请求体应为 JSON 对象",
    "extra_forbidden": "不允许的字段",
    "uuid_parsing": "应为 UUID",
    "json_invalid": "JSON 格式错误",
    "money_format": "金额应为数字（元），最多两位小数",
    "decimal_max_places": "小数位数过多",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
}

# A null where the field can be left out but not cleared (models.base.Omissible).
NULL_WORD = "不能为 null（不修改请省略该字段）"


def describe_validation_error(exc: ValidationError) -> tuple[str, list[dict]]:
    """A Chinese message naming the bad fields (at most five), and the fields themselves."""
    fields, parts = [], []
    for err in exc.errors(include_url=False, include_context=False):
        loc = ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path"))
        word = VALIDATION_WORDS.get(err["type"], "格式不正确")
        if err.get("input", "") is None and loc:  # a field sent as null
            word = NULL_WORD
        parts.append(f"{loc}：{word}" if loc else word)
        fields.append({"field": loc, "type": err["type"]})
    return "；".join(parts[:5]), fields


def validated(model: type[M], values: dict[str, Any]) -> M:
    """Build an input model from plain values (bot and job callers); InvalidInput if bad."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        message, fields = describe_validation_error(exc)
        raise InvalidInput(message, code="validation_error", fields=fields) from exc


# Nesting deeper than this is no form Gendan reads; Python's json would recurse until a
# RecursionError (a 500) on a few kilobytes of brackets.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_too_deep(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether a JSON text nests arrays/objects deeper than `limit` (checked before parsing)."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return True
    return False
