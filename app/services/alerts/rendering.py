"""A warning's chat message is written when it is sent, not when the sweep raises it.

The sweep decides where each new alert goes (which groups, else which people) and writes one
outbox row per destination with a stub message (`stub`): the alert's id on the row, and in the
stub only what the alert row does not hold (the risk type that picks the contingency plan, the
material whose backup supplier it names, whether the managers are told). The deliverer renders
the stubs it claims (`render_stubs`), in the claiming transaction, and stores the result on the
row, so a retry, a digest and the outbox page read the message that was sent.

Rendered at the send, a message reads as things are then: the owner's current name, the people
who can be @mentioned now (a chat binding made after the sweep counts), the contingency plan in
force, and an acknowledgement link whose validity runs from when people see it (a message held
back by quiet hours used to spend part of it waiting). The sweep, for its part, writes small
rows and renders nothing: about a third of a first sweep's time went into rendering.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.services.alerts._messages import (
    Addressbook,
    alert_card,
    alert_markdown,
    attach_plans,
    card,
)
from app.services.alerts.handling import ack_url, token_maker
from app.services.alerts.lifecycle import chunks
from app.services.alerts.rules import Finding, load_rules
from app.services.core import settings
from models.alerts import Alert
from models.chat import ChatGroup
from models.enums import RiskType
from models.messages import STUB_KEY, message_to_dict
from models.outbox import Outbox

STUB = "alert"  # message[STUB_KEY] of a warning's outbox row until it is sent


def stub(finding: Finding) -> dict:
    """The message of a warning's outbox row until it is sent: what rendering needs besides
    the alert row."""
    out: dict = {STUB_KEY: STUB}
    if finding.risk_type:
        out["risk_type"] = str(finding.risk_type)
    if finding.material_id:
        out["material_id"] = finding.material_id
    if finding.notify_managers:
        out["notify_managers"] = True
    return out


def mentioned(f: Finding, book: Addressbook, platform: str) -> list[int]:
    """Whom a group message @mentions: the first who answer for the warning and can be
    mentioned there (owner, liaison, managers, admins), and the managers when told."""
    first = next(
        (
            reachable
            for tier in book.answerers(f.order_id, f.owner_id)
            if (reachable := [u for u in tier if book.mentionable(u, platform)])
        ),
        [],
    )
    return first + (book.managers if f.notify_managers else [])


def _finding(alert: Alert, extras: dict) -> Finding:
    risk = extras.get("risk_type")
    return Finding(
        entity_type=alert.entity_type,
        entity_id=alert.entity_id,
        order_id=alert.order_id,
        level=alert.level,
        owner_id=alert.owner_id,
        message=alert.message,
        rule=alert.rule,
        risk_type=RiskType(risk) if risk else None,
        material_id=extras.get("material_id"),
        parent_id=alert.parent_id,
        notify_managers=bool(extras.get("notify_managers")),
    )


def _alerts(session: Session, ids: Iterable[int]) -> dict[int, Alert]:
    found: dict[int, Alert] = {}
    for chunk in chunks(ids):
        found |= {a.id: a for a in session.exec(select(Alert).where(col(Alert.id).in_(chunk)))}
    return found


def _platforms(session: Session, group_ids: set[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in chunks(group_ids):
        query = select(ChatGroup.id, ChatGroup.platform).where(col(ChatGroup.id).in_(chunk))
        out |= {g: str(p) for g, p in session.exec(query)}
    return out


class _Renderer:
    """The cards of some alerts, each built once, and their @mentions per platform."""

    def __init__(self, session: Session, findings: dict[int, Finding], now: datetime):
        attach_plans(session, list(findings.values()))
        self.findings = findings
        self.book = Addressbook.load(
            session,
            {f.order_id for f in findings.values()},
            {f.owner_id for f in findings.values() if f.owner_id},
        )
        self.token = token_maker(secret=settings().secret_key, now=now)
        self.rules = load_rules()
        self.cards: dict[int, dict] = {}

    def card(self, alert_id: int) -> dict:
        body = self.cards.get(alert_id)
        if body is None:
            f = self.findings[alert_id]
            rule = self.rules.get(f.rule)
            title = rule.title if rule else f.rule
            owner = self.book.name(f.owner_id)
            head, lines = alert_markdown(alert_id=alert_id, title=title, finding=f, owner=owner)
            body = self.cards[alert_id] = alert_card(
                head,
                "\n".join(lines),
                alert_id=alert_id,
                rule_title=title,
                finding=f,
                owner=owner,
                ack_link=ack_url(self.token(alert_id)),
            )
        return body

    def message(self, alert_id: int, platform: str | None) -> dict:
        """The card to a group on `platform` (@mentioning who answers), or to a person."""
        if platform is None:
            return message_to_dict(card(self.card(alert_id)))
        people = mentioned(self.findings[alert_id], self.book, platform)
        return message_to_dict(card(self.card(alert_id), **self.book.mentions(people, platform)))


def render_stubs(session: Session, rows: list[Outbox], now: datetime) -> None:
    """Write the messages of the stub rows among `rows` (their alerts still exist: the caller
    cancelled the rest) as of `now`, on the rows and in the database."""
    stubs = [r for r in rows if r.alert_id is not None and r.message.get(STUB_KEY) == STUB]
    if not stubs:
        return
    alerts = _alerts(session, {r.alert_id for r in stubs})
    stubs = [r for r in stubs if r.alert_id in alerts]
    findings = {r.alert_id: _finding(alerts[r.alert_id], r.message) for r in stubs}
    renderer = _Renderer(session, findings, now)
    platforms = _platforms(session, {r.group_id for r in stubs if r.group_id is not None})
    written = []
    for row in stubs:
        platform = platforms.get(row.group_id) if row.group_id is not None else None
        if row.group_id is not None and platform is None:
            continue  # the group is gone: its rows went with it (ON DELETE CASCADE)
        message = renderer.message(row.alert_id, platform)
        set_committed_value(row, "message", message)
        written.append({"row_id": row.id, "rendered": message})
    table = Outbox.__table__
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(message=bindparam("rendered"))
        .execution_options(synchronize_session=False)
    )
    if written:
        session.connection().execute(statement, written)
