"""Shared column types and helpers for every table."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from pydantic import Field as PField
from pydantic import StringConstraints
from sqlalchemy.types import TypeDecorator

from models import clock

# Blank characters, spelled out for patterns: regex engines disagree on `\s` (a JSON Schema
# reader uses ECMA-262's, which has U+FEFF but neither U+0085 nor U+001C-U+001F; pydantic's
# Rust regex, its stripping and str.isspace() each have another set), so the document and the
# door would disagree on " \x85" or "\ufeff". These are every character any of them calls blank.
BLANKS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# The same, as the inside of a pattern's character class.
BLANK = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

# Text that must say something: at least one character besides blanks (stripped text of
# min_length 1), and no NUL. The OpenAPI document shows it, so "  " is invalid there too.
NOT_BLANK = rf"^[^\x00]*[^{BLANK}\x00][^\x00]*$"


def _no_default(schema: dict) -> None:
    schema.pop("default", None)


def Omissible(**constraints: Any) -> Any:
    """A field of a change (PATCH) that may be left out but not cleared: the document's type
    has no null, so {"roles": null} is refused with 422 as it says (it once reached the
    service and crashed on it); a field left out is None and absent from
    `model_dump(exclude_unset=True)`. Annotate the field with its plain type."""
    return PField(default=None, json_schema_extra=_no_default, **constraints)


def json_text(value: Any) -> str:
    """The text a JSON column stores: UTF-8 as it is, not \\u-escaped. A Chinese character
    takes 3 bytes instead of 6 (a stage-overdue alert card: 633 bytes against 838), which every
    row write, WAL record and read pays; `json.loads` reads both forms alike. The engines use it
    for every JSON column (app/db.py), and the sweep's COPY of outbox rows (alerts/bulk.py)."""
    return json.dumps(value, ensure_ascii=False)


E = TypeVar("E", bound=StrEnum)


def member(enum_cls: type[E], value: Any) -> E:
    """`enum_cls(value)` by a dict lookup: the Enum call costs about 1.3 µs, which bulk reads
    (every enum column of every row) and the sweep (every finding's key) pay many times over.
    An unknown value still raises ValueError, from the call."""
    try:
        found = enum_cls._value2member_map_.get(value)
    except TypeError:  # unhashable: let the call explain
        found = None
    return found if found is not None else enum_cls(value)


# Foreign keys that PostgreSQL checks with statement triggers instead of the declared
# constraint, as (table, column): migrations f2a9c4e7b1d3 and c3e8a1f5d9b7 (a first rule sweep
# writes hundreds of thousands of these rows, and a declared key costs a query and a lock per
# row). The models declare them; SQLite keeps them as declared.
STATEMENT_CHECKED_KEYS = frozenset(
    {("alert", "order_id"), ("alert", "owner_id"), ("outbox", "group_id"), ("outbox", "order_id")}
)


def in_schema(dialect: str):
    """Alembic's include_object for `dialect`: what the comparison of the models with a
    database looks at (not the statement-checked foreign keys on PostgreSQL)."""

    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ != "foreign_key_constraint" or dialect != "postgresql":
            return True
        columns = tuple(c.name for c in obj.columns) if hasattr(obj, "columns") else ()
        return not (len(columns) == 1 and (obj.table.name, columns[0]) in STATEMENT_CHECKED_KEYS)

    return include


def utcnow() -> datetime:
    """The current time, aware, in UTC (from the project's one clock, models/clock.py)."""
    return clock.now()


class UTCDateTime(TypeDecorator):
    """Aware datetimes in Python, UTC in the database on every engine.

    SQLite has no time zones, so values are stored there as naive UTC; PostgreSQL keeps
    timestamptz. Naive datetimes are refused on the way in: they are always a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumString(TypeDecorator):
    """A StrEnum stored as its plain string value (adding a member needs no migration);
    read back as the enum member, so rows carry real enums, not bare strings."""

    impl = sa.String(24)
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum], length: int = 24):
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value, dialect):
        return None if value is None else member(self.enum_cls, value).value

    def process_result_value(self, value, dialect):
        return None if value is None else member(self.enum_cls, value)


def enum_column(enum_cls: type[StrEnum], length: int = 24) -> EnumString:
    """Column type for a StrEnum field."""
    return EnumString(enum_cls, length)


# Constrained strings for input schemas. Annotated constraints, because SQLModel's Field(regex=)
# is silently dropped on optional fields.
# [0-9], not \d: pydantic's \d takes any script's digits, a JSON Schema reader's only these.
Mobile = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{5,20}$", max_length=20)]
OrderCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", min_length=2, max_length=32)
]
