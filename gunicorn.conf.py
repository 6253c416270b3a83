"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed through the environment (names below), so the systemd unit and
`make run-prod` share this one file.

Worker class: gthread (several threads per process). Most request time is spent waiting on
PostgreSQL, and a chat webhook must be acknowledged within five seconds even while the same
worker is busy with a slow request (a 500-scan offline batch, a photo being decoded). Threads
give that concurrency for a fraction of the memory of more processes (each process carries
Pillow, zxing-cpp and a connection pool). The CPU-heavy work (image decoding, PDF checks) runs
in C and releases the GIL. nginx in front buffers slow clients, so threads are never held by a
slow phone upload.

Logging: the application writes the access log itself, one JSON line per request with its
request id, user, status and duration (app/logs.py). Gunicorn's own access log is therefore
off, and gunicorn's error log (worker starts, timeouts, signals) is JSON in the same format.
The request id comes from X-Request-ID (nginx sets `$request_id`) or is generated.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Gunicorn's rule of thumb is 2 x cores + 1; with 4 threads each, fewer processes suffice.
workers = _int("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count() + 1))
# gthread, with the kept-alive connections spread over the workers (app/worker.py);
# GUNICORN_WORKER_CLASS=gthread for gunicorn's own. Any other value is refused here: gunicorn
# itself would start, then fail to make its first worker with "'str' object is not callable".
WORKER_CLASSES = {"": "app.worker.BalancedThreadWorker", "gthread": "gthread"}
_chosen = os.environ.get("GUNICORN_WORKER_CLASS", "").strip()
if _chosen not in WORKER_CLASSES:
    raise SystemExit(f"GUNICORN_WORKER_CLASS must be gthread or unset, not {_chosen!r}")
worker_class = WORKER_CLASSES[_chosen]
threads = _int("GUNICORN_THREADS", 4)

# A 500-scan batch or a large photo takes seconds; the 30 s default would kill it mid-way.
timeout = _int("GUNICORN_TIMEOUT", 120)
# On SIGTERM workers stop accepting, finish the requests in flight, then exit.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then so that a slow leak can never grow without bound.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# No preload: every worker opens its own database pool after the fork.
preload_app = False
# Trust X-Forwarded-Proto only from the local nginx.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Request line and header limits (nginx applies its own; these stop anything that bypasses it).
limit_request_line = 8190
limit_request_fields = 100
control_socket_disable = True

accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "app.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
    "root": {"handlers": ["stderr"], "level": loglevel.upper()},
}


def post_worker_init(worker) -> None:
    """The app is loaded: keep the collector off its start-up objects (app/memory.py)."""
    from app.memory import freeze_start_up

    freeze_start_up()


def child_exit(server, worker) -> None:
    """A worker has exited (in the master): its row of app/worker.py's table is free again."""
    from app.worker import release

    release(worker)


def worker_abort(worker) -> None:
    """A worker killed for exceeding `timeout`: say which, so the request id can be traced."""
    worker.log.error("worker %s aborted after the %s s timeout", worker.pid, timeout)
