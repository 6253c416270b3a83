"""What a change log row is about, in words: 「物料采购 · 检查项「关键物料已全部入库」」.

A log row names its table and row id only; these look the rows up (a page of the log at a
time, one query per table) so the reader sees the stage and the item, not "检查项". A deleted
row is named from the snapshot its deletion logged.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable

from sqlmodel import Session, col, select

from app.services.core.labels import entity_name
from models.bom import BomLine
from models.changes import ChangeLog
from models.enums import STAGE_NAMES, ChangeAction, StageKind
from models.materials import Material
from models.purchasing import PurchaseLine
from models.stages import ChecklistItem, Stage
from models.suppliers import Supplier

PROCUREMENT = STAGE_NAMES[StageKind.procurement]


def _stage(kind) -> str:
    return STAGE_NAMES[StageKind(kind)]


def _checklist_items(session: Session, ids: list[int]) -> dict[int, str]:
    query = (
        select(ChecklistItem.id, ChecklistItem.title, Stage.kind)
        .join(Stage, Stage.id == ChecklistItem.stage_id)
        .where(col(ChecklistItem.id).in_(ids))
    )
    return {i: f"{_stage(kind)} · 检查项「{title}」" for i, title, kind in session.exec(query)}


def _stages(session: Session, ids: list[int]) -> dict[int, str]:
    query = select(Stage.id, Stage.kind).where(col(Stage.id).in_(ids))
    return {i: f"{_stage(kind)} · 阶段" for i, kind in session.exec(query)}


def _bom_lines(session: Session, ids: list[int]) -> dict[int, str]:
    query = (
        select(BomLine.id, Material.name)
        .join(Material, Material.id == BomLine.material_id)
        .where(col(BomLine.id).in_(ids))
    )
    return {i: f"{PROCUREMENT} · BOM 行「{name}」" for i, name in session.exec(query)}


def _purchase_lines(session: Session, ids: list[int]) -> dict[int, str]:
    query = (
        select(PurchaseLine.id, Material.name)
        .join(BomLine, BomLine.id == PurchaseLine.bom_line_id)
        .join(Material, Material.id == BomLine.material_id)
        .where(col(PurchaseLine.id).in_(ids))
    )
    return {i: f"{PROCUREMENT} · 采购行「{name}」" for i, name in session.exec(query)}


def _named(model) -> Callable[[Session, list[int]], dict[int, str]]:
    def lookup(session: Session, ids: list[int]) -> dict[int, str]:
        query = select(model.id, model.name).where(col(model.id).in_(ids))
        return {
            i: f"{entity_name(model.__tablename__)}「{name}」" for i, name in session.exec(query)
        }

    return lookup


def _numbered(entity: str) -> Callable[[Session, list[int]], dict[int, str]]:
    return lambda _session, ids: {i: f"{entity_name(entity)} #{i}" for i in ids}


SUBJECTS: dict[str, Callable[[Session, list[int]], dict[int, str]]] = {
    "checklist_item": _checklist_items,
    "stage": _stages,
    "bom_line": _bom_lines,
    "purchase_line": _purchase_lines,
    "material": _named(Material),
    "supplier": _named(Supplier),
    "site_issue": _numbered("site_issue"),
    "shipment": _numbered("shipment"),
}


def subject_names(session: Session, rows: Iterable[ChangeLog]) -> dict[tuple[str, str], str]:
    """(entity, entity_id) -> the subject's name, for the rows whose table has one."""
    wanted: dict[str, set[int]] = defaultdict(set)
    deleted: dict[tuple[str, str], str] = {}
    for row in rows:
        if row.entity in SUBJECTS and row.entity_id.isdigit():
            wanted[row.entity].add(int(row.entity_id))
            if row.action == ChangeAction.delete:
                deleted[(row.entity, row.entity_id)] = _from_snapshot(row)
    names = {k: v for k, v in deleted.items() if v}
    for entity, ids in wanted.items():
        for key, name in SUBJECTS[entity](session, sorted(ids)).items():
            names[(entity, str(key))] = name
    return names


def _from_snapshot(row: ChangeLog) -> str:
    try:
        values = json.loads(row.old_value or "{}")
    except ValueError:
        return ""
    label = values.get("title") or values.get("name")
    return f"{entity_name(row.entity)}「{label}」" if label else ""
