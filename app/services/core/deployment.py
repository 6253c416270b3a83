"""Deployment-wide settings the services need (set once at startup by each process)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from models import clock
from models.enums import RiskLevel, Role

DEFAULT_REVIEW_DEPARTMENTS = "sales,engineering,production,procurement,quality"
DEFAULT_REPORT_ROLES = "site_engineer,production,tracker"
DEFAULT_ISSUE_LIMIT_HOURS = "high=2,medium=24,low=72"
# KPI targets: on-time delivery %, exception response and resolution hours, satisfaction (1-5).
DEFAULT_KPI_TARGETS = "on_time=95,response_hours=2,resolution_hours=24,satisfaction=4.5"
# Hourly labour rates in yuan for the cost centre: per role, `default` for roles not listed and
# `day_labour` for day-labour (点工) entries of the daily reports.
DEFAULT_LABOUR_RATES = "default=60,day_labour=40"


class ConfigError(RuntimeError):
    """The deployment is configured in a way Gendan refuses to start with."""


def parse_issue_limits(raw: str) -> dict[str, float]:
    """`high=2,medium=24,low=72` as hours per risk level; every level needs a positive limit."""
    limits = {}
    for part in raw.split(","):
        level, sep, hours = part.partition("=")
        try:
            value = float(hours)
        except ValueError:
            value = 0.0
        if not sep or level.strip() not in RiskLevel.__members__ or not 0 < value <= 24 * 365:
            raise ConfigError(f"ISSUE_LIMIT_HOURS: bad entry {part!r} (expected e.g. high=2)")
        limits[level.strip()] = value
    if set(limits) != set(RiskLevel.__members__):
        raise ConfigError("ISSUE_LIMIT_HOURS must give high, medium and low")
    return limits


def parse_kpi_targets(raw: str) -> dict[str, float]:
    """`on_time=95,response_hours=2,...`: any subset of the KPI targets, each a positive number."""
    targets = dict((k, float(v)) for k, v in (p.split("=") for p in DEFAULT_KPI_TARGETS.split(",")))
    for part in (p for p in raw.split(",") if p.strip()):
        name, sep, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = 0.0
        if not sep or name.strip() not in targets or not 0 < number < 1e6:
            raise ConfigError(f"KPI_TARGETS: bad entry {part!r} (expected e.g. on_time=95)")
        targets[name.strip()] = number
    if targets["on_time"] > 100 or targets["satisfaction"] > 5:
        raise ConfigError("KPI_TARGETS: on_time is a percentage, satisfaction at most 5")
    return targets


def parse_labour_rates(raw: str) -> dict[str, Decimal]:
    """`default=60,site_engineer=120,day_labour=40` as yuan per hour; default and day_labour
    are always present (from the built-in defaults when not given)."""
    rates = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        name, sep, value = (x.strip() for x in part.partition("="))
        try:
            rate = Decimal(value)
        except InvalidOperation:
            rate = Decimal(-1)
        known = name in ("default", "day_labour") or name in Role.__members__
        if not sep or not known or not rate.is_finite() or not 0 <= rate <= 100000:
            raise ConfigError(f"LABOUR_RATES: bad entry {part!r} (expected e.g. default=60)")
        rates[name] = rate.quantize(Decimal("0.01"))
    if raw != DEFAULT_LABOUR_RATES:
        rates = {**parse_labour_rates(DEFAULT_LABOUR_RATES), **rates}
    return rates


@dataclass(frozen=True)
class Settings:
    timezone: str = "Asia/Shanghai"
    review_departments: tuple[str, ...] = tuple(DEFAULT_REVIEW_DEPARTMENTS.split(","))
    public_base_url: str = "http://127.0.0.1:5000"
    upload_dir: str = "instance/uploads"
    photo_max_bytes: int = 15 * 1024 * 1024
    photo_max_pixels: int = 20_000_000
    image_decode_slots: int = 1
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
