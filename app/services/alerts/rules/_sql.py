"""SQL (PostgreSQL) for the text of a rule's message, written as its `build` writes it in
Python: a rule's `sql=` (SqlFinding) uses these so that the sweep can insert its alerts with
INSERT .. SELECT. tests/services/alerts/test_sql_findings.py holds each rule's two versions
equal, edge cases included."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy import Date, Integer, Numeric, Text, case, cast, func, literal


def joined(*parts):
    """The parts joined as one text (a column or a Python string each; none may be NULL)."""
    return func.concat(*(literal(p, Text) if isinstance(p, str) else p for p in parts))


def month_day(day):
    """`f"{day:%m-%d}"` of a date column."""
    return func.to_char(day, "MM-DD")


def local_minute(moment, zone: str):
    """`f"{moment.astimezone(zone):%m-%d %H:%M}"` of a timestamptz column."""
    return func.to_char(func.timezone(zone, moment), "MM-DD HH24:MI")


def days_from(day, today: date):
    """`(today - day).days` of a date column."""
    return cast(literal(today, Date) - day, Integer)


def plain(quantity):
    """`f"{quantity.normalize():f}"` (models.quantities.show) of a FixedDecimal column, which
    holds whole units of its last place: no trailing zeros, no exponent."""
    scaled = cast(quantity, Numeric) / literal(10**quantity.type.places, Numeric)
    return cast(func.trim_scale(scaled), Text)


def shortened(value, length: int):
    """`value if len(value) <= length else value[: length - 1] + "…"`."""
    return case(
        (func.char_length(value) <= length, value),
        else_=func.left(value, length - 1) + literal("…", Text),
    )


def named(column, names: Mapping):
    """The Chinese name of an enum column's value (`names[Enum(value)]`)."""
    return case({str(key): name for key, name in names.items()}, value=cast(column, Text))
