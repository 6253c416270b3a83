"""The scheduler's tables (leader lease, run log, APScheduler's job store) and the
deployment's risk matrix settings."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from pydantic import ConfigDict
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow
from models.enums import RiskLevel
from models.inputs import Flag, OptionalFlag, Whole

# APScheduler's SQLAlchemyJobStore table, declared here so that Alembic creates it and the schema
# test sees it; the job store's own definition (same name and columns) then finds it in place.
JOBSTORE_TABLE = "apscheduler_jobs"
apscheduler_jobs = sa.Table(
    JOBSTORE_TABLE,
    SQLModel.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)

# The lease row every scheduler process competes for (reminders/leader.py); the status page
# (app/services/core/scheduler.py) reads who holds it.
LEASE_NAME = "scheduler"


class SchedulerLease(SQLModel, table=True):
    """Who leads the scheduler. On SQLite the lease itself (taken over once expired); on
    PostgreSQL a record of the advisory lock's holder. The heartbeat job stamps it."""

    __tablename__ = "scheduler_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=160)
    acquired_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The fencing token: one more each time another process takes the lead. A deposed leader
    # that wakes up still holds its old epoch, and the outbox refuses its writes.
    epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class SchedulerRun(SQLModel, table=True):
    """One finished run of a scheduled job, by the process that ran it (kept a few days)."""

    __tablename__ = "scheduler_run"
    __table_args__ = (sa.Index("ix_scheduler_run_job_id_started_at", "job_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(max_length=191)
    holder: str = Field(max_length=160)
    started_at: datetime = Field(sa_type=UTCDateTime, index=True)
    finished_at: datetime = Field(sa_type=UTCDateTime)
    ok: bool = Field(default=True)
    error: str | None = Field(default=None, max_length=500)


class SchedulerRunPublic(SQLModel):
    holder: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    error: str | None = None


class ScheduledJobPublic(SQLModel):
    job_id: str
    next_run_at: datetime | None = Field(default=None, description="下次运行；空表示已暂停")
    last_run: SchedulerRunPublic | None = None


class SchedulerStatus(SQLModel):
    leader: str | None = Field(default=None, description="正在运行任务的调度进程")
    leading_since: datetime | None = None
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    jobs: list[ScheduledJobPublic]


class RiskMatrixSetting(SQLModel, table=True):
    """The deployment's risk matrix and quiet hours as an admin set them (one row, id 1).
    Without the row the environment defaults apply."""

    __tablename__ = "risk_matrix_setting"

    id: int | None = Field(default=None, primary_key=True)
    high_minutes: int
    medium_minutes: int
    low_minutes: int
    quiet_start: time | None = None
    quiet_end: time | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: int | None = Field(default=None, foreign_key="users.id")

    @property
    def audit_order_id(self) -> int | None:
        return None


class RiskLimitPublic(SQLModel):
    level: RiskLevel
    name: str
    limit_minutes: int
    limit_hours: float


class QuietHoursPublic(SQLModel):
    start: str
    end: str


class RiskMatrixPublic(SQLModel):
    levels: list[RiskLimitPublic]
    quiet_hours: QuietHoursPublic | None
    timezone: str
    customised: bool


class RiskLimitIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    level: RiskLevel
    limit_minutes: Whole = Field(ge=1, le=90 * 24 * 60, description="处理时限（分钟）")


class QuietHoursIn(SQLModel):
    model_config = ConfigDict(extra="forbid")
    start: str = Field(description="开始时间 HH:MM（本地时间）", max_length=5)
    end: str = Field(description="结束时间 HH:MM（本地时间）", max_length=5)


class RiskMatrixUpdate(SQLModel):
    model_config = ConfigDict(extra="forbid")
    levels: list[RiskLimitIn] | None = Field(default=None, min_length=1, max_length=3)
    quiet_hours: QuietHoursIn | None = None
    quiet_hours_off: Flag = Field(default=False, description="关闭免打扰时段")


class GroupSchedule(SQLModel, table=True):
    """A chat group's own schedule; every field left empty follows the deployment default."""

    __tablename__ = "group_schedule"

    group_id: int = Field(primary_key=True, foreign_key="chat_group.id", ondelete="CASCADE")
    standup_time: time | None = None
    standup_days: str | None = Field(default=None, max_length=40)
    report_cutoff: time | None = None
    standup_enabled: bool = Field(default=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def audit_order_id(self) -> int | None:
        return None


def _any_case(word: str) -> str:
    return "".join(f"[{c}{c.upper()}]" for c in word)


# What app.services.core.timespec parses, as the document states it (it refused other text
# with a 422 the document did not show): HH:MM, and weekdays or ranges of them, comma-separated.
CLOCK_PATTERN = r"^ *([01]?[0-9]|2[0-3]):[0-5][0-9] *$"
_DAY = "(" + "|".join(_any_case(d) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")) + ")"
_SPAN = f" *{_DAY}( *- *{_DAY})? *"
DAYS_PATTERN = f"^{_SPAN}(,{_SPAN})*$"


class GroupScheduleIn(SQLModel):
    """Fields given as null go back to the deployment default; fields left out stay."""

    model_config = ConfigDict(extra="forbid")

    standup_time: str | None = Field(
        default=None,
        max_length=5,
        description="站会时间 HH:MM",
        schema_extra={"pattern": CLOCK_PATTERN},
    )
    standup_days: str | None = Field(
        default=None,
        max_length=40,
        description="站会日，例如 mon-sat 或 mon,wed,fri",
        schema_extra={"pattern": DAYS_PATTERN},
    )
    report_cutoff: str | None = Field(
        default=None,
        max_length=5,
        description="日报截止 HH:MM",
        schema_extra={"pattern": CLOCK_PATTERN},
    )
    standup_enabled: OptionalFlag = Field(default=None, description="是否推送站会摘要")


class SchedulePublic(SQLModel):
    group_id: int | None = None
    group_name: str | None = None
    standup_time: str
    standup_days: str
    standup_days_name: str
    report_cutoff: str
    standup_enabled: bool
    own: list[str] = Field(default_factory=list, description="该群自己设置（不随系统默认）的项")


class ScheduleOverview(SQLModel):
    timezone: str
    rule_sweep_minutes: int
    defaults: SchedulePublic
    items: list[SchedulePublic]
