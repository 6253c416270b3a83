"""The rule sweep: run every warning rule, record each new finding as an alert and write its
chat messages to the outbox, all in the caller's transaction.

Set-based from end to end: each rule is a fixed number of queries; the alerts go in with
`INSERT .. ON CONFLICT DO NOTHING` in batches (the unique key (rule, entity, order, level,
local day) is the dedupe: a finding already alerted today is skipped, and when two sweeps race
the loser's insert is a no-op and it sends nothing); what the messages need is loaded once.
A finding whose
(rule, entity, order, level) was acknowledged is not alerted again (收到 means "I am on it");
a higher level is a new alert. Quiet hours defer all but high risk (risk.timing.defer_until).
An open alert its rule no longer finds is closed with a reason (alerts/resolution.py).

On PostgreSQL, a set-based rule that gives its Finding in SQL (`sql=`, the four high-volume
rules) has its new alerts written by one `INSERT .. SELECT .. ON CONFLICT DO NOTHING RETURNING`
from its own query, message included (alerts/setwise.py `insert_found`): only the inserted
alerts' ids and routing columns come to Python. The other rules' alerts go in with one `INSERT
.. SELECT FROM unnest(..)` per batch (alerts/bulk.py). The outbox rows follow, in the same
transaction, with COPY. The sweep decides where a warning goes; its message is
rendered when it is sent (alerts/rendering.py): the row holds a stub naming the alert. Only a
combined message (several alerts of a rule to one group) is rendered here. PostgreSQL checks the
references of these rows once per statement (statement triggers, migrations f2a9c4e7b1d3 and
c3e8a1f5d9b7), not row by row. Writing the outbox rows in the alerts' own statement (a CTE
joining the RETURNING rows to their destinations) was measured and dropped: 26.8 against
21.9 µs per open item at 1M, the Python side no longer overlapping the server's COPY.

Routing never drops a warning: to every group following the order, @mentioning the first who
answer for it (owner, liaison, managers, admins) that the platform can mention; with no group,
privately (work notice / app message) to the first of them with a chat binding. A warning
that still reaches nobody is itself raised to the admins by the `unrouted` rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from app.services.alerts._messages import Addressbook, combined_markdown, markdown
from app.services.alerts.bulk import insert_alerts, insert_outbox
from app.services.alerts.rendering import mentioned, stub
from app.services.alerts.resolution import resolve_vanished
from app.services.alerts.rules import Finding, Rule, RuleContext, load_rules, run_rule
from app.services.alerts.setwise import close_vanished, insert_found, new_rows
from app.services.chat import GROUP_CHANNELS, Target, user_target
from app.services.core import local_date, settings
from app.services.risk import defer_until, risk_matrix
from models.alerts import Alert, exception_columns, exception_key
from models.base import member
from models.enums import ChatPlatform, OutboxStatus, RiskLevel
from models.messages import message_to_dict

SWEEP_WORK_MEM = "64MB"  # PostgreSQL's memory per sort or hash of the sweep's queries
SWEEP_JIT = "off"  # PostgreSQL's JIT compilation of the sweep's queries


@dataclass
class SweepResult:
    findings: int = 0
    alerts: int = 0
    messages: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    alert_ids: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)  # closed: their cause went away


def _key(row) -> tuple:
    return exception_key(*row)


def _acknowledged(session: Session, names: list[str]) -> set[tuple]:
    query = (
        select(*exception_columns())
        .where(col(Alert.rule).in_(names), col(Alert.acknowledged_at).is_not(None))
        .distinct()
    )
    return {_key(row) for row in session.exec(query)}


def _alerted_today(session: Session, names: list[str], today) -> set[tuple]:
    """Keys already alerted today: skipped before the insert (which would skip them too, but
    only after shipping them to the database)."""
    query = select(*exception_columns()).where(col(Alert.rule).in_(names), Alert.day == today)
    return {_key(row) for row in session.exec(query)}


def _open_since(session: Session, names: list[str], today) -> dict[tuple, datetime]:
    """When each exception still unacknowledged from earlier days began."""
    cols = exception_columns()
    query = (
        select(*cols, func.min(Alert.since))
        .where(
            col(Alert.rule).in_(names),
            col(Alert.acknowledged_at).is_(None),
            Alert.day < today,
        )
        .group_by(*cols)
    )
    return {_key(row[:5]): row[5] for row in session.exec(query)}


def _alert_rows(findings: list[Finding], ctx: RuleContext, since: dict) -> list[dict]:
    return [
        {
            "rule": f.rule,
            "entity_type": f.entity_type,
            "entity_id": f.entity_id,
            "order_id": f.order_id,
            "level": member(RiskLevel, f.level),
            "day": ctx.today,
            "owner_id": f.owner_id,
            "message": f.message,
            "created_at": ctx.now,
            "since": since.get(f.key) or f.since or ctx.now,
            "parent_id": f.parent_id,
        }
        for f in findings
    ]


def _not_before(ctx: RuleContext, level) -> datetime:
    """defer_until for the sweep's `now`, once per level."""
    key = ("not_before", level)
    if key not in ctx.shared:
        ctx.shared[key] = defer_until(ctx.now, level, ctx.matrix)
    return ctx.shared[key]


