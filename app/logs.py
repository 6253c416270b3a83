"""Logging: one JSON line per request (with its request id), JSON for everything else too.

Query strings are never logged (webhook signatures and one-time tokens travel there), nor
any header; the path, method, status, time taken and acting user are enough to follow a request.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import inspect

if TYPE_CHECKING:
    from flask import Flask

access_log = logging.getLogger("gendan.access")


class JsonFormatter(logging.Formatter):
    """Render a log record as one JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def _console(handler: logging.Handler) -> bool:
    return isinstance(handler, logging.StreamHandler) and handler.stream in (
        sys.stderr,
        sys.stdout,
    )


def configure_logging(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON lines (idempotent). The console handlers
    already there are replaced (each line would be written twice); others (a file, a test's
    capture) are kept."""
    root = logging.getLogger()
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return  # already JSON (a second app, or gunicorn's logconfig_dict in gunicorn.conf.py)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers[:] = [h for h in root.handlers if not _console(h)] + [handler]
    root.setLevel(level)


def _user_id(actor) -> int | None:
    """The acting user's id as the session knows it, without a query: after a failed flush the
    user is expired and reading `id` would raise again (the access line and the JSON 500 were
    lost for a PATCH that broke a NOT NULL column)."""
    if actor is None or actor.user is None:
        return None
    identity = inspect(actor.user).identity
    return identity[0] if identity else None


def install_request_logging(app: Flask) -> None:
    """Log each request once, after it is answered."""
    from flask import g, request  # here, not at import: the scheduler logs without Flask

    @app.before_request
    def _start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def _log(response):
        actor = g.get("actor")
        fields = {
            "request_id": g.get("request_id"),
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1),
            "user_id": _user_id(actor),
            "remote": request.remote_addr,
        }
        access_log.info(
            "%s %s %s", request.method, request.path, response.status_code, extra={"fields": fields}
        )
        return response
