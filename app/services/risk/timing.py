"""The risk matrix (风险矩阵) and quiet hours as pure functions of a frozen clock.

Every exception has a level; each level has a handling time limit. Past the limit without an
acknowledgement the owner is reminded; past twice the limit the manager is told. Quiet hours
(local time) defer every message but a high-risk one to the end of the quiet window.

The rules load the deployment's matrix once per sweep (risk/matrix.py) and pass it;
without one, the process settings (environment defaults) apply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.services.core import settings
from models.enums import EscalationStage, RiskLevel


@dataclass(frozen=True)
class QuietHours:
    """A daily window in local time; it crosses midnight when start > end (22:00-07:00)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, local: datetime) -> datetime:
        """The first end of the window strictly after a local instant."""
        candidate = datetime.combine(local.date(), self.end, tzinfo=local.tzinfo)
        if candidate <= local:
            candidate = datetime.combine(
                local.date() + timedelta(days=1), self.end, tzinfo=local.tzinfo
            )
        return candidate


@dataclass(frozen=True)
class RiskMatrix:
    """Handling time limit per level, quiet hours and the zone they are read in."""

    limits: Mapping[RiskLevel, timedelta]
    quiet: QuietHours | None
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def limit(self, level: RiskLevel) -> timedelta:
        return self.limits[RiskLevel(level)]


def default_matrix() -> RiskMatrix:
    """The matrix from this process's settings (ISSUE_LIMIT_HOURS, QUIET_HOURS)."""
    current = settings()
    quiet = QuietHours(*current.quiet_hours) if current.quiet_hours else None
    limits = {level: timedelta(hours=current.issue_limit_hours[level.value]) for level in RiskLevel}
    return RiskMatrix(limits=limits, quiet=quiet, timezone=current.timezone)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be an aware datetime")
    return value


def deadline_for(level: RiskLevel, since: datetime, matrix: RiskMatrix | None = None) -> datetime:
    """When the handling time of an exception raised at `since` runs out."""
    matrix = matrix or default_matrix()
    return _aware(since, "since") + matrix.limit(level)


def escalation_stage(
    level: RiskLevel,
    since: datetime,
    acknowledged_at: datetime | None,
    now: datetime,
    matrix: RiskMatrix | None = None,
) -> EscalationStage:
    """none before the limit or once acknowledged; remind_owner from the limit on; tell_manager
    from twice the limit on. A limit is used up at its very end (elapsed >= limit)."""
    matrix = matrix or default_matrix()
    _aware(now, "now")
    if acknowledged_at is not None and _aware(acknowledged_at, "acknowledged_at") <= now:
        return EscalationStage.none
    elapsed = now - _aware(since, "since")
    limit = matrix.limit(level)
    if elapsed >= 2 * limit:
        return EscalationStage.tell_manager
    if elapsed >= limit:
        return EscalationStage.remind_owner
    return EscalationStage.none


def in_quiet_hours(now: datetime, matrix: RiskMatrix | None = None) -> bool:
    """Whether `now` falls in the deployment's quiet hours (local time)."""
    matrix = matrix or default_matrix()
    if matrix.quiet is None:
        return False
    return matrix.quiet.contains(_aware(now, "now").astimezone(matrix.tz).time())


def defer_until(now: datetime, level: RiskLevel, matrix: RiskMatrix | None = None) -> datetime:
    """When a message decided at `now` may be sent: `now` itself, or for anything but high risk
    decided in quiet hours, the end of the quiet window (in UTC)."""
    matrix = matrix or default_matrix()
    if RiskLevel(level) is RiskLevel.high or not in_quiet_hours(now, matrix):
        return now
    local = now.astimezone(matrix.tz)
    return matrix.quiet.end_after(local).astimezone(UTC)
