"""The Flask view of the settings: `Settings` (app/services/core/deployment.py) is the one
declaration of every setting; this module gives the app its config mapping under the names the
shell and the doors read (`app.config["SECRET_KEY"]`), and the README table of the settings.

GENDAN_ENV selects the mode: development (default), production or testing. Production refuses
unsafe values at start (see `Settings`); in development a missing SECRET_KEY is generated once
and kept in instance/secret_key so that every worker process and every restart share it.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.services.core import ConfigError, Settings, parse_labour_rates

__all__ = [
    "CHAT_SETTINGS",
    "ConfigError",
    "flask_config",
    "load_config",
    "parse_labour_rates",
    "settings_table",
]

# The chat platforms' credentials (no default; `make run` gives the simulator's).
CHAT_SETTINGS = tuple(
    name.upper()
    for name in Settings.model_fields
    if name.startswith(("wechat_", "wecom_", "dingtalk_")) and not name.endswith("_base")
)

# Flask's own settings, fixed for every deployment.
FLASK_FIXED = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "JSON_AS_ASCII": False,
}
# Settings Flask knows under another name or in other units.
RENAMED = {"GENDAN_INSTANCE_DIR": "INSTANCE_DIR", "MAX_UPLOAD_MB": "MAX_CONTENT_LENGTH"}


def flask_config(current: Settings) -> dict:
    """The Flask config mapping: every setting under its environment variable's name."""
    config = {}
    for name in Settings.model_fields:
        value = getattr(current, name)
        if isinstance(value, tuple) and name in ("review_departments", "daily_report_roles"):
            value = ",".join(value)
        config[RENAMED.get(name.upper(), name.upper())] = value
    config["INSTANCE_DIR"] = str(current.gendan_instance_dir)
    config["MAX_CONTENT_LENGTH"] = current.max_upload_bytes
    config["SESSION_COOKIE_SECURE"] = current.gendan_env == "production"
    return {**config, **FLASK_FIXED}


def load_config(env: Mapping[str, str] | None = None) -> dict:
    """The Flask config mapping from `env` (default: the process environment)."""
    return flask_config(Settings.load(env))


def split_overrides(overrides: Mapping) -> tuple[dict, dict]:
    """create_app's overrides as settings (by field name) and Flask-only keys (TESTING, ...)."""
    fields = {name.upper(): name for name in Settings.model_fields}
    values = {fields[k]: v for k, v in overrides.items() if k in fields}
    return values, {k: v for k, v in overrides.items() if k not in fields}


def settings_table() -> str:
    """README's configuration table, one row per setting, from the fields' descriptions."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        shown = (field.json_schema_extra or {}).get("shown")
        if shown is None:
            shown = "(empty)" if field.default == "" else f"`{field.default}`"
        rows.append(f"| `{name.upper()}` | {_cell(shown)} | {_cell(field.description or '')} |")
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