def _outbox_row(ctx, target, message, order_id, key, level, alert_id=None, user_id=None) -> dict:
    """An outbox row; `message` an OutboundMessage or already its dict (message_to_dict)."""
    return {
        "alert_id": alert_id,
        "user_id": user_id,
        "created_at": ctx.now,
        "kind": "alert",
        "channel": target.channel,
        "group_id": target.group_id,
        "target": dict(target.data),
        "message": message if isinstance(message, dict) else message_to_dict(message),
        "order_id": order_id,
        "dedupe_key": key,
        "status": OutboxStatus.pending,
        "not_before": _not_before(ctx, level),
        "attempts": 0,
    }


def _recipients(f: Finding, book: Addressbook) -> dict[int, tuple]:
    """Who gets a warning privately when no group follows its order: the first who answer for
    it and have a chat binding (owner, liaison, managers, admins), and the managers when told."""
    chosen: dict[int, tuple] = {}
    for tier in book.answerers(f.order_id, f.owner_id):
        chosen = {u: t for u in tier if (t := book.private_target(u))}
        if chosen:
            break
    if f.notify_managers:
        chosen |= {u: t for u in book.managers if (t := book.private_target(u))}
    return chosen


def _destinations(f: Finding, book: Addressbook) -> list[tuple[Target, int | None]]:
    """Where an alert's messages go, as (target, person): each group following its order, else
    each person who answers for it; once per (order, owner, managers told)."""
    key = ("destinations", f.order_id, f.owner_id, f.notify_managers)
    found = book.memo.get(key)
    if found is None:
        groups = book.groups.get(f.order_id, [])
        found = book.memo[key] = [(group_target_for(g, p), None) for g, p in groups] or [
            (user_target(*direct), u) for u, direct in _recipients(f, book).items()
        ]
    return found


def _single_rows(ctx: RuleContext, alert_id: int, f: Finding, book: Addressbook) -> list[dict]:
    """One alert's outbox rows, with the stub its message is rendered from when it is sent.
    They need no dedupe key: the alert is new in this transaction (a racing sweep's insert of
    it was a no-op), and its id names them."""
    message = stub(f)
    return [
        _outbox_row(ctx, target, message, f.order_id, None, f.level, alert_id, user)
        for target, user in _destinations(f, book)
    ]


def _combined_rows(ctx: RuleContext, rule: Rule, group_id: int, items, book) -> dict:
    """One message to a group for several alerts of a rule (who has not reported)."""
    platform = next(p for g, p in book.groups[items[0][1].order_id] if g == group_id)
    title, text = combined_markdown(rule.title, items)
    people = [p for _, f in items for p in mentioned(f, book, platform)]
    message = markdown(title, text, **book.mentions(people, platform))
    level = max((RiskLevel(f.level) for _, f in items), key=_rank)
    order_ids = {f.order_id for _, f in items}
    order_id = order_ids.pop() if len(order_ids) == 1 else None
    key = f"alerts:{rule.name}:g{group_id}:{items[0][0]}"
    return _outbox_row(ctx, group_target_for(group_id, platform), message, order_id, key, level)


def _messages(ctx: RuleContext, rule: Rule, new: list[tuple[int, Finding]], book) -> list[dict]:
    rows: list[dict] = []
    combined: dict[int, list[tuple[int, Finding]]] = defaultdict(list)
    for alert_id, f in new:
        groups = book.groups.get(f.order_id, [])
        if rule.combine and groups:
            for group_id, _ in groups:
                combined[group_id].append((alert_id, f))
        else:
            rows += _single_rows(ctx, alert_id, f, book)
    for group_id, items in combined.items():
        rows.append(_combined_rows(ctx, rule, group_id, items, book))
    return rows


def _rank(level: RiskLevel) -> int:
    return {RiskLevel.low: 0, RiskLevel.medium: 1, RiskLevel.high: 2}[level]


def group_target_for(group_id: int, platform: str) -> Target:
    """The outbox target of a group robot, without loading the group row."""
    return Target(GROUP_CHANNELS[member(ChatPlatform, platform)], {}, group_id)


