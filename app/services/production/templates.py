"""Operation templates: the process steps (with a default sequence and dependencies) that an
order's production plan starts from. Admins edit them; orders keep their own copies."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from app.services.core import Actor, acts
from app.services.production.data import operations_of, sync_production_progress
from app.services.production.operations import open_for_production
from app.services.production.plan import find_cycle, loop_in_flow_order
from models.base import utcnow
from models.enums import StageKind
from models.errors import Conflict, Forbidden, InvalidInput, NotFound
from models.production import (
    Operation,
    OperationLink,
    OperationsFromTemplates,
    OperationTemplate,
    OperationTemplateIn,
    OperationTemplateUpdate,
)
from models.stages import Stage

# (name, unit, upstream names): a pressure-vessel shop's usual flow; machining of the flanges
# and nozzles runs beside welding and heat treatment, and both feed assembly.
DEFAULT_TEMPLATES = [
    ("下料", "件", []),
    ("焊接", "件", ["下料"]),
    ("热处理", "件", ["焊接"]),
    ("机加工", "件", ["下料"]),
    ("装配", "台", ["热处理", "机加工"]),
    ("试压", "台", ["装配"]),
    ("涂装", "台", ["试压"]),
]


def ensure_operation_templates(*, session: Session) -> None:
    """Insert the default templates on a deployment that has none (idempotent)."""
    if session.exec(select(OperationTemplate.id).limit(1)).first() is not None:
        return
    ids: dict[str, int] = {}
    for position, (name, unit, after) in enumerate(DEFAULT_TEMPLATES, start=1):
        row = OperationTemplate(
            name=name, unit=unit, position=position * 10, depends_on=[ids[a] for a in after]
        )
        session.add(row)
        session.flush()
        ids[name] = row.id


def list_operation_templates(*, session: Session) -> list[OperationTemplate]:
    """Active templates in their default sequence."""
    query = select(OperationTemplate).where(OperationTemplate.active)
    return list(session.exec(query.order_by(OperationTemplate.position, OperationTemplate.id)))


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以修改工序模板")


def _active_template(session: Session, actor: Actor, template_id: int) -> OperationTemplate:
    _require_admin(actor)
    template = session.get(OperationTemplate, template_id)
    if template is None or not template.active:
        raise NotFound("工序模板不存在")
    return template


def _check(session: Session, template: OperationTemplate) -> None:
    active = {t.id: t for t in list_operation_templates(session=session)}
    active[template.id] = template
    for dep in template.depends_on:
        if dep not in active:
            raise NotFound(f"前道工序模板 {dep} 不存在", field="depends_on")
    if any(t.name == template.name and t.id != template.id for t in active.values()):
        raise Conflict(f"工序模板「{template.name}」已存在", field="name")
    cycle = find_cycle({t.id: list(t.depends_on) for t in active.values()})
    if cycle:
        names = " → ".join(active[i].name for i in loop_in_flow_order(cycle, template.id))
        raise InvalidInput(
            f"工序依赖不能形成循环：{names}", code="dependency_cycle", field="depends_on"
        )


@acts
def add_operation_template(
    *, session: Session, actor: Actor, data: OperationTemplateIn
) -> OperationTemplate:
    """Add a template (used by orders that apply templates from now on)."""
    _require_admin(actor)
    template = OperationTemplate(**data.model_dump())
    template.depends_on = list(dict.fromkeys(template.depends_on))
    _check(session, template)
    session.add(template)
    session.flush()
    return template


@acts
def update_operation_template(
    *, session: Session, actor: Actor, template_id: int, data: OperationTemplateUpdate
) -> OperationTemplate:
    """Change a template; orders that already copied it keep their operations as they are."""
    template = _active_template(session, actor, template_id)
    fields = data.model_dump(exclude_unset=True)
    if fields.get("depends_on") is not None:
        fields["depends_on"] = list(dict.fromkeys(fields["depends_on"]))
    for key, value in fields.items():
        if value is not None:
            setattr(template, key, value)
    _check(session, template)
    session.add(template)
    session.flush()
    return template


@acts
def retire_operation_template(
    *, session: Session, actor: Actor, template_id: int
) -> OperationTemplate:
    """Stop offering a template; templates after it then follow its own upstream templates."""
    template = _active_template(session, actor, template_id)
    template.active = False
    session.add(template)
    for other in list_operation_templates(session=session):
        if template.id in other.depends_on:
            bridged = [d for d in other.depends_on if d != template.id] + template.depends_on
            other.depends_on = list(dict.fromkeys(bridged))
            session.add(other)
    session.flush()
    return template


def _upstream_among(template: OperationTemplate, chosen: set[int], every: dict) -> list[int]:
    """The chosen templates a template waits for, bridging over templates left out."""
    found, seen, queue = [], set(), list(template.depends_on)
    while queue:
        dep = queue.pop(0)
        if dep in seen:
            continue
        seen.add(dep)
        if dep in chosen:
            found.append(dep)
        elif dep in every:
            queue.extend(every[dep].depends_on)
    return found


def _levels(upstream: dict[int, list[int]]) -> dict[int, int]:
    """Longest-path depth of each template in the (acyclic) dependency graph."""
    depth: dict[int, int] = {}

    def of(tid: int) -> int:
        if tid not in depth:
            depth[tid] = 1 + max((of(u) for u in upstream[tid]), default=-1)
        return depth[tid]

    for tid in upstream:
        of(tid)
    return depth


def _level_spans(start: date, end: date, levels: int) -> list[tuple[date, date]]:
    """Split [start, end] into `levels` consecutive spans of whole days (overlapping when the
    span has fewer days than levels)."""
    days = (end - start).days + 1
    spans = []
    for k in range(levels):
        first = start + timedelta(days=k * days // levels)
        last = start + timedelta(days=(k + 1) * days // levels - 1)
        spans.append((first, max(first, last)))
    return spans


def _chosen_templates(session: Session, ids: list[int] | None) -> list[OperationTemplate]:
    active = list_operation_templates(session=session)
    if ids is None:
        chosen = active
    else:
        unknown = [i for i in ids if i not in {t.id for t in active}]
        if unknown:
            raise NotFound(f"工序模板 {unknown} 不存在", field="template_ids")
        chosen = [t for t in active if t.id in set(ids)]
    if not chosen:
        raise InvalidInput("没有可用的工序模板", field="template_ids")
    return chosen


def _window(session: Session, order_id: int, data: OperationsFromTemplates) -> tuple[date, date]:
    stage = session.exec(
        select(Stage).where(Stage.order_id == order_id, Stage.kind == StageKind.production)
    ).one()
    start = data.planned_start or stage.planned_start
    end = data.planned_end or stage.planned_end
    if start is None or end is None:
        raise InvalidInput("请指定计划起止日期，或先填写生产阶段的计划日期", field="planned_start")
    if end < start:
        raise InvalidInput("计划结束日期不能早于计划开始日期", field="planned_end")
    return start, end


@acts
def apply_operation_templates(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: OperationsFromTemplates,
    now: datetime | None = None,
) -> list[Operation]:
    """Plan an order without operations from the templates: each template becomes an
    operation, their dependencies become links, and the window is split by dependency depth."""
    open_for_production(session, actor, order_id)
    if operations_of(session=session, order_id=order_id):
        raise Conflict("本订单已有生产工序，请逐个添加", code="operations_exist")
    chosen = _chosen_templates(session, data.template_ids)
    start, end = _window(session, order_id, data)
    every = {t.id: t for t in session.exec(select(OperationTemplate))}
    upstream = {t.id: _upstream_among(t, {c.id for c in chosen}, every) for t in chosen}
    made = _instantiate(session, order_id, chosen, upstream, start, end, data.planned_qty, now)
    sync_production_progress(session=session, actor=actor, order_id=order_id)
    return made


def _instantiate(session, order_id, chosen, upstream, start, end, qty, now) -> list[Operation]:
    depth = _levels(upstream)
    spans = _level_spans(start, end, max(depth.values()) + 1)
    now = now or utcnow()
    made: dict[int, Operation] = {}
    for seq, t in enumerate(chosen, start=1):
        first, last = spans[depth[t.id]]
        made[t.id] = Operation(
            order_id=order_id,
            template_id=t.id,
            name=t.name,
            seq=seq * 10,
            unit=t.unit,
            planned_qty=qty,
            planned_start=first,
            planned_end=last,
            weight=t.weight,
            created_at=now,
            updated_at=now,
        )
        session.add(made[t.id])
    session.flush()
    for tid, ups in upstream.items():
        for up in ups:
            link = OperationLink(
                order_id=order_id, upstream_id=made[up].id, downstream_id=made[tid].id
            )
            session.add(link)
    session.flush()
    return list(made.values())
