"""The scheduler's targets for warnings and standups (see reminders.schedule.TARGETS).

Each opens one transaction: the alerts and their outbox messages commit together or not at
all, and a job that runs twice (a retry, two processes in a leader hand-over) writes nothing
the second time, thanks to the alert key and the outbox dedupe key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.services.alerts import PRUNE_BATCH, prune_closed_alerts
from app.services.alerts import sweep as run_sweep
from app.services.chat import group_order_ids
from app.services.core import settings
from app.services.insight import post_group_standup

log = logging.getLogger("gendan.reminders")


def sweep(*, db, now: datetime, services: Mapping[str, Any]) -> None:
    """Run every warning rule once."""
    with db.session() as session:
        result = run_sweep(session=session, now=now)
        session.commit()
    if result.alerts:
        counts = {k: v for k, v in vars(result).items() if k != "alert_ids"}  # ids: thousands
        log.info("rule sweep", extra={"fields": counts})


def report_cutoff(*, db, now: datetime, services: Mapping[str, Any], group_id: int) -> None:
    """At a group's daily-report cut-off: who of its orders has not reported, @mentioned."""
    with db.session() as session:
        orders = set(group_order_ids(session=session, group_ids=[group_id])[group_id])
        if orders:
            run_sweep(
                session=session,
                now=now,
                order_ids=orders,
                group_id=group_id,
                only={"report_missing"},
            )
        session.commit()


def standup(*, db, now: datetime, services: Mapping[str, Any], group_id: int) -> None:
    """The group's morning standup summary (once a day)."""
    with db.session() as session:
        post_group_standup(session=session, group_id=group_id, now=now)
        session.commit()


def prune(*, db, now: datetime, services: Mapping[str, Any]) -> None:
    """Once a day: delete the warnings closed longer than ALERT_RETENTION_DAYS, one short
    transaction per batch (the sweep and the web app never wait on a long delete)."""
    days, total = settings().alert_retention_days, 0
    while True:
        with db.session() as session:
            pruned = prune_closed_alerts(session=session, now=now, days=days, limit=PRUNE_BATCH)
            session.commit()
        total += pruned
        if pruned < PRUNE_BATCH:
            break
    if total:
        log.info("alerts pruned", extra={"fields": {"alerts": total, "days": days}})
