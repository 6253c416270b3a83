"""The scheduler process (`python -m reminders`, reminders/__main__.py): stand by until it
leads, then run APScheduler on the database job store until it stops leading or is told to stop.

Never started inside web workers: APScheduler 3.x job stores must not be shared between
schedulers, so only the leader ever opens the job store, and only while it leads.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlmodel import Session

from app.db import Database, end_idle_transactions_after, make_engine
from app.services.alerts import GroupTimes
from app.services.core import settings
from models.reminders import JOBSTORE_TABLE
from reminders import jobs
from reminders.leader import FENCE, LeaderLock, fence, make_lock
from reminders.schedule import Timing

log = logging.getLogger("gendan.scheduler")


def holder_id() -> str:
    """Who this process is, as the lease and the run log name it."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def build_scheduler(
    db: Database, timezone: str, lease_seconds: float | None = None
) -> BackgroundScheduler:
    """APScheduler on the database job store (its own small engine: the store disposes it).
    With lease_seconds, the store's transactions end after that long idle (see run_scheduler)."""
    engine = make_engine(db.url, pool_size=2)
    if lease_seconds:
        end_idle_transactions_after(engine, lease_seconds)
    store = SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)
    return BackgroundScheduler(
        jobstores={"default": store},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=timezone,
    )


class SchedulerProcess:
    """One scheduler process: a standby that polls for the lock, or the leader."""

    def __init__(
        self,
        db: Database,
        timing: Timing,
        groups: Callable[[Session], list[GroupTimes]],
        *,
        services: Mapping[str, Any] | None = None,
        lock: LeaderLock | None = None,
        stop: threading.Event | None = None,
    ):
        self.db, self.timing, self.groups = db, timing, groups
        self.services = services or {}
        self.lock = lock or make_lock(db, holder_id(), timing.lease_seconds)
        self.stop = stop or threading.Event()

    @property
    def fields(self) -> dict:
        return {"holder": self.lock.holder}

    def run(self) -> None:
        """Alternate between standing by and leading until told to stop."""
        log.info("scheduler started", extra={"fields": self.fields})
        standing_by = False
        while not self.stop.is_set():
            try:
                if self.lock.acquire():
                    standing_by = False
                    if not self.lead():
                        continue  # told to stop
                    # It lost the lead: stand by a poll before trying again, so that the
                    # standby that took over, or ended this process's session as hung, is not
                    # raced for the lock it has just been given.
                elif not standing_by:
                    log.info(
                        "scheduler standing by: another process leads",
                        extra={"fields": self.fields},
                    )
                    standing_by = True
            except Exception:
                # A database outage must not end the process: stand by and try again.
                log.exception("scheduler error; standing by", extra={"fields": self.fields})
            self.stop.wait(self.timing.poll_seconds)
        log.info("scheduler stopped", extra={"fields": self.fields})

    def lead(self) -> bool:
        """Run the jobs while the lock holds; step down cleanly either way. True when the lead
        was lost, False when the process was told to stop."""
        log.info("scheduler leading", extra={"fields": {**self.fields, "epoch": self.lock.epoch}})
        # The deliveries this leader makes carry its epoch (see reminders.leader.fence).
        services = {**self.services, FENCE: fence(self.lock.name, self.lock.epoch)}
        runtime = jobs.Runtime(
            self.db, self.lock.holder, self.timing, self.groups, services=services
        )
        scheduler = build_scheduler(self.db, settings().timezone, self.timing.lease_seconds)
        runtime.scheduler = scheduler
        jobs.activate(runtime)
        lost = False
        try:
            scheduler.start()
            jobs.sync_now(runtime)
            while not self.stop.wait(self.timing.renew_seconds):
                if not self.lock.renew():
                    lost = True
                    log.error("scheduler lost the lead; standing by", extra={"fields": self.fields})
                    break
        finally:
            jobs.deactivate()
            if scheduler.running:
                scheduler.shutdown(wait=True)
            if not lost:
                self.lock.release()
        return lost


def run_scheduler(
    db: Database,
    timing: Timing,
    groups: Callable[[Session], list[GroupTimes]],
    services: Mapping[str, Any],
) -> None:
    """The process's main loop, stopped by SIGTERM or SIGINT."""
    stop = threading.Event()

    def _stop(_signum, _frame):
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # Every run is in scheduler_run already; APScheduler's line per run is noise.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # A leader stopped in the middle of a transaction (SIGSTOP, a long pause) would keep its row
    # locks, on the lease row too, and so block the standby that ended its lock session from
    # recording the takeover: the server ends such a transaction after one lease.
    end_idle_transactions_after(db.engine, timing.lease_seconds)
    SchedulerProcess(db, timing, groups, services=services, stop=stop).run()