def _closes_vanished(rule: Rule, ctx: RuleContext) -> bool:
    """Whether not finding an exception now means its cause went away: not for escalations
    (closed with the warning they escalate), daily rules (a new day is a new exception) or a
    group's own cut-off job (it asks one group's question)."""
    return rule.phase == 1 and not rule.daily and ctx.group_id is None


def _findings(session, ctx, rule: Rule, skip: set, since: dict, result) -> list[Finding]:
    """What the rule finds that is not alerted yet (closing what it no longer finds)."""
    if rule.query is not None:  # set-based: the dedupe and the closing run in SQL
        if _closes_vanished(rule, ctx):
            result.resolved += close_vanished(session, rule, ctx)
        findings = []
        for *row, earlier in new_rows(session, rule, ctx):
            finding = rule.build(ctx, row)
            finding.rule = rule.name
            findings.append(finding)
            if earlier is not None:
                since[finding.key] = earlier
        return findings
    found = run_rule(rule, ctx)
    if _closes_vanished(rule, ctx):
        result.resolved += resolve_vanished(
            session=session,
            rule=rule.name,
            found={f.key for f in found},
            now=ctx.now,
            order_ids=ctx.order_ids,
        )
    return [f for f in found if f.key not in skip]


def _insert_findings(session, ctx, rule: Rule, skip, since, result) -> list[tuple[int, Finding]]:
    """The rule's new findings, built in Python and inserted as alerts: (alert id, finding)."""
    findings = _findings(session, ctx, rule, skip, since, result)
    result.findings += len(findings)
    by_key = {f.key: f for f in findings}
    inserted = insert_alerts(session, _alert_rows(list(by_key.values()), ctx, since), ctx.now)
    return [(alert_id, by_key[key]) for alert_id, key in inserted]


def _run_phase(session, ctx, rules: list[Rule], result: SweepResult) -> None:
    listed = [r for r in rules if r.query is None]  # rules whose findings all reach Python
    names = [r.name for r in listed]
    lasting = [r.name for r in listed if not r.daily]  # exceptions that outlive a day
    skip = _acknowledged(session, lasting) | _alerted_today(session, names, ctx.today)
    since = _open_since(session, lasting, ctx.today)
    per_rule: list[tuple[Rule, list[tuple[int, Finding]]]] = []
    in_sql = session.get_bind().dialect.name == "postgresql"
    for rule in rules:
        if in_sql and rule.sql is not None:  # the rule's rows stay in the database
            if _closes_vanished(rule, ctx):
                result.resolved += close_vanished(session, rule, ctx)
            new = insert_found(session, rule, ctx)
            result.findings += len(new)
        else:
            new = _insert_findings(session, ctx, rule, skip, since, result)
        result.alerts += len(new)
        result.alert_ids += [alert_id for alert_id, _ in new]
        result.by_rule[rule.name] = len(new)
        per_rule.append((rule, new))
    fresh = [f for _, new in per_rule for _, f in new]
    if not fresh:
        return
    book = Addressbook.load(
        session,
        {f.order_id for f in fresh},
        {f.owner_id for f in fresh if f.owner_id},
    )
    for rule, new in per_rule:
        rows = _messages(ctx, rule, new, book)
        insert_outbox(session, rows)
        result.messages += len(rows)


def sweep(
    *,
    session: Session,
    now: datetime,
    order_ids: set[int] | None = None,
    group_id: int | None = None,
    only: set[str] | None = None,
) -> SweepResult:
    """Run the rules (all, or `only` these) and alert what is new; the caller commits."""
    rules = [r for r in load_rules().values() if only is None or r.name in only]
    ctx = RuleContext(
        session=session,
        now=now,
        today=local_date(now),
        matrix=risk_matrix(session=session),
        settings=settings(),
        order_ids=frozenset(order_ids) if order_ids is not None else None,
        group_id=group_id,
    )
    result = SweepResult()
    if session.get_bind().dialect.name == "postgresql":
        # The rule queries hash and sort every open item, and the reference checks read the
        # statement's rows back: at 1M items the default 4MB spilled them to disk (22.8-23.0
        # against 19.8 µs per item with 64MB). For this transaction only.
        session.execute(text(f"SET LOCAL work_mem = '{SWEEP_WORK_MEM}'"))
        # At 1M items the planner's costs pass jit_above_cost and PostgreSQL compiled the rule
        # queries with LLVM: about 0.6 s of compiling (issue_overdue alone 0.48 s) for
        # expressions that then run over some hundred thousand rows once.
        session.execute(text(f"SET LOCAL jit = {SWEEP_JIT}"))
    for phase in sorted({r.phase for r in rules}):
        _run_phase(session, ctx, [r for r in rules if r.phase == phase], result)
    session.flush()
    return result
