"""Helpers of the alert tests: a frozen clock on today's local date, and sweeps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.services.actor import Actor
from app.services.alert_sweep import sweep
from app.services.chat_identity import bind_identity
from app.services.settings import settings
from models.alerts import Alert
from models.enums import Channel
from models.outbox import Outbox


def local(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A UTC instant at this local time, `days` after today (factories date things from
    date.today())."""
    day = date.today() + timedelta(days=days)
    return datetime.combine(
        day, time(hour, minute), tzinfo=ZoneInfo(settings().timezone)
    ).astimezone(UTC)


NOON = local(12)


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


def run(session, now: datetime = NOON, **kwargs):
    result = sweep(session=session, now=now, **kwargs)
    session.commit()
    return result


def fired(session, rule: str, now: datetime = NOON) -> list[Alert]:
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
