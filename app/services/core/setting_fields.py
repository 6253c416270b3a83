"""The settings of a deployment, one field per environment variable (the field's name in upper
case), in groups by what they are for. `Settings` (deployment.py) joins the groups; README's
configuration table is generated from these fields (`flask --app wsgi config-doc`).

Values arrive as strings from the environment or typed from code (tests, `configure`); the
`before` validators parse strings only, so both work.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt, field_validator
from pydantic_settings import NoDecode

from app.services.core.setting_values import (
    DEFAULT_ISSUE_LIMIT_HOURS,
    DEFAULT_KPI_TARGETS,
    DEFAULT_LABOUR_RATES,
    DEFAULT_REPORT_ROLES,
    DEFAULT_REVIEW_DEPARTMENTS,
    check_aes_key,
    check_rate,
    check_zone,
    parse_issue_limits,
    parse_kpi_targets,
    parse_labour_rates,
    parse_names,
    parse_roles,
)
from app.services.core.timespec import parse_clock, parse_days, parse_window

PROJECT_ROOT = Path(__file__).resolve().parents[3]
MB = 1024 * 1024


def setting(default: Any, description: str, shown: str | None = None, **kwargs) -> Any:
    """A field with its description; `shown` is the default as README shows it, for defaults
    computed at start (from the instance folder, the port, the mode)."""
    extra = {"shown": shown} if shown is not None else None
    return Field(
        default, description=description, validate_default=True, json_schema_extra=extra, **kwargs
    )


def _parsing(parse):
    """A `before` validator body that parses strings and leaves typed values alone."""

    def run(cls, value):
        return parse(value) if isinstance(value, str) else value

    return classmethod(run)


class SiteFields(BaseModel):
    gendan_env: Literal["development", "production", "testing"] = setting(
        "development",
        "`development`, `production` or `testing`; `production` refuses to start without a "
        "PostgreSQL `DATABASE_URL`, a strong `SECRET_KEY` and a writable `UPLOAD_DIR`",
    )
    gendan_instance_dir: Path = setting(
        PROJECT_ROOT / "instance",
        "local state: the development secret key, the SQLite database, uploads",
        shown="`instance/` in the checkout",
    )
    secret_key: str = setting(
        "",
        "signs tokens, sessions and links, seals stored secrets; at least 32 characters in "
        "production, the same for every process",
        shown="generated once into `instance/secret_key` (not in production)",
    )
    database_url: str = setting(
        "",
        "`postgresql://user:password@host:5432/db` (psycopg 3); production requires PostgreSQL. "
        "Unless the URL sets its own libpq values, connections use `connect_timeout=5`, TCP "
        "keepalive probes after 30 s idle (every 10 s, 3 unanswered: dropped) and "
        "`tcp_user_timeout=30000`, so a database host that goes silent costs a request about a "
        "minute, not a stuck worker (`app/db.py`)",
        shown="`sqlite:///instance/gendan.db` (not in production)",
    )
    upload_dir: str = setting(
        "",
        "photos and documents, shared by every web worker and the scheduler; production "
        "requires it set and writable",
        shown="`instance/uploads` (not in production)",
    )
    timezone: str = setting(
        "Asia/Shanghai", "business time zone: times are stored in UTC and shown in this zone"
    )
    port: PositiveInt = setting(5000, "where `make run` listens (always 127.0.0.1)")
    public_base_url: str | None = setting(
        None, "the site's address in links sent to chat", shown="`http://127.0.0.1:$PORT`"
    )
    token_ttl_hours: PositiveInt = setting(24 * 7, "bearer token lifetime in hours")
    password_hash_profile: Literal["default", "testing"] = setting(
        "default", "argon2 cost: `testing` is fast and weak, for test runs only"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = setting(
        "INFO", "log level of the JSON logs"
    )

    _zone = field_validator("timezone", mode="before")(_parsing(check_zone))

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value):
        return value.upper() if isinstance(value, str) else value


class LimitFields(BaseModel):
    max_upload_mb: PositiveInt = setting(20, "largest request body in MB (nginx: the same)")
    photo_max_mb: PositiveInt = setting(15, "largest photo in MB")
    # A phone camera's photo is 12 MP (48 MP sensors bin to 12); 20 leaves room to spare.
    photo_max_megapixels: PositiveInt = setting(
        20, "largest photo in megapixels (checked from the header before decoding)"
    )
    # One decode may hold ~150 MB at the cap; two at once took a worker past 600 MiB in
    # bench/bench_image_memory.py.
    image_decode_slots: PositiveInt = setting(
        1, "image decodes in flight per process; more wait up to 30 s, then 503"
    )
    photo_keep_metadata: bool = setting(
        False, "`1`, `true` or `yes` keeps photos' EXIF data (location); otherwise it is removed"
    )
    document_max_mb: PositiveInt = setting(
        15, "largest PDF (completion report, manual, acceptance form) in MB"
    )
    acceptance_link_hours: PositiveInt = setting(
        7 * 24, "how long a customer's acceptance link works"
    )
    review_departments: Annotated[tuple[str, ...], NoDecode] = setting(
        DEFAULT_REVIEW_DEPARTMENTS, "departments that sign off an order review by default"
    )
    daily_report_roles: Annotated[tuple[str, ...], NoDecode] = setting(
        DEFAULT_REPORT_ROLES, "order roles expected to file a daily report every day"
    )
    issue_limit_hours: Annotated[dict[str, float], NoDecode] = setting(
        DEFAULT_ISSUE_LIMIT_HOURS,
        "the risk matrix: handling limit per risk level in hours (site issue due times, "
        "escalation); admins override it at `/api/risk-matrix`",
    )
    kpi_targets: Annotated[dict[str, float], NoDecode] = setting(
        DEFAULT_KPI_TARGETS,
        "KPI targets, any subset: on-time delivery %, response and resolution hours, "
        "satisfaction (1-5)",
    )
    labour_rates: Annotated[dict[str, Decimal], NoDecode] = setting(
        DEFAULT_LABOUR_RATES,
        "yuan per hour for the cost centre: per role, `default` for the others, `day_labour` "
        "for day labour (点工)",
    )

    _departments = field_validator("review_departments", mode="before")(_parsing(parse_names))
    _roles = field_validator("daily_report_roles", mode="before")(_parsing(parse_roles))
    _issues = field_validator("issue_limit_hours", mode="before")(_parsing(parse_issue_limits))
    _kpis = field_validator("kpi_targets", mode="before")(_parsing(parse_kpi_targets))
    _rates = field_validator("labour_rates", mode="before")(_parsing(parse_labour_rates))

    @field_validator("photo_keep_metadata", mode="before")
    @classmethod
    def _yes(cls, value):
        return value.lower() in ("1", "true", "yes") if isinstance(value, str) else value


class SecurityFields(BaseModel):
    ratelimit_storage_uri: str = setting(
        "memory://", "rate-limit counters; `redis://host:6379/0` in production"
    )
    login_rate_limit_per_address: str = setting(
        "30 per minute", "login attempts per client address (API and page)"
    )
    login_rate_limit_per_user: str = setting("10 per 15 minutes", "failed logins per username")
    webhook_rate_limit: str = setting("1200 per minute", "posts to `/bots/*` per address")
    chat_rate_limit: str = setting(
        "20 per minute", "commands per chat sender; over it the bot answers 「消息发送太频繁」"
    )
    proxy_hops: NonNegativeInt = setting(
        0, "trusted reverse proxies in front that set X-Forwarded-* (1 behind nginx)"
    )

    @field_validator(
        "login_rate_limit_per_address",
        "login_rate_limit_per_user",
        "webhook_rate_limit",
        "chat_rate_limit",
        mode="before",
    )
    @classmethod
    def _rate(cls, value, info):
        return check_rate(info.field_name.upper(), value) if isinstance(value, str) else value


AES = "; 43 letters and digits when set"


def _chat(platform: str) -> str:
    return f"{platform} credential (see Chat configuration above); `make run` gives the simulator's"


WECHAT, WECOM, DINGTALK = _chat("WeChat"), _chat("WeCom"), _chat("DingTalk")
API_BASE = "API host; the official one in production, the local simulator otherwise"
AUTHORIZE = (
    "host of the authorize page /m/ sends people to (in-app sign-in); the official one in "
    "production, the local simulator otherwise"
)
JSSDK = (
    "JS-SDK script /m/ loads inside the app (scanner; the page's CSP allows its origin only "
    "when the platform is configured); the official one in production, the simulator's otherwise"
)


class ChatFields(BaseModel):
    wechat_app_id: str = setting("", WECHAT)
    wechat_app_secret: str = setting("", WECHAT)
    wechat_token: str = setting("", WECHAT)
    wechat_aes_key: str = setting("", WECHAT + AES)
    wecom_corp_id: str = setting("", WECOM)
    wecom_token: str = setting("", WECOM)
    wecom_aes_key: str = setting("", WECOM + AES)
    wecom_agent_id: str = setting("", WECOM)
    wecom_secret: str = setting("", WECOM)
    dingtalk_app_key: str = setting("", DINGTALK)
    dingtalk_app_secret: str = setting("", DINGTALK)
    dingtalk_agent_id: str = setting("", DINGTALK)
    dingtalk_token: str = setting("", DINGTALK)
    dingtalk_aes_key: str = setting("", DINGTALK + AES)
    dingtalk_corp_id: str = setting("", DINGTALK)
    chat_transport_dingtalk: Literal["webhook", "stream"] = setting(
        "webhook",
        "how DingTalk robot messages arrive: `webhook` (DingTalk posts to /bots/dingtalk, needs a "
        "public address) or `stream` (Stream mode: run `flask --app wsgi chat-stream`, which "
        "connects out to DINGTALK_OPENAPI_BASE; no public address)",
    )
    chat_transport_wecom: Literal["webhook", "long_connection"] = setting(
        "webhook",
        "how WeCom messages arrive: `webhook` (WeCom posts the self-built app's messages to "
        "/bots/wecom, needs a public address) or `long_connection` (the intelligent robot's "
        "long connection: run `flask --app wsgi chat-stream`, which connects out to "
        "WECOM_WS_URL; no public address)",
    )
    wecom_bot_id: str = setting("", "WeCom intelligent robot's BotID (long connection)")
    wecom_bot_secret: str = setting("", "WeCom intelligent robot's Secret (long connection)")
    wecom_ws_url: str = setting(
        "wss://openws.work.weixin.qq.com",
        "WeCom intelligent robot's long-connection address; the official one in production, "
        "the local simulator's gateway otherwise",
    )
    sim_port: PositiveInt = setting(5001, "the chat simulator's port for `make run`")
    wechat_api_base: str | None = setting(None, "WeChat " + API_BASE, shown="see meaning")
    wecom_api_base: str | None = setting(None, "WeCom " + API_BASE, shown="see meaning")
    dingtalk_api_base: str | None = setting(None, "DingTalk " + API_BASE, shown="see meaning")
    dingtalk_openapi_base: str | None = setting(
        None, "DingTalk's new " + API_BASE + " (image downloads)", shown="see meaning"
    )
    wechat_oauth_base: str | None = setting(
        None, "WeChat web OAuth " + AUTHORIZE, shown="see meaning"
    )
    wecom_oauth_base: str | None = setting(None, "WeCom OAuth2 " + AUTHORIZE, shown="see meaning")
    wechat_jssdk_url: str | None = setting(None, "WeChat " + JSSDK, shown="see meaning")
    wecom_jssdk_url: str | None = setting(None, "WeCom " + JSSDK, shown="see meaning")
    dingtalk_jssdk_url: str | None = setting(None, "DingTalk " + JSSDK, shown="see meaning")

    @field_validator("*", mode="before")
    @classmethod
    def _strip(cls, value, info):
        if not isinstance(value, str):
            return value
        if info.field_name.endswith("_aes_key"):
            return check_aes_key(info.field_name.upper(), value.strip())
        if info.field_name.endswith(("_api_base", "_oauth_base")):
            return value.strip().rstrip("/")
        return value.strip()


class ReminderFields(BaseModel):
    rule_sweep_minutes: PositiveInt = setting(5, "minutes between two sweeps of the warning rules")
    standup_time: time = setting("08:45", "when the daily standup is sent (HH:MM, local time)")
    standup_days: Annotated[tuple[int, ...], NoDecode] = setting(
        "mon-sat", "days with a standup (`mon-fri`, `mon,wed,fri`, ...)"
    )
    daily_report_cutoff: time = setting(
        "20:00", "after this local time a missing daily report is chased"
    )
    quiet_hours: Annotated[tuple[time, time] | None, NoDecode] = setting(
        "22:00-07:00", "no reminders between these local times (`off`: none)"
    )
    signoff_limit_hours: PositiveInt = setting(48, "a review sign-off pending longer is chased")
    delay_warn_percent: PositiveInt = setting(
        60, "a purchase line predicted late with a higher probability (%) warns its buyer"
    )
    alert_link_hours: PositiveInt = setting(72, "how long a warning's acknowledgement link works")
    alert_retention_days: NonNegativeInt = setting(
        180, "closed warnings are deleted this many days after closing (0: kept forever)"
    )
    scheduler_lease_seconds: PositiveInt = setting(30, "the scheduler leader's lease")
    scheduler_poll_seconds: PositiveInt = setting(10, "how often a standby scheduler polls")
    scheduler_heartbeat_seconds: PositiveInt = setting(15, "how often the leader renews")
    scheduler_sync_seconds: PositiveInt = setting(60, "how often the jobs follow the database")
    outbox_drain_seconds: PositiveInt = setting(2, "how often the outbox is delivered")

    _clock = field_validator("standup_time", "daily_report_cutoff", mode="before")(
        _parsing(parse_clock)
    )
    _days = field_validator("standup_days", mode="before")(_parsing(parse_days))
    _window = field_validator("quiet_hours", mode="before")(_parsing(parse_window))
