"""The one settings object of a deployment: read from the environment once at start (create_app,
so also the CLI and the scheduler), validated, then what every service reads (`settings()`).

A new setting is a field in setting_fields.py; its environment variable is the field's name in
upper case. Production refuses unsafe values here, as validators, so every production process
(gunicorn, the scheduler, `make run-prod`) refuses the same way.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from app.services.core.setting_fields import (
    MB,
    ChatFields,
    LimitFields,
    ReminderFields,
    SecurityFields,
    SiteFields,
)
from app.services.core.setting_values import ConfigError
from models import clock

OFFICIAL_API_BASES = {
    "wechat_api_base": "https://api.weixin.qq.com",
    "wecom_api_base": "https://qyapi.weixin.qq.com",
    "dingtalk_api_base": "https://oapi.dingtalk.com",
    "dingtalk_openapi_base": "https://api.dingtalk.com",
    "wechat_oauth_base": "https://open.weixin.qq.com",
    "wecom_oauth_base": "https://open.weixin.qq.com",
}
# The platforms' JS-SDK scripts (official) and the simulator's stand-ins (path on the simulator).
OFFICIAL_JSSDK = {
    "wechat_jssdk_url": ("https://res.wx.qq.com/open/js/jweixin-1.6.0.js", "/jssdk/wechat.js"),
    "wecom_jssdk_url": ("https://res.wx.qq.com/open/js/jweixin-1.2.0.js", "/jssdk/wecom.js"),
    "dingtalk_jssdk_url": (
        "https://g.alicdn.com/dingding/dingtalk-jsapi/3.0.25/dingtalk.open.js",
        "/jssdk/dingtalk.js",
    ),
}
# An empty variable means "the default", except where empty is a value of its own (no review
# departments, no roles that report) or must be refused (an empty time zone).
KEEP_EMPTY = {"timezone", "public_base_url", "review_departments", "daily_report_roles"}
SQLITE_REFUSED = (
    "DATABASE_URL must point at PostgreSQL (postgresql://user:password@host/dbname) in "
    "production mode: several web workers and the scheduler write at the same time, which "
    "SQLite serialises (requests fail with 'database is locked'). Use `make run` to try "
    "Gendan on SQLite."
)
SECRET_KEY_REFUSED = (
    "SECRET_KEY must be set to a random string of at least 32 characters, the same for every "
    'process (python -c "import secrets; print(secrets.token_urlsafe(48))")'
)
POSTGRESQL = ("postgresql://", "postgres://", "postgresql+psycopg://")
# Variables whose value is never repeated in an error message.
SECRET_ENDINGS = ("secret", "secret_key", "_token", "_aes_key", "database_url")

_environment: ContextVar[Mapping[str, str] | None] = ContextVar("environment", default=None)


class _Environment(EnvSettingsSource):
    """The process environment, or the mapping `Settings.load` was given instead of it."""

    def _load_env_vars(self):
        env = _environment.get()
        return parse_env_vars(os.environ if env is None else env, False, False, None)


class Settings(ReminderFields, ChatFields, SecurityFields, LimitFields, SiteFields, BaseSettings):
    """Every setting of the deployment (fields in setting_fields.py; pydantic lists the last
    group first, so the groups are in reverse), with the values services use derived as
    properties."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **others):
        return init_settings, _Environment(settings_cls)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **values) -> Settings:
        """Settings from `env` (default: the process environment) with `values` (by field name)
        over it; ConfigError naming the variable when a value is refused."""
        loaded = cls.read(env, **values)
        if loaded.secret_key:
            return loaded
        return loaded.model_copy(update={"secret_key": _development_key(loaded)})

    @classmethod
    def read(cls, env: Mapping[str, str] | None = None, **values) -> Settings:
        """Like `load`, but an empty SECRET_KEY stays empty instead of being generated."""
        token = _environment.set(env)
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ConfigError(*(_problem(error) for error in exc.errors())) from None
        finally:
            _environment.reset(token)

    @model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data):
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != "" or k in KEEP_EMPTY}
        return data

    @model_validator(mode="after")
    def _deployment_defaults(self) -> Settings:
        production = self.gendan_env == "production"
        if production:
            _refuse_unsafe(self)
        instance = self.gendan_instance_dir
        local = f"http://127.0.0.1:{self.sim_port}"
        filled = {
            "database_url": self.database_url or f"sqlite:///{instance / 'gendan.db'}",
            "upload_dir": self.upload_dir or str(instance / "uploads"),
            "public_base_url": (
                self.public_base_url
                if self.public_base_url is not None
                else f"http://127.0.0.1:{self.port}"
            ).rstrip("/"),
        }
        for name, official in OFFICIAL_API_BASES.items():
            filled[name] = getattr(self, name) or (official if production else local)
        for name, (official, path) in OFFICIAL_JSSDK.items():
            filled[name] = getattr(self, name) or (official if production else local + path)
        for name, value in filled.items():
            object.__setattr__(self, name, value)  # frozen once validated
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def report_roles(self) -> tuple[str, ...]:
        return self.daily_report_roles

    @property
    def report_cutoff(self) -> time:
        return self.daily_report_cutoff

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * MB

    @property
    def photo_max_bytes(self) -> int:
        return self.photo_max_mb * MB

    @property
    def photo_max_pixels(self) -> int:
        return self.photo_max_megapixels * 1_000_000

    @property
    def document_max_bytes(self) -> int:
        return self.document_max_mb * MB

    @property
    def delay_warn_probability(self) -> float:
        return min(self.delay_warn_percent, 100) / 100


