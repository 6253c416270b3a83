"""The set-based rules (`set_rule`) against the alerts already raised, in SQL.

A rule's SELECT is joined, in the database, with the alert table: only the rows that are not yet
alerted today (and whose exception was not acknowledged) come back to Python, each with the
`since` of its exception's earlier open alerts; and the rule's open alerts that the SELECT no
longer finds are closed by one UPDATE .. WHERE NOT EXISTS (..) RETURNING. A repeat sweep on an
unchanged database therefore ships no row to Python and writes nothing. The unique key
(uq_alert_key: rule, entity_type, entity_id, order_id, level, day) serves every probe.
"""

from __future__ import annotations

from sqlalchemy import and_, case, exists, func, literal, tuple_, update
from sqlmodel import Session, col, select

from app.services.alerts.resolution import GONE, LEVEL_CHANGED, REASONS, settle_closed
from app.services.alerts.rules import Rule, RuleContext
from models.alerts import Alert


def _same_entity(rule: Rule, columns):
    return and_(
        Alert.rule == rule.name,
        Alert.entity_type == rule.entity_type,
        Alert.entity_id == columns.entity_id,
        Alert.order_id == columns.order_id,
    )


def _same_exception(rule: Rule, columns):
    return and_(_same_entity(rule, columns), Alert.level == columns.level)


def new_rows(session: Session, rule: Rule, ctx: RuleContext) -> list:
    """The rule's rows not alerted today (nor acknowledged, unless the rule is daily), each
    followed by the `since` of its exception's open alerts of earlier days (or None)."""
    query = rule.query(ctx)
    columns = query.selected_columns
    same = _same_exception(rule, columns)
    query = query.where(~exists().where(same, Alert.day == ctx.today))
    session.flush()  # what session.exec would autoflush
    run = session.connection().execute  # Core rows: no ORM loading per row
    if rule.daily:
        return run(query.add_columns(literal(None))).all()
    earlier = (
        select(func.min(Alert.since))
        .where(same, col(Alert.acknowledged_at).is_(None), Alert.day < ctx.today)
        .scalar_subquery()
    )
    query = query.where(~exists().where(same, col(Alert.acknowledged_at).is_not(None)))
    return run(query.add_columns(earlier)).all()


def _found(session: Session, rule: Rule, alert, found, *, level: bool):
    """SQL: the alert row is among the found rows (same entity and order, and same level if
    `level`). PostgreSQL anti-joins with the materialized CTE; SQLite probes a row-value IN,
    whose subquery it builds once into an ephemeral index."""
    mine = [alert.c.entity_id, alert.c.order_id] + ([alert.c.level] if level else [])
    theirs = [found.c.entity_id, found.c.order_id] + ([found.c.level] if level else [])
    same_type = alert.c.entity_type == rule.entity_type
    if session.get_bind().dialect.name == "postgresql":
        return exists().where(same_type, *(a == b for a, b in zip(mine, theirs, strict=True)))
    return same_type & tuple_(*mine).in_(select(*theirs))


def close_vanished(session: Session, rule: Rule, ctx: RuleContext) -> list[int]:
    """Close the rule's open alerts (within the context's orders) that its SELECT no longer
    finds: LEVEL_CHANGED when it finds the entity at another level. Their escalations close
    and the waiting messages of both are cancelled; every id closed.

    The rule's SELECT runs once, as a materialized CTE (a correlated NOT EXISTS over it would
    re-run its aggregates per alert)."""
    query = rule.query(ctx).order_by(None)
    columns = query.selected_columns
    found = (
        query.with_only_columns(
            columns.entity_id, columns.order_id, columns.level, maintain_column_froms=True
        )
        .cte(f"found_{rule.name}")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    alert = Alert.__table__
    statement = (
        update(alert)
        .where(
            alert.c.rule == rule.name,
            alert.c.resolved_at.is_(None),
            ~_found(session, rule, alert, found, level=True),
        )
        .values(
            resolved_at=ctx.now,
            resolved_reason=case(
                (_found(session, rule, alert, found, level=False), LEVEL_CHANGED),
                else_=REASONS.get(rule.name, GONE),
            ),
        )
        .returning(alert.c.id, alert.c.resolved_reason)
    )
    if ctx.order_ids is not None:
        statement = statement.where(alert.c.order_id.in_(sorted(ctx.order_ids)))
    closed = dict(session.connection().execute(statement).all())
    return settle_closed(session, closed, ctx.now)
