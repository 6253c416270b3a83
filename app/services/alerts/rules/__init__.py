"""The warning rules registry (预警规则).

A rule is a pure query over the database: given a `RuleContext` (session, the frozen `now`,
the local `today`, the risk matrix in force, the deployment settings) it returns the
`Finding`s that hold right now. It writes nothing and sends nothing; the sweep
(`app/services/alerts/sweeper.py`) turns new findings into alerts and outbox messages, once per
(rule, entity, order, level, local day), attaches the contingency plan and skips what the
owner already acknowledged.

Adding a rule is one registration, in a module of this package listed in RULE_MODULES::

    from app.services.alerts.rules import Finding, RuleContext, rule

    @rule("over_budget", "超预算")
    def over_budget(ctx: RuleContext) -> Iterable[Finding]:
        rows = ctx.session.exec(<one set-based SELECT over every open item>).all()
        for order_id, cost_centre_id, spent, budget, owner_id in rows:
            yield Finding(
                entity_type="cost_centre", entity_id=cost_centre_id, order_id=order_id,
                level=RiskLevel.high, owner_id=owner_id,
                message=f"成本已超预算 {spent - budget} 元",
            )

A high-volume rule is registered with `set_rule` instead: it gives its SELECT (labelled
`entity_id`, `order_id`, `level`, plus what its message needs) and a function that builds the
`Finding` of one row. The sweep then runs the query in SQL against the alerts already raised
(only rows not yet alerted today and not acknowledged reach Python) and closes the alerts the
query no longer finds with one UPDATE, so a repeat sweep ships nothing to Python::

    @set_rule("stage_overdue", "阶段逾期", entity_type="stage", query=_late_stages_query)
    def stage_overdue(ctx: RuleContext, row) -> Finding: ...

It may also give `sql=`: the same Finding as SQL expressions (`SqlFinding`, helpers in
rules/_sql.py). On PostgreSQL the sweep then writes its new alerts with one INSERT .. SELECT,
message included, so not even a new row comes to Python (the first sweep's main cost).

Rules must be set-based (a fixed number of queries whatever the number of items: no query
per row) and must honour `ctx.order_ids` when it is not None (a group's job asks about its
own orders only). `Finding.risk_type` picks the contingency plan; `material_id` adds that
material's backup supplier. `since` is when the exception began (default: when first
alerted); the escalation rules remind the owner once the level's handling limit has passed
without acknowledgement and tell the manager past twice the limit. `combine=True` sends a
rule's new findings to each group as one message (who has not reported) instead of one each;
`daily=True` makes each local day a new exception (an acknowledgement covers that day only).
Rules of `phase=2` run after the alerts of phase 1 are written (escalation reads them), those
of `phase=3` after both and their messages (`unrouted` reads where they went).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from sqlmodel import Session

from app.services.core import Settings
from app.services.risk import RiskMatrix
from models.alerts import exception_key
from models.contingency import PlanAdvice
from models.enums import RiskLevel, RiskType

RULE_MODULES = (
    "app.services.alerts.rules.overdue",
    "app.services.alerts.rules.shortage",
    "app.services.alerts.rules.prediction",
    "app.services.alerts.rules.costs",
    "app.services.alerts.rules.escalation",
    "app.services.alerts.rules.unrouted",
)


@dataclass
class Finding:
    entity_type: str
    entity_id: int
    order_id: int
    level: RiskLevel
    owner_id: int | None
    message: str
    rule: str = ""  # filled in by the registry
    risk_type: RiskType | None = None
    material_id: int | None = None
    since: datetime | None = None
    parent_id: int | None = None
    notify_managers: bool = False
    plan: PlanAdvice | None = None

    @cached_property
    def key(self) -> tuple:
        """The exception key, computed once (read after the registry set `rule`: a sweep looks
        each finding's key up several times, hundreds of thousands of findings at a time)."""
        return exception_key(self.rule, self.entity_type, self.entity_id, self.order_id, self.level)


@dataclass(frozen=True)
class RuleContext:
    session: Session
    now: datetime
    today: date
    matrix: RiskMatrix
    settings: Settings
    order_ids: frozenset[int] | None = None  # None: every order
    group_id: int | None = None  # the group whose report cut-off job asks
    # What several rules of one sweep read alike (the escalation candidates), read once.
    shared: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Rule:
    name: str
    title: str
    check: Callable[[RuleContext], Iterable[Finding]]
    phase: int = 1
    combine: bool = False
    daily: bool = False
    # Set-based rules (`set_rule`): the SELECT of what holds now, and the Finding of one row.
    entity_type: str | None = None
    query: Callable[[RuleContext], Any] | None = None
    build: Callable[[RuleContext, Any], Finding] | None = None
    # The same Finding as SQL expressions over the query's columns (PostgreSQL's sweep).
    sql: Callable[[RuleContext, list], SqlFinding] | None = None


@dataclass(frozen=True)
class SqlFinding:
    """A set rule's Finding as SQL expressions over its query's columns (in the query's order,
    as `build` unpacks its row): what the PostgreSQL sweep inserts with INSERT .. SELECT, so
    that the rule's rows never come to Python. `build` stays the definition (SQLite and the
    rule's own `check` use it); tests/services/alerts/test_sql_findings.py holds the two equal."""

    message: Any
    owner_id: Any
    since: Any = None
    material_id: Any = None
    notify_managers: Any = None  # a boolean expression
    risk_type: RiskType | None = None


RULES: dict[str, Rule] = {}


def rule(name: str, title: str, *, phase: int = 1, combine: bool = False, daily: bool = False):
    """Register a rule under `name` (its Chinese `title` heads its messages)."""

    def register(check: Callable[[RuleContext], Iterable[Finding]]):
        if name in RULES and RULES[name].check is not check:
            raise ValueError(f"rule {name!r} is registered twice")
        RULES[name] = Rule(name, title, check, phase, combine, daily)
        return check

    return register


def set_rule(name: str, title: str, *, entity_type: str, query, daily: bool = False, sql=None):
    """Register a set-based rule: `query(ctx)` is its SELECT, labelled `entity_id`, `order_id`
    and `level` (the RiskLevel value), and the decorated `build(ctx, row)` its Finding;
    `sql(ctx, columns)`, if given, the same Finding as a `SqlFinding`."""

    def register(build: Callable[[RuleContext, Any], Finding]):
        def check(ctx: RuleContext) -> Iterable[Finding]:
            return (build(ctx, row) for row in ctx.session.exec(query(ctx)))

        if name in RULES and RULES[name].build is not build:
            raise ValueError(f"rule {name!r} is registered twice")
        RULES[name] = Rule(
            name,
            title,
            check,
            1,
            False,
            daily,
            entity_type=entity_type,
            query=query,
            build=build,
            sql=sql,
        )
        return build

    return register


def load_rules() -> dict[str, Rule]:
    """Every registered rule (importing the rule modules registers them)."""
    for module in RULE_MODULES:
        importlib.import_module(module)
    return RULES


def run_rule(item: Rule, ctx: RuleContext) -> list[Finding]:
    """The findings of one rule, stamped with its name."""
    found = []
    for finding in item.check(ctx):
        finding.rule = item.name
        found.append(finding)
    return found


def restrict(query, column, ctx: RuleContext):
    """Limit a rule's query to the context's orders."""
    if ctx.order_ids is None:
        return query
    return query.where(column.in_(sorted(ctx.order_ids)))
