"""The value formats of the settings as people write them in the environment
("high=2,medium=24,low=72", "default=60,day_labour=40", "10 per minute"), parsed strictly.
Pure: the Settings validators (deployment.py) use them and tests call them directly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from limits import parse_many

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
    """The deployment is configured in a way Gendan refuses to start with; `problems` holds one
    sentence per refused value, naming its environment variable."""

    def __init__(self, *problems: str) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


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


def parse_roles(raw: str) -> tuple[str, ...]:
    """`site_engineer, production` as role names; unknown roles are refused."""
    roles = tuple(r.strip() for r in raw.split(",") if r.strip())
    unknown = [r for r in roles if r not in Role.__members__]
    if unknown:
        raise ConfigError(f"DAILY_REPORT_ROLES: unknown roles {unknown}")
    return roles


def parse_names(raw: str) -> tuple[str, ...]:
    """A comma-separated list of names, blanks dropped."""
    return tuple(n.strip() for n in raw.split(",") if n.strip())


def check_rate(name: str, raw: str) -> str:
    """A Flask-Limiter rate (`10 per minute`, several joined by `;`)."""
    try:
        parse_many(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a rate limit like '10 per minute'") from exc
    return raw


def check_zone(raw: str) -> str:
    """An IANA time zone name (`Asia/Shanghai`)."""
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE {raw!r} is not a known time zone") from exc
    return raw


def check_aes_key(name: str, raw: str) -> str:
    """A chat platform's EncodingAESKey: empty (plain mode) or 43 letters and digits."""
    if raw and not (len(raw) == 43 and raw.isascii() and raw.isalnum()):
        raise ConfigError(f"{name} must be the 43-character EncodingAESKey (letters, digits)")
    return raw
