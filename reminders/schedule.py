"""What the scheduler runs and when: job specs built from the configuration, and their sync
into APScheduler's job store (explicit ids, replace_existing, stale jobs removed).

A job is replaced only when its function, arguments or trigger changed, so a restart or a
periodic sync keeps every job's next run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from enum import StrEnum

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.services.alerts import GroupTimes
from app.services.core import format_days
from models import clock


class Task(StrEnum):
    """Work that later features hand to the scheduler."""

    sweep = "sweep"  # every RULE_SWEEP_MINUTES: run the warning rules
    deliver = "deliver"  # every OUTBOX_DRAIN_SECONDS: drain the outbox
    standup = "standup"  # per chat group, at its standup time on its working days
    report_cutoff = "report_cutoff"  # per chat group, at its daily-report cut-off
    prune = "prune"  # daily at PRUNE_AT: delete warnings closed past ALERT_RETENTION_DAYS


PER_GROUP = frozenset({Task.standup, Task.report_cutoff})
FIRST_SWEEP_SECONDS = 5
PRUNE_AT = time(3, 30)  # local time, when nobody is at work

# Each task's target, as a "module:function" reference called with the keyword arguments
# db, now and services (and group_id for the per-group tasks). A task without a target has no
# job: naming one here is all it takes to schedule it.
TARGETS: dict[Task, str] = {
    Task.deliver: "reminders.outbox_job:deliver",
    Task.sweep: "reminders.alert_jobs:sweep",
    Task.standup: "reminders.alert_jobs:standup",
    Task.report_cutoff: "reminders.alert_jobs:report_cutoff",
    Task.prune: "reminders.alert_jobs:prune",
}


@dataclass(frozen=True)
class Timing:
    """The scheduler process's own clockwork (seconds)."""

    lease_seconds: int = 30
    poll_seconds: int = 10
    heartbeat_seconds: int = 15
    sync_seconds: int = 60
    deliver_seconds: int = 2

    @property
    def renew_seconds(self) -> float:
        """Renew at a third of the lease, so two renewals may fail before it runs out."""
        return max(0.2, self.lease_seconds / 3)

    @classmethod
    def from_config(cls, config) -> Timing:
        return cls(
            lease_seconds=config["SCHEDULER_LEASE_SECONDS"],
            poll_seconds=config["SCHEDULER_POLL_SECONDS"],
            heartbeat_seconds=config["SCHEDULER_HEARTBEAT_SECONDS"],
            sync_seconds=config["SCHEDULER_SYNC_SECONDS"],
            deliver_seconds=config["OUTBOX_DRAIN_SECONDS"],
        )


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: str
    trigger: BaseTrigger
    kwargs: dict = field(default_factory=dict)
    misfire_grace_time: int = 60
    name: str = ""


def _daily(at: time, days: tuple[int, ...], timezone: str) -> CronTrigger:
    return CronTrigger(
        day_of_week=format_days(days), hour=at.hour, minute=at.minute, timezone=timezone
    )


def _task_job(task: Task, trigger: BaseTrigger, grace: int, group_id: int | None = None):
    suffix = f".{group_id}" if group_id is not None else ""
    kwargs = {"task": task.value} | ({"group_id": group_id} if group_id is not None else {})
    return JobSpec(
        id=f"task.{task.value}{suffix}",
        func="reminders.jobs:run_task",
        trigger=trigger,
        kwargs=kwargs,
        misfire_grace_time=grace,
        name=f"{task.value}{suffix}",
    )


def _group_jobs(group: GroupTimes, targets, timezone: str) -> list[JobSpec]:
    jobs = []
    if Task.standup in targets and group.standup_enabled:
        trigger = _daily(group.standup_time, group.days, timezone)
        # A standup an hour late is still worth posting; a later one is noise.
        jobs.append(_task_job(Task.standup, trigger, 3600, group.group_id))
    if Task.report_cutoff in targets:
        trigger = _daily(group.report_cutoff, group.days, timezone)
        jobs.append(_task_job(Task.report_cutoff, trigger, 3 * 3600, group.group_id))
    return jobs


def desired_jobs(
    *,
    timing: Timing,
    sweep_minutes: int,
    timezone: str,
    groups: list[GroupTimes],
    targets: dict[Task, str] = TARGETS,
) -> list[JobSpec]:
    """Every job the leader should have, housekeeping first."""
    jobs = [
        JobSpec(
            id="scheduler.heartbeat",
            func="reminders.jobs:heartbeat",
            trigger=IntervalTrigger(seconds=timing.heartbeat_seconds, timezone=timezone),
            misfire_grace_time=max(1, timing.heartbeat_seconds),
            name="heartbeat",
        ),
        JobSpec(
            id="scheduler.sync",
            func="reminders.jobs:sync",
            trigger=IntervalTrigger(seconds=timing.sync_seconds, timezone=timezone),
            misfire_grace_time=max(1, timing.sync_seconds),
            name="sync",
        ),
    ]
    if Task.sweep in targets:
        # A sweep job that is new (a fresh deployment, a changed interval) runs a few seconds
        # after it is stored instead of a whole interval later; then every interval.
        interval = timedelta(minutes=sweep_minutes)
        start = clock.now() - interval + timedelta(seconds=FIRST_SWEEP_SECONDS)
        trigger = IntervalTrigger(minutes=sweep_minutes, timezone=timezone, start_date=start)
        jobs.append(_task_job(Task.sweep, trigger, sweep_minutes * 60))
    if Task.deliver in targets:
        trigger = IntervalTrigger(seconds=timing.deliver_seconds, timezone=timezone)
        jobs.append(_task_job(Task.deliver, trigger, max(1, timing.deliver_seconds)))
    if Task.prune in targets:
        trigger = _daily(PRUNE_AT, tuple(range(7)), timezone)
        jobs.append(_task_job(Task.prune, trigger, 6 * 3600))
    for group in sorted(groups, key=lambda g: g.group_id):
        jobs.extend(_group_jobs(group, targets, timezone))
    return jobs


def _trigger_key(trigger: BaseTrigger) -> tuple:
    # An interval trigger's start date is the moment it was made: compare what it means instead.
    if isinstance(trigger, IntervalTrigger):
        return ("interval", trigger.interval, str(trigger.timezone))
    return (type(trigger).__name__, str(trigger), str(getattr(trigger, "timezone", "")))


def _unchanged(job, spec: JobSpec) -> bool:
    return (
        job.func_ref == spec.func
        and job.kwargs == {**spec.kwargs, "job_id": spec.id}
        and job.misfire_grace_time == spec.misfire_grace_time
        and job.name == (spec.name or spec.id)
        and _trigger_key(job.trigger) == _trigger_key(spec.trigger)
    )


@dataclass
class SyncResult:
    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def sync_jobs(scheduler: BaseScheduler, specs: list[JobSpec]) -> SyncResult:
    """Make the job store hold exactly `specs`, touching only what changed."""
    result = SyncResult()
    wanted = {spec.id: spec for spec in specs}
    existing = {job.id: job for job in scheduler.get_jobs()}
    for job_id in existing.keys() - wanted.keys():
        scheduler.remove_job(job_id)
        result.removed.append(job_id)
    for spec in specs:
        job = existing.get(spec.id)
        if job is not None and _unchanged(job, spec):
            continue
        scheduler.add_job(
            spec.func,
            trigger=spec.trigger,
            id=spec.id,
            name=spec.name or spec.id,
            kwargs={**spec.kwargs, "job_id": spec.id},
            misfire_grace_time=spec.misfire_grace_time,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
        (result.added if job is None else result.replaced).append(spec.id)
    return result
