"""Exact decimal quantities and money on every engine.

SQLite has no exact decimal type (NUMERIC columns hold floats there), so quantities are stored
as whole thousandths and money (prices included) as whole fen in a BIGINT: sums and comparisons
in SQL stay exact on SQLite and PostgreSQL alike, and Python sees Decimal values. Money travels
in JSON as a string with two places ("1234.50") both ways.

Arithmetic between two such columns in SQL (a + b) is typed by SQLAlchemy as the plain BIGINT,
so wrap its result in `type_coerce(expr, QUANTITY)` before reading it or comparing it with a
Python value.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

import sqlalchemy as sa
from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError
from sqlalchemy.types import TypeDecorator

QUANTITY_PLACES = 3
MAX_QUANTITY = Decimal("1000000000")


def plain(value: Decimal) -> Decimal:
    """The same number without trailing zeros or exponent: 10, 12.5."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def show(value: Decimal | None) -> str:
    """A quantity as people write it: 10, 12.5."""
    return "" if value is None else format(plain(Decimal(value)), "f")


class FixedDecimal(TypeDecorator):
    """A Decimal with a fixed number of places, stored as a whole number of its smallest unit."""

    impl = sa.BigInteger
    cache_ok = True

    def __init__(self, places: int = QUANTITY_PLACES):
        super().__init__()
        self.places = places

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        step = Decimal(1).scaleb(-self.places)
        return int(number.quantize(step, rounding=ROUND_HALF_EVEN).scaleb(self.places))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return plain(Decimal(int(value)).scaleb(-self.places))


QUANTITY = FixedDecimal(QUANTITY_PLACES)


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# Decimals are shown as JSON numbers (pydantic would write strings), whole ones without ".0".
QuantityOut = Annotated[
    Decimal, PlainSerializer(_json_number, return_type=int | float, when_used="json")
]


def decimal_pattern(digits: int, places: int, positive: bool, high: int) -> str:
    """A plain decimal in text: up to `digits` digits, `places` places, no sign or exponent;
    or the maximum itself, which the number form allows too (a query string carries the JSON
    number 1e9 as "1000000000": it was refused as text)."""
    zero = r"(?!0+(\.0+)?$)" if positive else ""
    return rf"^{zero}([0-9]{{1,{digits}}}(\.[0-9]{{1,{places}}})?|{high}(\.0{{1,{places}}})?)$"


def exact_decimal_in(places: int, high: Decimal, positive: bool) -> tuple:
    """The metadata of a Decimal input with at most `places` places in (0 or above, `high`].

    A JSON number (`multipleOf` states the places exactly: schemathesis and JSON Schema readers
    check it on the decimal spelling) or a plain decimal string the document's pattern states;
    "1e3", " 5" or "abc" are refused with 422 like the pattern says.
    """
    digits = len(str(int(high))) - 1  # 1e9 -> nine digits before the point, below the maximum
    pattern = decimal_pattern(digits, places, positive, int(high))
    text = re.compile(pattern)
    step = float(Decimal(1).scaleb(-places))

    def check(value):
        if isinstance(value, bool) or (isinstance(value, str) and not text.fullmatch(value)):
            raise PydanticCustomError("decimal_parsing", "a plain decimal number")
        return value

    low = {"exclusiveMinimum": 0} if positive else {"minimum": 0}
    schema = {
        "anyOf": [
            {"type": "number", **low, "maximum": float(high), "multipleOf": step},
            {"type": "string", "pattern": pattern},
        ]
    }
    bound = {"gt": 0} if positive else {"ge": 0}
    return (
        BeforeValidator(check),
        Field(**bound, le=high, decimal_places=places, allow_inf_nan=False),
        WithJsonSchema(schema, mode="validation"),
    )


QuantityIn = Annotated[Decimal, *exact_decimal_in(QUANTITY_PLACES, MAX_QUANTITY, positive=True)]
CountIn = Annotated[Decimal, *exact_decimal_in(QUANTITY_PLACES, MAX_QUANTITY, positive=False)]


def number(value: Decimal | None) -> int | float | None:
    """A quantity for JSON error details."""
    return None if value is None else _json_number(Decimal(value))


# Money in yuan with two places, stored as whole fen (分) in a BIGINT: exact on every engine.
MONEY_PLACES = 2
MONEY = FixedDecimal(MONEY_PLACES)
MAX_MONEY = Decimal("100000000000")


def yuan(value: Decimal | int | None) -> Decimal:
    """An amount rounded to the fen (half even, as FixedDecimal stores it)."""
    number = Decimal(0) if value is None else Decimal(value)
    return number.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def _money_text(value: Decimal) -> str:
    return format(yuan(value), "f")


# Money in: "1234.5" or "1234.50" (a JSON number is read the same way), at most two places and
# eleven digits before the point (MAX_MONEY is 1e11 yuan); "1e3", "12.345" or "abc" are refused
# with 422. The patterns are the OpenAPI document's too, so they say exactly what is accepted.
MONEY_PATTERN = r"^[0-9]{1,11}(\.[0-9]{1,2})?$"
# A positive amount (PositiveMoneyIn): the same without the zeros, which gt=0 refuses.
POSITIVE_MONEY_PATTERN = r"^(?!0+(\.0+)?$)[0-9]{1,11}(\.[0-9]{1,2})?$"


_MONEY_TEXT = re.compile(MONEY_PATTERN)


def _money_input(value):
    if isinstance(value, bool) or (
        isinstance(value, str) and not _MONEY_TEXT.fullmatch(value.strip())
    ):
        raise PydanticCustomError("money_format", "money is yuan with at most two places")
    return value.strip() if isinstance(value, str) else value


def _money_in_schema(pattern: str, *, positive: bool) -> WithJsonSchema:
    """Text the pattern states, or a JSON number with at most two places (read the same way;
    the document said text only, and a long schemathesis run sent 3885 as a schema-violating
    request that was accepted)."""
    low = {"exclusiveMinimum": 0} if positive else {"minimum": 0}
    number = {"type": "number", **low, "maximum": float(MAX_MONEY), "multipleOf": 0.01}
    return WithJsonSchema(
        {"anyOf": [{"type": "string", "pattern": pattern}, number], "examples": ["1234.50"]},
        mode="validation",
    )


_MONEY_OUT_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["1234.50"]},
    mode="serialization",
)

# Money goes out as a string with two places ("1234.50"): exact, no float on the way.
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(_money_text, return_type=str, when_used="json"),
    _MONEY_OUT_SCHEMA,
]
MoneyIn = Annotated[
    Decimal,
    BeforeValidator(_money_input),
    Field(ge=0, le=MAX_MONEY, decimal_places=MONEY_PLACES, allow_inf_nan=False),
    _money_in_schema(MONEY_PATTERN, positive=False),
]
PositiveMoneyIn = Annotated[
    Decimal,
    BeforeValidator(_money_input),
    Field(gt=0, le=MAX_MONEY, decimal_places=MONEY_PLACES, allow_inf_nan=False),
    _money_in_schema(POSITIVE_MONEY_PATTERN, positive=True),
]
