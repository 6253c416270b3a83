"""Input types for requests: what the OpenAPI document promises, and nothing pydantic's lax
mode would read into it.

Dates and times are text.

pydantic reads a number, or text made of digits, as Unix time: `{"delivery_date": 0}` or
`?day=0` became 1970-01-01, and `"2026-12-07T00:00:00"` a date, while the document says
`format: date` (YYYY-MM-DD). A client that sends seconds by mistake must hear so, not file a
report for 1970. These types refuse such input with pydantic's own error types, which the doors
word in Chinese (日期格式应为 YYYY-MM-DD, 时间格式应为 ISO 8601). Python callers that pass
date and datetime objects are not touched.

Booleans and integers: pydantic reads 0, 1, 0.0 and 1.0 as booleans and a boolean as 0 or 1,
so `{"required": 0.0, "position": false}` made a checklist item (found by the long schemathesis
run). `Flag` refuses a number and `Whole` a boolean. Text stays readable as either ("true",
"5"): query strings, forms and chat commands arrive as text, and pydantic reads them as before.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

DAY_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NUMBER_TEXT = re.compile(r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")


def _day_input(value):
    if isinstance(value, date) or (isinstance(value, str) and DAY_TEXT.fullmatch(value)):
        return value  # a datetime object is pydantic's to judge (midnight or refused)
    raise PydanticCustomError("date_parsing", "a date as YYYY-MM-DD")


def _flag_input(value):
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        raise PydanticCustomError("bool_type", "a boolean, not a number")
    return value


def _whole_input(value):
    if isinstance(value, bool):
        raise PydanticCustomError("int_type", "an integer, not a boolean")
    return value


def _moment_input(value):
    if isinstance(value, datetime) or (isinstance(value, str) and not NUMBER_TEXT.fullmatch(value)):
        return value
    raise PydanticCustomError("datetime_parsing", "a time in ISO 8601")


Day = Annotated[date, BeforeValidator(_day_input)]
Moment = Annotated[datetime, BeforeValidator(_moment_input)]
AwareMoment = Annotated[AwareDatetime, BeforeValidator(_moment_input)]
# For an integer type with bounds of its own, after them (before, the document loses them).
NOT_A_BOOL = BeforeValidator(_whole_input)
Flag = Annotated[bool, BeforeValidator(_flag_input)]
Whole = Annotated[int, NOT_A_BOOL]
# Optional ones: `Whole | None = Field(ge=..., le=...)` would lose its bounds in the document
# (written as "ge" and "le" inside its anyOf, which JSON Schema does not know).
OptionalFlag = Annotated[bool | None, BeforeValidator(_flag_input)]
OptionalWhole = Annotated[int | None, BeforeValidator(_whole_input)]