def _problem(error: dict) -> str:
    """One refused value as a sentence naming its environment variable."""
    name = str(error["loc"][0]) if error["loc"] else "configuration"
    message = error["msg"].removeprefix("Value error, ")
    given = repr(error["input"])
    shown = "" if name.endswith(SECRET_ENDINGS) or given in message else f", got {given}"
    return f"{name.upper()}: {message}{shown}"


def _refuse_unsafe(current: Settings) -> None:
    """What production mode refuses to start with, every problem at once."""
    problems = []
    if not current.database_url:
        problems.append("DATABASE_URL is not set. " + SQLITE_REFUSED)
    elif not current.database_url.startswith(POSTGRESQL):
        problems.append(SQLITE_REFUSED)
    if len(current.secret_key) < 32:
        problems.append(SECRET_KEY_REFUSED)
    problems.extend(_upload_dir_problems(current.upload_dir))
    if problems:
        raise ConfigError(*problems)


def _upload_dir_problems(upload: str) -> list[str]:
    if not upload:
        return [
            "UPLOAD_DIR must name the shared directory for photos and documents "
            "(every web worker and the scheduler read and write it)"
        ]
    path = os.path.abspath(upload)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        return [f"UPLOAD_DIR {upload} cannot be created: {exc.strerror}"]
    if not os.access(path, os.W_OK | os.X_OK):
        return [f"UPLOAD_DIR {upload} is not writable by this user"]
    return []


def _development_key(current: Settings) -> str:
    """Outside production a key is generated once and kept in the instance folder, so every
    worker process and every restart share it."""
    instance = current.gendan_instance_dir
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


# Until a process configures its settings: the defaults, without a secret key.
_current = Settings.read({})


def configure(new: Settings | None = None, /, **values) -> Settings:
    """Replace the settings of this process: the whole object (create_app) or some fields by
    name (tests). The business clock follows TIMEZONE."""
    global _current
    unknown = set(values) - set(Settings.model_fields)
    if unknown:
        raise TypeError(f"unknown settings {sorted(unknown)}")
    _current = (new or _current).model_copy(update=values)
    clock.set_zone(_current.timezone)
    return _current


def settings() -> Settings:
    """The settings of this process."""
    return _current


def local_date(now: datetime | None = None) -> date:
    """The calendar date of an instant (default: now) in the deployment's time zone."""
    return clock.local_date(now)
