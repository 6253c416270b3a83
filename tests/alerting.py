"""Helpers of the alert tests: a frozen clock on today's local date, and sweeps."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import select

from app.services.alerts import sweep
from app.services.chat import bind_identity
from app.services.core import Actor
from models import clock
from models.alerts import Alert
from models.enums import Channel
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


def run(session, now: datetime | None = None, **kwargs):
    result = sweep(session=session, now=now or noon(), **kwargs)
    session.commit()
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
