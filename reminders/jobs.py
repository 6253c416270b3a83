"""The scheduler's jobs: thin doors that take the time, open the database and call the work.

Jobs are stored by reference ("reminders.jobs:heartbeat"), so the job store outlives any code
change that keeps these names. Each run is written to `scheduler_run` with the process that
ran it; a process that does not lead runs nothing, even if a job fires while it steps down.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import wraps
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.util import ref_to_obj
from sqlalchemy import delete, insert, select, update
from sqlmodel import Session

from app.db import Database
from app.services.alerts import GroupTimes
from app.services.core import settings
from models.base import utcnow
from models.reminders import LEASE_NAME, SchedulerLease, SchedulerRun
from reminders.schedule import TARGETS, Task, Timing, desired_jobs, sync_jobs

log = logging.getLogger("gendan.scheduler")

RUN_LOG_DAYS = 3
RUN_LOG_PER_JOB = 500  # the delivery job runs every few seconds: keep its log short


@dataclass
class Runtime:
    """What the jobs of the leading process work with."""

    db: Database
    holder: str
    timing: Timing
    groups: Callable[[Session], list[GroupTimes]]
    targets: dict[Task, str] = field(default_factory=lambda: TARGETS)
    # What the process set up for the work (the Flask app's extensions: chat clients, the
    # outbox deliverer), handed to every target.
    services: Mapping[str, Any] = field(default_factory=dict)
    scheduler: BaseScheduler | None = None
    leading: threading.Event = field(default_factory=threading.Event)
    # Held while the job store is changed: stepping down waits for a change in progress, and
    # no change starts after it. (A job changing jobs while APScheduler shuts down with
    # wait=True would deadlock: shutdown holds the job store lock while it waits for the job.)
    guard: threading.Lock = field(default_factory=threading.Lock)


_runtime: Runtime | None = None


def activate(runtime: Runtime) -> None:
    """Let jobs run in this process (it leads)."""
    global _runtime
    _runtime = runtime
    runtime.leading.set()


def deactivate() -> None:
    """Stop jobs from running in this process (it no longer leads)."""
    global _runtime
    if _runtime is not None:
        with _runtime.guard:
            _runtime.leading.clear()
    _runtime = None


def _record(db: Database, job_id: str, holder: str, started, error: str | None) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            insert(SchedulerRun.__table__).values(
                job_id=job_id,
                holder=holder,
                started_at=started,
                finished_at=utcnow(),
                ok=error is None,
                error=error,
            )
        )


def recorded(fn):
    """Run a job only in the leading process, with `now`, and log the run."""

    @wraps(fn)
    def job(*, job_id: str, **kwargs):
        runtime = _runtime
        if runtime is None or not runtime.leading.is_set():
            log.warning("job skipped: not leading", extra={"fields": {"job_id": job_id}})
            return
        started, error = utcnow(), None
        try:
            fn(runtime, now=started, **kwargs)
        except Exception as exc:
            log.exception("job failed", extra={"fields": {"job_id": job_id}})
            error = f"{type(exc).__name__}: {exc}"[:500]
        _record(runtime.db, job_id, runtime.holder, started, error)

    return job


def _prune_runs(conn, now) -> None:
    runs = SchedulerRun.__table__
    conn.execute(delete(runs).where(runs.c.started_at < now - timedelta(days=RUN_LOG_DAYS)))
    for job_id in conn.execute(select(runs.c.job_id).distinct()).scalars().all():
        oldest_kept = conn.execute(
            select(runs.c.id)
            .where(runs.c.job_id == job_id)
            .order_by(runs.c.id.desc())
            .offset(RUN_LOG_PER_JOB - 1)
            .limit(1)
        ).scalar()
        if oldest_kept is not None:
            conn.execute(delete(runs).where(runs.c.job_id == job_id, runs.c.id < oldest_kept))


@recorded
def heartbeat(runtime: Runtime, *, now) -> None:
    """Stamp the lease with the leader's heartbeat; keep the run log to RUN_LOG_DAYS days and
    RUN_LOG_PER_JOB runs a job."""
    lease = SchedulerLease.__table__
    with runtime.db.engine.begin() as conn:
        conn.execute(
            update(lease)
            .where(lease.c.name == LEASE_NAME, lease.c.holder == runtime.holder)
            .values(heartbeat_at=now)
        )
        _prune_runs(conn, now)


def current_specs(runtime: Runtime):
    """The jobs the configuration asks for right now (group schedules read from the database)."""
    with runtime.db.session(readonly=True) as session:
        groups = runtime.groups(session)
    return desired_jobs(
        timing=runtime.timing,
        sweep_minutes=settings().rule_sweep_minutes,
        timezone=settings().timezone,
        groups=groups,
        targets=runtime.targets,
    )


def sync_now(runtime: Runtime) -> None:
    """Bring the job store in line with the configuration, unless this process stepped down."""
    specs = current_specs(runtime)
    with runtime.guard:
        if not runtime.leading.is_set():
            return
        result = sync_jobs(runtime.scheduler, specs)
    if result.added or result.replaced or result.removed:
        log.info("scheduler jobs synced", extra={"fields": vars(result)})


@recorded
def sync(runtime: Runtime, *, now) -> None:
    """Apply schedule changes (admins change group schedules while the scheduler runs)."""
    sync_now(runtime)


@recorded
def run_task(runtime: Runtime, *, now, task: str, group_id: int | None = None) -> None:
    """Call the target registered for a task (see reminders.schedule.TARGETS)."""
    ref = runtime.targets.get(Task(task))
    if ref is None:
        log.warning("task has no target; the next sync drops it", extra={"fields": {"task": task}})
        return
    kwargs = {"db": runtime.db, "now": now, "services": runtime.services}
    if group_id is not None:
        kwargs["group_id"] = group_id
    ref_to_obj(ref)(**kwargs)
