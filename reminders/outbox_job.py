"""The scheduler's delivery job: run the queued bot tasks, then send what is due in the outbox.

One pass per run (every OUTBOX_DRAIN_SECONDS). The deliverer claims rows under a lease, so a
pass that overlaps another process's (a web worker's immediate reply) never sends a row twice;
the leader's fence makes a deposed leader that wakes up claim and record nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bots.tasks import TaskRunner
from reminders.leader import FENCE

log = logging.getLogger("gendan.delivery")


def deliver(*, db, now: datetime, services: Mapping[str, Any]) -> None:
    """Run due bot tasks and drain the outbox once."""
    tasks = TaskRunner(db, services["gendan.chat"]).run_due()
    stats = services["gendan.deliverer"].drain_once(fence=services.get(FENCE))
    if tasks or stats.sent or stats.retried or stats.failed or stats.merged:
        log.info("delivered", extra={"fields": {"tasks": tasks, **vars(stats)}})
