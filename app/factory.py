"""The application factory."""

from __future__ import annotations

import ast
import json
import logging
from functools import lru_cache
from pathlib import Path

from flask import jsonify, request
from flask_openapi3 import Info
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.api.blueprint import OpenAPI
from app.auth import PageSessionInterface, close_db_session
from app.config import flask_config, split_overrides
from app.db import Database
from app.downloads import document_files
from app.errors import document_errors, register_error_handlers, validation_error_response
from app.logs import configure_logging, install_request_logging
from app.security import (
    document_bounds,
    document_text,
    install_security,
    limit_views,
    refuse_unnamed_form_parts,
)
from app.services import core, people
from models.errors import InvalidInput

csrf = CSRFProtect()
log = logging.getLogger("gendan")

SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer"}}


def create_app(overrides: dict | None = None) -> OpenAPI:
    """Build the Gendan web application. `overrides` are config keys: those naming a setting
    (DATABASE_URL, UPLOAD_DIR, ...) are validated like the environment, the rest go to Flask."""
    values, flask_only = split_overrides(overrides or {})
    try:
        current = core.Settings.load(**values)
    except core.ConfigError as exc:
        log.critical("Gendan refuses to start, the configuration is invalid: %s", exc)
        raise
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
    app.config.update(flask_config(current), **flask_only)
    app.json.ensure_ascii = False
    configure_logging(current.log_level)
    people.use_profile(current.password_hash_profile)
    core.configure(current)
    app.extensions["gendan.db"] = Database(app.config["DATABASE_URL"])
    _configure_chat(app)
    app.session_interface = PageSessionInterface()
    app.before_request(refuse_unnamed_form_parts)  # before CSRFProtect's check reads the form
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


def _configure_chat(app: OpenAPI) -> None:
    """Chat platform clients on the shared token store, and the outbox deliverer."""
    from bots.delivery.soon import SoonSender
    from bots.delivery.wiring import chat_services

    app.extensions.update(chat_services(app.config, app.extensions["gendan.db"]))
    app.extensions["gendan.soon"] = SoonSender(lambda: app.extensions["gendan.deliverer"])


def _register_request_hooks(app: OpenAPI) -> None:
    @app.before_request
    def _refuse_nul():
        # PostgreSQL cannot store NUL in text; refuse it at the door instead of failing deep.
        if has_nul(request):
            raise InvalidInput("输入包含不可见的控制字符（NUL），请删除", code="nul_character")

    app.teardown_appcontext(close_db_session)


def has_nul(req) -> bool:
    """Whether a query argument or a text body carries a NUL character.

    JSON bodies are read as JSON: an escaped NUL (`\\u0000`) inside a key or a string is one,
    the text "%00" or an escaped backslash followed by "u0000" is not. Form fields are decoded.
    """
    if any("\x00" in k or "\x00" in v for k, v in req.args.items(multi=True)):
        return True
    mimetype = req.mimetype or ""
    if mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # The fields of a form, not the files of a multipart one (binary, stored as files).
        # A part without a name has the key None (refused before this by
        # app.security.refuse_unnamed_form_parts; the NUL check still must not raise on it).
        return any("\x00" in (k or "") or "\x00" in v for k, v in req.form.items(multi=True))
    if not (req.is_json or mimetype.startswith("text/")):
        return False
    body = req.get_data(cache=True)
    if b"\x00" in body:
        return True
    if not req.is_json or b"\\u0000" not in body:
        return False
    try:
        return _json_has_nul(json.loads(body))
    except (ValueError, RecursionError):
        return True  # not JSON that Gendan reads: the escape is refused here


def _json_has_nul(data: object) -> bool:
    if isinstance(data, str):
        return "\x00" in data
    if isinstance(data, dict):
        return any("\x00" in k or _json_has_nul(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_json_has_nul(item) for item in data)
    return False


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
            spec = document_text(document_bounds(document_errors(app.api_doc)))
            app.extensions["gendan.openapi"] = document_files(spec)
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
    """The head revision(s) of the migrations shipped with this code: the revisions that no
    other revision names as its down_revision.

    Read from the revision files' own assignments, as Alembic reads them, without loading
    Alembic (with Mako and Pygments, about 10 MiB in the worker that answers /readyz);
    tests/test_production.py checks the answer against Alembic's.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (Path(__file__).resolve().parent.parent / "migrations" / "versions").glob("*.py"):
        found = _assignments(path, ("revision", "down_revision"))
        revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - parents)


def _assignments(path: Path, names: tuple[str, ...]) -> dict:
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in names:
            found[target.id] = ast.literal_eval(value)
    return found
