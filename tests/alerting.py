"""Helpers of the alert tests: a frozen clock on today's local date, and sweeps."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import select

from app.services.alerts import mark_delivered, render_stubs, sweep
from app.services.chat import bind_identity
from app.services.core import Actor
from models import clock
from models.alerts import Alert
from models.enums import Channel, OutboxStatus
from models.outbox import Outbox


def local(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A UTC instant at this local time, `days` after today (the factories' today)."""
    return clock.at_local(clock.today() + timedelta(days=days), time(hour, minute))


def noon() -> datetime:
    """Today at noon, local time."""
    return local(12)


def alerts(session, rule: str | None = None) -> list[Alert]:
    session.commit()
    session.expire_all()  # others (the web app, the bot) may have changed them
    query = select(Alert).order_by(Alert.id)
    if rule is not None:
        query = query.where(Alert.rule == rule)
    rows = list(session.exec(query))
    session.commit()
    return rows


def outbox(session, kind: str | None = None) -> list[Outbox]:
    session.commit()
    query = select(Outbox).order_by(Outbox.id)
    if kind is not None:
        query = query.where(Outbox.kind == kind)
    rows = list(session.exec(query))
    session.commit()
    return rows


def deliver(session, now: datetime) -> None:
    """What the outbox deliverer does to the warnings due at `now` when it sends them: their
    messages rendered, their first delivery recorded (service tests have no chat platform to
    send to)."""
    due = select(Outbox).where(
        Outbox.status == OutboxStatus.pending,
        Outbox.not_before <= now,
        Outbox.alert_id.is_not(None),
    )
    rows = list(session.exec(due))
    render_stubs(session, rows, now)
    mark_delivered(session, {r.alert_id for r in rows}, now)
    session.commit()


def run(session, now: datetime | None = None, *, delivered: bool = True, **kwargs):
    """A sweep at `now`; its due messages delivered at once unless `delivered` is False."""
    now = now or noon()
    result = sweep(session=session, now=now, **kwargs)
    session.commit()
    if delivered:
        deliver(session, now)
    return result


def fired(session, rule: str, now: datetime | None = None) -> list[Alert]:
    run(session, now, only={rule})
    return alerts(session, rule)


def bind(session, user, external_id: str, platform: str = "wecom") -> None:
    bind_identity(
        session=session,
        actor=Actor.system(Channel.cli),
        user_id=user.id,
        platform=platform,
        external_id=external_id,
    )
