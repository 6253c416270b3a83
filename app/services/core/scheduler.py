"""What the scheduler is doing: who leads, its last heartbeat, each job's next and last run."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.services.core.actor import Actor
from models.errors import Forbidden
from models.reminders import (
    LEASE_NAME,
    ScheduledJobPublic,
    SchedulerLease,
    SchedulerRun,
    SchedulerRunPublic,
    SchedulerStatus,
    apscheduler_jobs,
)


def _last_runs(session: Session) -> dict[str, SchedulerRun]:
    latest = (
        select(SchedulerRun.job_id, func.max(SchedulerRun.id).label("id"))
        .group_by(SchedulerRun.job_id)
        .subquery()
    )
    rows = session.exec(select(SchedulerRun).join(latest, SchedulerRun.id == latest.c.id)).all()
    return {row.job_id: row for row in rows}


def scheduler_status(*, session: Session, actor: Actor) -> SchedulerStatus:
    """The scheduler as admins and managers see it."""
    if not actor.sees_everything:
        raise Forbidden("只有管理员和管理层可以查看调度状态")
    lease = session.get(SchedulerLease, LEASE_NAME)
    last = _last_runs(session)
    jobs = []
    stored = session.exec(
        select(apscheduler_jobs.c.id, apscheduler_jobs.c.next_run_time).order_by(
            apscheduler_jobs.c.id
        )
    ).all()
    for job_id, next_run in stored:
        run = last.get(job_id)
        jobs.append(
            ScheduledJobPublic(
                job_id=job_id,
                next_run_at=None if next_run is None else datetime.fromtimestamp(next_run, UTC),
                last_run=SchedulerRunPublic.model_validate(run, from_attributes=True)
                if run
                else None,
            )
        )
    return SchedulerStatus(
        leader=lease.holder if lease else None,
        leading_since=lease.acquired_at if lease else None,
        lease_expires_at=lease.expires_at if lease else None,
        heartbeat_at=lease.heartbeat_at if lease else None,
        jobs=jobs,
    )
