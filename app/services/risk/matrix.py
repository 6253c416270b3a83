"""The deployment's risk matrix (handling time limit per level) and quiet hours.

The environment gives the defaults (ISSUE_LIMIT_HOURS, QUIET_HOURS); an admin may override
them, which stores one row. Site issue due times and the rules read the matrix in force with
`risk_matrix`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.services.core import Actor, acts, format_clock, parse_clock, settings
from app.services.risk.timing import QuietHours, RiskMatrix, default_matrix
from models.base import utcnow
from models.enums import RISK_NAMES, RiskLevel
from models.errors import Forbidden, InvalidInput
from models.reminders import (
    QuietHoursPublic,
    RiskLimitPublic,
    RiskMatrixPublic,
    RiskMatrixSetting,
    RiskMatrixUpdate,
)

SETTING_ID = 1
LEVEL_ORDER = (RiskLevel.high, RiskLevel.medium, RiskLevel.low)


def _from_row(row: RiskMatrixSetting) -> RiskMatrix:
    limits = {
        RiskLevel.high: timedelta(minutes=row.high_minutes),
        RiskLevel.medium: timedelta(minutes=row.medium_minutes),
        RiskLevel.low: timedelta(minutes=row.low_minutes),
    }
    quiet = QuietHours(row.quiet_start, row.quiet_end) if row.quiet_start else None
    return RiskMatrix(limits=limits, quiet=quiet, timezone=settings().timezone)


def risk_matrix(*, session: Session) -> RiskMatrix:
    """The matrix in force: the admin's settings, else the environment defaults."""
    row = session.get(RiskMatrixSetting, SETTING_ID)
    return default_matrix() if row is None else _from_row(row)


def describe_matrix(*, session: Session) -> RiskMatrixPublic:
    """The matrix in force, as the API shows it."""
    matrix = risk_matrix(session=session)
    levels = []
    for level in LEVEL_ORDER:
        minutes = int(matrix.limit(level).total_seconds() // 60)
        levels.append(
            RiskLimitPublic(
                level=level,
                name=RISK_NAMES[level],
                limit_minutes=minutes,
                limit_hours=round(minutes / 60, 2),
            )
        )
    quiet = None
    if matrix.quiet is not None:
        quiet = QuietHoursPublic(
            start=format_clock(matrix.quiet.start), end=format_clock(matrix.quiet.end)
        )
    customised = session.get(RiskMatrixSetting, SETTING_ID) is not None
    return RiskMatrixPublic(
        levels=levels, quiet_hours=quiet, timezone=matrix.timezone, customised=customised
    )


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("只有管理员可以修改风险矩阵")


def _new_limits(matrix: RiskMatrix, data: RiskMatrixUpdate) -> dict[RiskLevel, int]:
    limits = {level: int(matrix.limit(level).total_seconds() // 60) for level in LEVEL_ORDER}
    given = [item.level for item in data.levels or []]
    if len(given) != len(set(given)):
        raise InvalidInput("每个风险等级只能出现一次", code="duplicate_level")
    for item in data.levels or []:
        limits[item.level] = item.limit_minutes
    high, medium, low = (limits[level] for level in LEVEL_ORDER)
    if not high <= medium <= low:
        raise InvalidInput("处理时限必须满足：高风险 ≤ 中风险 ≤ 低风险", code="limits_out_of_order")
    return limits


def _new_quiet(matrix: RiskMatrix, data: RiskMatrixUpdate) -> QuietHours | None:
    if data.quiet_hours_off:
        if data.quiet_hours is not None:
            raise InvalidInput("不能同时设置和关闭免打扰时段", code="quiet_hours_conflict")
        return None
    if data.quiet_hours is None:
        return matrix.quiet
    try:
        start, end = parse_clock(data.quiet_hours.start), parse_clock(data.quiet_hours.end)
    except ValueError:
        raise InvalidInput("免打扰时段的时间格式应为 HH:MM", code="bad_clock") from None
    if start == end:
        raise InvalidInput("免打扰时段的开始和结束不能相同", code="empty_window")
    return QuietHours(start, end)


@acts
def update_risk_matrix(
    *, session: Session, actor: Actor, data: RiskMatrixUpdate, now: datetime | None = None
) -> RiskMatrixSetting:
    """Change handling time limits and/or quiet hours (admins); unnamed values stay."""
    _require_admin(actor)
    matrix = risk_matrix(session=session)
    limits, quiet = _new_limits(matrix, data), _new_quiet(matrix, data)
    row = session.get(RiskMatrixSetting, SETTING_ID) or RiskMatrixSetting(id=SETTING_ID)
    row.high_minutes = limits[RiskLevel.high]
    row.medium_minutes = limits[RiskLevel.medium]
    row.low_minutes = limits[RiskLevel.low]
    row.quiet_start = quiet.start if quiet else None
    row.quiet_end = quiet.end if quiet else None
    row.updated_at = now or utcnow()
    row.updated_by_id = actor.id
    session.add(row)
    session.flush()
    return row


@acts
def reset_risk_matrix(*, session: Session, actor: Actor) -> None:
    """Return to the environment defaults (admins)."""
    _require_admin(actor)
    row = session.get(RiskMatrixSetting, SETTING_ID)
    if row is not None:
        session.delete(row)
        session.flush()
