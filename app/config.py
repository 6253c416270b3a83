"""Configuration from environment variables, with safe defaults for development.

GENDAN_ENV selects the mode: development (default), production or testing. In production a
missing SECRET_KEY is a startup error; in development a key is generated once and kept in
instance/secret_key so that every worker process and every restart share it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.enums import RiskLevel, Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("GENDAN_INSTANCE_DIR", PROJECT_ROOT / "instance"))

DEFAULT_REVIEW_DEPARTMENTS = "sales,engineering,production,procurement,quality"
DEFAULT_REPORT_ROLES = "site_engineer,production,tracker"
DEFAULT_ISSUE_LIMIT_HOURS = "high=2,medium=24,low=72"


class ConfigError(RuntimeError):
    """The deployment is configured in a way Gendan refuses to start with."""


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _secret_key(env: dict, mode: str, instance: Path) -> str:
    key = env.get("SECRET_KEY", "")
    if key:
        if mode == "production" and len(key) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")
        return key
    if mode == "production":
        raise ConfigError("SECRET_KEY is not set; production mode refuses to start without it")
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _timezone(env: dict) -> str:
    name = env.get("TIMEZONE", "Asia/Shanghai")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE {name!r} is not a known time zone") from exc
    return name


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


def _report_roles(env: dict) -> str:
    raw = env.get("DAILY_REPORT_ROLES", DEFAULT_REPORT_ROLES)
    roles = [r.strip() for r in raw.split(",") if r.strip()]
    unknown = [r for r in roles if r not in Role.__members__]
    if unknown:
        raise ConfigError(f"DAILY_REPORT_ROLES: unknown roles {unknown}")
    return ",".join(roles)


def load_config(env: dict | None = None) -> dict:
    """Build the Flask config mapping from the environment."""
    env = dict(os.environ if env is None else env)
    mode = env.get("GENDAN_ENV", "development")
    if mode not in ("development", "production", "testing"):
        raise ConfigError(f"GENDAN_ENV must be development, production or testing, not {mode!r}")
    instance = Path(env.get("GENDAN_INSTANCE_DIR", INSTANCE_DIR))
    port = _int(env, "PORT", 5000)
    return {
        "GENDAN_ENV": mode,
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": _secret_key(env, mode, instance),
        "DATABASE_URL": env.get("DATABASE_URL") or f"sqlite:///{instance / 'gendan.db'}",
        "TIMEZONE": _timezone(env),
        "UPLOAD_DIR": env.get("UPLOAD_DIR") or str(instance / "uploads"),
        "PUBLIC_BASE_URL": env.get("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        "TOKEN_TTL_HOURS": _int(env, "TOKEN_TTL_HOURS", 24 * 7),
        "MAX_CONTENT_LENGTH": _int(env, "MAX_UPLOAD_MB", 20) * 1024 * 1024,
        "PHOTO_MAX_MB": _int(env, "PHOTO_MAX_MB", 15),
        "PHOTO_MAX_MEGAPIXELS": _int(env, "PHOTO_MAX_MEGAPIXELS", 60),
        "PHOTO_KEEP_METADATA": env.get("PHOTO_KEEP_METADATA", "").lower() in ("1", "true", "yes"),
        "REVIEW_DEPARTMENTS": env.get("REVIEW_DEPARTMENTS", DEFAULT_REVIEW_DEPARTMENTS),
        "DAILY_REPORT_ROLES": _report_roles(env),
        "ISSUE_LIMIT_HOURS": parse_issue_limits(
            env.get("ISSUE_LIMIT_HOURS") or DEFAULT_ISSUE_LIMIT_HOURS
        ),
        "DOCUMENT_MAX_MB": _int(env, "DOCUMENT_MAX_MB", 15),
        "ACCEPTANCE_LINK_HOURS": _int(env, "ACCEPTANCE_LINK_HOURS", 7 * 24),
        "PASSWORD_HASH_PROFILE": env.get("PASSWORD_HASH_PROFILE", "default"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": mode == "production",
        "JSON_AS_ASCII": False,
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
    }
