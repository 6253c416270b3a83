"""Deployment-wide settings the services need (set once at startup by each process)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.config import (
    DEFAULT_ISSUE_LIMIT_HOURS,
    DEFAULT_KPI_TARGETS,
    DEFAULT_LABOUR_RATES,
    DEFAULT_REPORT_ROLES,
    DEFAULT_REVIEW_DEPARTMENTS,
    parse_issue_limits,
    parse_kpi_targets,
    parse_labour_rates,
)
from models import clock


@dataclass(frozen=True)
class Settings:
    timezone: str = "Asia/Shanghai"
    review_departments: tuple[str, ...] = tuple(DEFAULT_REVIEW_DEPARTMENTS.split(","))
    public_base_url: str = "http://127.0.0.1:5000"
    upload_dir: str = "instance/uploads"
    photo_max_bytes: int = 15 * 1024 * 1024
    photo_max_pixels: int = 60_000_000
    photo_keep_metadata: bool = False
    # Order members in these roles are expected to file a daily report every day.
    report_roles: tuple[str, ...] = tuple(DEFAULT_REPORT_ROLES.split(","))
    # Site issue handling limit per risk level (the risk matrix), in hours.
    issue_limit_hours: dict[str, float] = field(
        default_factory=lambda: parse_issue_limits(DEFAULT_ISSUE_LIMIT_HOURS)
    )
    document_max_bytes: int = 15 * 1024 * 1024
    acceptance_link_hours: int = 7 * 24
    # KPI targets (KPI_TARGETS): on_time (%), response_hours, resolution_hours, satisfaction.
    kpi_targets: dict[str, float] = field(
        default_factory=lambda: parse_kpi_targets(DEFAULT_KPI_TARGETS)
    )
    secret_key: str = ""
    # Cost centre: yuan per hour by role, with `default` and `day_labour` (点工).
    labour_rates: dict[str, Decimal] = field(
        default_factory=lambda: parse_labour_rates(DEFAULT_LABOUR_RATES)
    )
    # Reminders: deployment defaults (admins override the risk matrix and quiet hours in the
    # database, and each chat group's schedule; issue_limit_hours is the matrix's default).
    rule_sweep_minutes: int = 5
    standup_time: time = time(8, 45)
    standup_days: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
    report_cutoff: time = time(20, 0)
    quiet_hours: tuple[time, time] | None = (time(22, 0), time(7, 0))
    # Warning rules: a review sign-off pending longer than this is chased; a purchase line
    # whose predicted probability of arriving after its need date is above the threshold warns
    # its buyer; an alert's acknowledgement link works this long.
    signoff_limit_hours: float = 48.0
    delay_warn_probability: float = 0.6
    alert_link_hours: int = 72
    extra: dict = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_current = Settings()


def configure(**values) -> Settings:
    """Replace settings for this process (called by create_app, the CLI and the scheduler)."""
    global _current
    _current = replace(_current, **values)
    clock.set_zone(_current.timezone)
    return _current


def settings() -> Settings:
    """The settings of this process."""
    return _current


def local_date(now: datetime | None = None) -> date:
    """The calendar date of an instant (default: now) in the deployment's time zone."""
    return clock.local_date(now)
