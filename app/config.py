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

from limits import parse_many

from app.services.core import (
    DEFAULT_ISSUE_LIMIT_HOURS,
    DEFAULT_KPI_TARGETS,
    DEFAULT_LABOUR_RATES,
    DEFAULT_REPORT_ROLES,
    DEFAULT_REVIEW_DEPARTMENTS,
    ConfigError,
    parse_clock,
    parse_days,
    parse_issue_limits,
    parse_kpi_targets,
    parse_labour_rates,
    parse_window,
)
from models.enums import Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("GENDAN_INSTANCE_DIR", PROJECT_ROOT / "instance"))

# Chat platform settings, each read from the environment under the same name.
CHAT_SETTINGS = (
    "WECHAT_APP_ID",
    "WECHAT_APP_SECRET",
    "WECHAT_TOKEN",
    "WECHAT_AES_KEY",
    "WECOM_CORP_ID",
    "WECOM_TOKEN",
    "WECOM_AES_KEY",
    "WECOM_AGENT_ID",
    "WECOM_SECRET",
    "DINGTALK_APP_KEY",
    "DINGTALK_APP_SECRET",
    "DINGTALK_AGENT_ID",
    "DINGTALK_TOKEN",
    "DINGTALK_AES_KEY",
    "DINGTALK_CORP_ID",
)
PLATFORM_API_BASES = {
    "WECHAT_API_BASE": "https://api.weixin.qq.com",
    "WECOM_API_BASE": "https://qyapi.weixin.qq.com",
    "DINGTALK_API_BASE": "https://oapi.dingtalk.com",
    "DINGTALK_OPENAPI_BASE": "https://api.dingtalk.com",
}
AES_KEYS = ("WECHAT_AES_KEY", "WECOM_AES_KEY", "DINGTALK_AES_KEY")


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _parsed(env: dict, name: str, default: str, parse):
    raw = env.get(name) or default
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def _positive(env: dict, name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _reminder_config(env: dict) -> dict:
    """Schedules, the risk matrix and quiet hours (deployment defaults), and scheduler timing."""
    return {
        "RULE_SWEEP_MINUTES": _positive(env, "RULE_SWEEP_MINUTES", 5),
        "STANDUP_TIME": _parsed(env, "STANDUP_TIME", "08:45", parse_clock),
        "STANDUP_DAYS": _parsed(env, "STANDUP_DAYS", "mon-sat", parse_days),
        "DAILY_REPORT_CUTOFF": _parsed(env, "DAILY_REPORT_CUTOFF", "20:00", parse_clock),
        "QUIET_HOURS": _parsed(env, "QUIET_HOURS", "22:00-07:00", parse_window),
        "SIGNOFF_LIMIT_HOURS": _positive(env, "SIGNOFF_LIMIT_HOURS", 48),
        "DELAY_WARN_PERCENT": _positive(env, "DELAY_WARN_PERCENT", 60),
        "ALERT_LINK_HOURS": _positive(env, "ALERT_LINK_HOURS", 72),
        "SCHEDULER_LEASE_SECONDS": _positive(env, "SCHEDULER_LEASE_SECONDS", 30),
        "SCHEDULER_POLL_SECONDS": _positive(env, "SCHEDULER_POLL_SECONDS", 10),
        "SCHEDULER_HEARTBEAT_SECONDS": _positive(env, "SCHEDULER_HEARTBEAT_SECONDS", 15),
        "SCHEDULER_SYNC_SECONDS": _positive(env, "SCHEDULER_SYNC_SECONDS", 60),
        "OUTBOX_DRAIN_SECONDS": _positive(env, "OUTBOX_DRAIN_SECONDS", 2),
    }


def _rate(env: dict, name: str, default: str) -> str:
    raw = env.get(name) or default
    try:
        parse_many(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}: {raw!r} is not a rate limit like '10 per minute'") from exc
    return raw


def security_config(env: dict) -> dict:
    """Rate limits (Flask-Limiter notation, `;` between several) and proxy trust."""
    return {
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "memory://",
        "LOGIN_RATE_LIMIT_PER_ADDRESS": _rate(env, "LOGIN_RATE_LIMIT_PER_ADDRESS", "30 per minute"),
        "LOGIN_RATE_LIMIT_PER_USER": _rate(env, "LOGIN_RATE_LIMIT_PER_USER", "10 per 15 minutes"),
        "WEBHOOK_RATE_LIMIT": _rate(env, "WEBHOOK_RATE_LIMIT", "1200 per minute"),
        "CHAT_RATE_LIMIT": _rate(env, "CHAT_RATE_LIMIT", "20 per minute"),
        # How many reverse proxies (nginx) stand in front and set X-Forwarded-For/-Proto.
        "PROXY_HOPS": _int(env, "PROXY_HOPS", 0),
    }


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


def _report_roles(env: dict) -> str:
    raw = env.get("DAILY_REPORT_ROLES", DEFAULT_REPORT_ROLES)
    roles = [r.strip() for r in raw.split(",") if r.strip()]
    unknown = [r for r in roles if r not in Role.__members__]
    if unknown:
        raise ConfigError(f"DAILY_REPORT_ROLES: unknown roles {unknown}")
    return ",".join(roles)


def chat_config(env: dict, mode: str) -> dict:
    """Chat platform credentials and API bases, from the environment. Credentials have no
    default (`make run` gives its processes the simulator's, see app/launcher.py); outside
    production the API bases default to the local simulator, so a development process never
    calls a real platform by accident."""
    sim_port = _int(env, "SIM_PORT", 5001)
    local = f"http://127.0.0.1:{sim_port}"
    defaults = (
        PLATFORM_API_BASES if mode == "production" else dict.fromkeys(PLATFORM_API_BASES, local)
    )
    out = {"SIM_PORT": sim_port}
    for name in (*CHAT_SETTINGS, *PLATFORM_API_BASES):
        out[name] = (env.get(name) or defaults.get(name, "")).strip()
    for name in PLATFORM_API_BASES:
        out[name] = out[name].rstrip("/")
    for name in AES_KEYS:
        key = out[name]
        if key and not (len(key) == 43 and key.isascii() and key.isalnum()):
            raise ConfigError(f"{name} must be the 43-character EncodingAESKey (letters, digits)")
    return out


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
        # A phone camera's photo is 12 MP (48 MP sensors bin to 12); 20 leaves room to spare.
        "PHOTO_MAX_MEGAPIXELS": _positive(env, "PHOTO_MAX_MEGAPIXELS", 20),
        # Image decodes in flight per web worker process (one may hold ~150 MB at the cap; two
        # at once took a worker past 600 MiB in bench/bench_image_memory.py).
        "IMAGE_DECODE_SLOTS": _positive(env, "IMAGE_DECODE_SLOTS", 1),
        "PHOTO_KEEP_METADATA": env.get("PHOTO_KEEP_METADATA", "").lower() in ("1", "true", "yes"),
        "REVIEW_DEPARTMENTS": env.get("REVIEW_DEPARTMENTS", DEFAULT_REVIEW_DEPARTMENTS),
        "DAILY_REPORT_ROLES": _report_roles(env),
        "ISSUE_LIMIT_HOURS": parse_issue_limits(
            env.get("ISSUE_LIMIT_HOURS") or DEFAULT_ISSUE_LIMIT_HOURS
        ),
        "DOCUMENT_MAX_MB": _int(env, "DOCUMENT_MAX_MB", 15),
        "LABOUR_RATES": parse_labour_rates(env.get("LABOUR_RATES") or DEFAULT_LABOUR_RATES),
        "ACCEPTANCE_LINK_HOURS": _int(env, "ACCEPTANCE_LINK_HOURS", 7 * 24),
        "KPI_TARGETS": _parsed(env, "KPI_TARGETS", DEFAULT_KPI_TARGETS, parse_kpi_targets),
        "PASSWORD_HASH_PROFILE": env.get("PASSWORD_HASH_PROFILE", "default"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": mode == "production",
        "JSON_AS_ASCII": False,
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
        **security_config(env),
        **chat_config(env, mode),
        **_reminder_config(env),
    }
