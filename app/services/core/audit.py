"""Automatic change log: every flushed create/update/delete of an audited row is written.

A table is audited when its class has an `audit_order_id` property (the order the row belongs
to, or None). The acting user and channel come from the session (see actor.bind_actor); an
audited change in a session with no actor is a programming error and fails the flush, so
nothing can change an order without a log entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, attributes

from models.base import utcnow
from models.changes import ChangeLog
from models.enums import ChangeAction

_INSERT_LOG = insert(ChangeLog.__table__)  # built once: every audited flush runs it
_SKIP = frozenset({"id", "updated_at", "created_at"})
_MAX = 2000


class AuditError(RuntimeError):
    """An audited row changed in a session without an actor."""


@dataclass
class _Pending:
    action: ChangeAction
    obj: Any
    field: str | None = None
    old: str | None = None
    new: str | None = None


def is_audited(obj: Any) -> bool:
    return hasattr(type(obj), "audit_order_id")


def fmt(value: Any) -> str | None:
    """A value as the change log shows it."""
    if value is None:
        return None
    if isinstance(value, Enum):
        text = str(value.value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    else:
        text = str(value)
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"


def _columns(obj: Any) -> list[str]:
    excluded = getattr(type(obj), "__audit_exclude__", frozenset())
    keys = [a.key for a in inspect(type(obj)).column_attrs]
    return [k for k in keys if k not in _SKIP and k not in excluded]


def _snapshot(obj: Any) -> str:
    return fmt({k: fmt(getattr(obj, k)) for k in _columns(obj)})


def _updates(obj: Any) -> list[_Pending]:
    out = []
    for key in _columns(obj):
        hist = attributes.get_history(obj, key)
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if fmt(old) != fmt(new):
            out.append(_Pending(ChangeAction.update, obj, key, fmt(old), fmt(new)))
    return out


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _ctx, _instances) -> None:
    pending = session.info.setdefault("_audit", [])
    for obj in session.new:
        if is_audited(obj):
            pending.append(_Pending(ChangeAction.create, obj))
    for obj in session.dirty:
        if is_audited(obj) and session.is_modified(obj, include_collections=False):
            pending.extend(_updates(obj))
    for obj in session.deleted:
        if is_audited(obj):
            pending.append(_Pending(ChangeAction.delete, obj, old=_snapshot(obj)))


@event.listens_for(Session, "after_soft_rollback")
def _discard(session: Session, _previous) -> None:
    # A flush that failed (say, on a unique constraint inside a savepoint) never reached
    # after_flush: its collected entries describe rows that were not written.
    session.info.pop("_audit", None)


def _entity_id(obj: Any) -> str:
    # Not state.identity: a row inserted by this flush gets its identity key only after
    # after_flush, while its primary key attributes are already filled in.
    state = inspect(obj)
    return ":".join(str(part) for part in state.mapper.primary_key_from_instance(obj))


@event.listens_for(Session, "after_flush")
def _write(session: Session, _ctx) -> None:
    pending = session.info.pop("_audit", [])
    if not pending:
        return
    actor = session.info.get("actor")
    if actor is None:
        raise AuditError("audited change flushed without an actor bound to the session")
    notes = session.info.pop("_audit_notes", {})
    now = utcnow()
    rows = [_row(p, actor, now, notes.get(id(p.obj))) for p in pending]
    session.connection().execute(_INSERT_LOG, rows)


def _row(p: _Pending, actor, now, note_text: str | None) -> dict:
    new = p.new
    if p.action is ChangeAction.create:
        new = _snapshot(p.obj)
    return {
        "at": now,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "channel": str(actor.channel),
        "order_id": p.obj.audit_order_id,
        "entity": p.obj.__tablename__,
        "entity_id": _entity_id(p.obj),
        "action": str(p.action),
        "field": p.field,
        "old_value": p.old,
        "new_value": new,
        "note": note_text,
    }


def change_base(actor, now, obj: Any) -> dict:
    """The part of a change log row that names who, when and which row, for update_row."""
    return _row(_Pending(ChangeAction.update, obj), actor, now, None)


def update_row(base: dict, field: str, old: Any, new: Any, note_text: str | None = None):
    """The change log row of an update written without the ORM flush (a set-based write such
    as a scan batch's executemany), exactly as the flush would log it; None when unchanged.
    `base` is change_base of the row."""
    old, new = fmt(old), fmt(new)
    if old == new:
        return None
    text = None if note_text is None else note_text[:500]
    return {**base, "field": field, "old_value": old, "new_value": new, "note": text}


def update_rows(base: dict, obj: Any, new: dict, note_text: str | None = None) -> list[dict]:
    """update_row for each field of `new` (the row's current values being the old), in the
    order the flush logs them."""
    keys = [key for key in _columns(obj) if key in new]
    rows = [update_row(base, key, getattr(obj, key), new[key], note_text) for key in keys]
    return [row for row in rows if row is not None]


def write_rows(session: Session, rows: list[dict]) -> None:
    """Insert change log rows built by update_row, in one executemany."""
    if rows:
        session.connection().execute(_INSERT_LOG, rows)


def note(session: Session, obj: Any, text: str) -> None:
    """Attach a note (for example a rejection reason) to this row's next logged changes."""
    session.info.setdefault("_audit_notes", {})[id(obj)] = text[:500]
