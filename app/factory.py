"""The application factory."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from flask import jsonify, request
from flask_openapi3 import Info, OpenAPI
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.auth import close_db_session
from app.config import load_config
from app.db import Database
from app.errors import document_errors, register_error_handlers, validation_error_response
from app.logs import configure_logging, install_request_logging
from app.security import install_security, limit_views
from app.services import core, people
from models.errors import InvalidInput

csrf = CSRFProtect()

SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer"}}


def create_app(overrides: dict | None = None) -> OpenAPI:
    """Build the Gendan web application."""
    config = load_config()
    config.update(overrides or {})
    app = OpenAPI(
        __name__,
        info=Info(title="Gendan 跟单 API", version="1.0"),
        security_schemes=SECURITY_SCHEMES,
        doc_prefix="/api",
        doc_url="/openapi.json",
        doc_ui=False,
        validation_error_status=422,
        validation_error_callback=validation_error_response,
    )
    app.config.update(config)
    app.json.ensure_ascii = False
    _configure_services(app)
    app.extensions["gendan.db"] = Database(app.config["DATABASE_URL"])
    _configure_chat(app)
    csrf.init_app(app)
    register_error_handlers(app)
    limiter = install_security(app)
    _register_request_hooks(app)
    install_request_logging(app)
    _register_blueprints(app)
    _register_health(app)
    limit_views(app, limiter)
    from app.cli import register_cli

    register_cli(app)
    return app


def _configure_services(app: OpenAPI) -> None:
    configure_logging(app.config.get("LOG_LEVEL", "INFO"))
    people.use_profile(app.config["PASSWORD_HASH_PROFILE"])
    core.configure(
        timezone=app.config["TIMEZONE"],
        review_departments=tuple(
            c.strip() for c in app.config["REVIEW_DEPARTMENTS"].split(",") if c.strip()
        ),
        public_base_url=app.config["PUBLIC_BASE_URL"],
        upload_dir=app.config["UPLOAD_DIR"],
        photo_max_bytes=app.config["PHOTO_MAX_MB"] * 1024 * 1024,
        photo_max_pixels=app.config["PHOTO_MAX_MEGAPIXELS"] * 1_000_000,
        image_decode_slots=app.config["IMAGE_DECODE_SLOTS"],
        photo_keep_metadata=app.config["PHOTO_KEEP_METADATA"],
        secret_key=app.config["SECRET_KEY"],
        report_roles=tuple(r for r in app.config["DAILY_REPORT_ROLES"].split(",") if r),
        issue_limit_hours=dict(app.config["ISSUE_LIMIT_HOURS"]),
        document_max_bytes=app.config["DOCUMENT_MAX_MB"] * 1024 * 1024,
        acceptance_link_hours=app.config["ACCEPTANCE_LINK_HOURS"],
        kpi_targets=dict(app.config["KPI_TARGETS"]),
        labour_rates=dict(app.config["LABOUR_RATES"]),
        rule_sweep_minutes=app.config["RULE_SWEEP_MINUTES"],
        standup_time=app.config["STANDUP_TIME"],
        standup_days=app.config["STANDUP_DAYS"],
        report_cutoff=app.config["DAILY_REPORT_CUTOFF"],
        quiet_hours=app.config["QUIET_HOURS"],
        signoff_limit_hours=float(app.config["SIGNOFF_LIMIT_HOURS"]),
        delay_warn_probability=min(app.config["DELAY_WARN_PERCENT"], 100) / 100,
        alert_link_hours=app.config["ALERT_LINK_HOURS"],
    )


def _configure_chat(app: OpenAPI) -> None:
    """Chat platform clients on the shared token store, and the outbox deliverer."""
    from app.services.chat import DatabaseKeyValueStore
    from bots.delivery.deliverer import OutboxDeliverer
    from bots.runtime import ChatRuntime

    db = app.extensions["gendan.db"]
    runtime = ChatRuntime(app.config, DatabaseKeyValueStore(db.engine))
    app.extensions["gendan.chat"] = runtime
    app.extensions["gendan.deliverer"] = OutboxDeliverer(db, runtime)


def _register_request_hooks(app: OpenAPI) -> None:
    @app.before_request
    def _refuse_nul():
        # PostgreSQL cannot store NUL in text; refuse it at the door instead of failing deep.
        if has_nul(request):
            raise InvalidInput("输入包含不可见的控制字符（NUL），请删除", code="nul_character")

    app.teardown_appcontext(close_db_session)


TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded", "text/")


def has_nul(req) -> bool:
    """Whether the query string or a text body carries a NUL character (raw or escaped)."""
    if b"%00" in req.query_string or b"\x00" in req.query_string:
        return True
    if not (req.mimetype or "").startswith(TEXT_BODIES):
        return False
    body = req.get_data(cache=True)
    return b"\x00" in body or b"\\u0000" in body or b"%00" in body


def _register_blueprints(app: OpenAPI) -> None:
    from app.api import register_api
    from app.web import bp as web_bp
    from bots.webhooks import bp as bots_bp

    register_api(app, csrf)
    app.register_blueprint(web_bp)
    app.register_blueprint(bots_bp)
    csrf.exempt(bots_bp)
    app.jinja_env.filters["localtime"] = _localtime


def _localtime(value) -> str:
    if value is None:
        return ""
    return value.astimezone(core.settings().tz).strftime("%Y-%m-%d %H:%M")


def _register_health(app: OpenAPI) -> None:
    @app.get("/api/openapi.json", doc_ui=False)
    def openapi_json():
        if "gendan.openapi" not in app.extensions:
            app.extensions["gendan.openapi"] = document_errors(app.api_doc)
        return jsonify(app.extensions["gendan.openapi"])

    @app.get("/healthz", doc_ui=False)
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz", doc_ui=False)
    def readyz():
        """Ready for traffic: the database answers and its schema is at the migrations' head."""
        db = app.extensions["gendan.db"]
        try:
            conn = db.engine.connect()
        except Exception as exc:
            logging.getLogger("gendan").warning(
                "readiness check: database unreachable (%s)", type(exc).__name__
            )
            return jsonify(status="unavailable", database="down", migrations="unknown"), 503
        with conn:
            try:
                rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
                current = set(rows)
            except DBAPIError:  # never migrated: no version table
                current = set()
        heads = migration_heads()
        if current != heads:
            logging.getLogger("gendan").warning(
                "readiness check: schema at %s, code expects %s", sorted(current), sorted(heads)
            )
            return jsonify(
                status="unavailable",
                database="up",
                migrations="behind",
                current=sorted(current),
                head=sorted(heads),
            ), 503
        return jsonify(status="ok", database="up", migrations="head")


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code."""
    cfg = AlembicConfig(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    return frozenset(ScriptDirectory.from_config(cfg).get_heads())
