"""`python -m reminders`: the scheduler process on its own, without the web app.

It builds only what its jobs use: the settings, JSON logs, the database, the chat runtime and
the outbox deliverer. The web app (blueprints, OpenAPI, the rate limiter, templates) stays out,
so the process holds about 30 MiB less than `flask --app wsgi scheduler`, which builds the whole
app first and remains for compatibility.
"""

from __future__ import annotations

import logging
import sys

from app.config import flask_config
from app.db import Database
from app.logs import configure_logging
from app.memory import freeze_start_up
from app.services.alerts import group_times
from app.services.core import ConfigError, Settings, configure
from bots.delivery.wiring import chat_services
from reminders.process import run_scheduler
from reminders.schedule import Timing

log = logging.getLogger("gendan.scheduler")


def main() -> int:
    try:
        current = Settings.load()
    except ConfigError as exc:
        configure_logging()
        log.critical("Gendan refuses to start, the configuration is invalid: %s", exc)
        return 2
    config = flask_config(current)
    configure_logging(current.log_level)
    configure(current)
    db = Database(config["DATABASE_URL"])
    try:
        services = chat_services(config, db)
        freeze_start_up()  # app/memory.py: no full collection walks what start-up built
        run_scheduler(db, Timing.from_config(config), group_times, services)
    finally:
        db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
