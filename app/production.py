"""`make run-prod`: production mode on this machine. Checks the settings, migrates the
database, then runs gunicorn (gunicorn.conf.py, several workers), the scheduler process and,
when a chat transport needs no public address (CHAT_TRANSPORT_DINGTALK=stream,
CHAT_TRANSPORT_WECOM=long_connection), the chat-stream process; stops them gracefully on
SIGTERM or Ctrl-C.

In a real deployment systemd runs the same processes (deploy/gendan-*.service) and this
launcher is not needed; it exists so that production mode can be tried and tested here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from app.cli.stream import enabled, missing_credentials
from app.launcher import BIN, ROOT, Proc, supervise
from app.services.core import SQLITE_REFUSED, ConfigError, Settings

__all__ = ["SQLITE_REFUSED", "check_environment", "main", "processes"]


def check_environment(env: Mapping[str, str]) -> list[str]:
    """What stops production mode from starting, one sentence per problem: the settings'
    own refusals (app/services/core/deployment.py), as every production process applies them,
    and a login budget that the web workers would not share."""
    try:
        Settings.load({**env, "GENDAN_ENV": "production"})
    except ConfigError as exc:
        return exc.problems + _rate_limit_problems(env) + _chat_stream_problems(env)
    return _rate_limit_problems(env) + _chat_stream_problems(env)


def _chat_stream_problems(env: Mapping[str, str]) -> list[str]:
    # chat-stream would exit at once without them, and take the other processes with it.
    missing = missing_credentials(env)
    if not missing:
        return []
    return [
        f"{', '.join(missing)} must be set: chat-stream opens the "
        f"{' and '.join(enabled(env))} connection with them (CHAT_TRANSPORT_*)"
    ]


def _rate_limit_problems(env: Mapping[str, str]) -> list[str]:
    # gunicorn.conf.py runs max(2, cores + 1) workers unless WEB_CONCURRENCY says otherwise.
    storage = env.get("RATELIMIT_STORAGE_URI") or "memory://"
    workers = env.get("WEB_CONCURRENCY", "").strip()
    if not storage.startswith("memory://") or workers == "1":
        return []
    return [
        f"RATELIMIT_STORAGE_URI is {storage}: each of the {workers or 'several'} web workers would "
        "count login attempts on its own (a budget per worker). Point it at a shared store "
        "(redis://127.0.0.1:6379/0) or run one worker (WEB_CONCURRENCY=1)"
    ]


def processes(environ: Mapping[str, str] | None = None) -> list[Proc]:
    """gunicorn with gunicorn.conf.py, the scheduler and, when `environ` (default: this
    process's) sets a stream transport, chat-stream; all with GENDAN_ENV=production."""
    environ = os.environ if environ is None else environ
    env = {"GENDAN_ENV": "production"}
    web = Proc(
        "web", [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"], env
    )
    scheduler = Proc("scheduler", [str(BIN / "python"), "-m", "reminders"], env)
    procs = [web, scheduler]
    if enabled(environ):
        procs.append(Proc("chat-stream", [str(BIN / "flask"), "--app", "wsgi", "chat-stream"], env))
    return procs


def migrate() -> int:
    """Bring the database to the newest schema before any worker serves a request."""
    env = {**os.environ, "GENDAN_ENV": "production"}
    return subprocess.call([str(BIN / "flask"), "--app", "wsgi", "migrate"], cwd=ROOT, env=env)


def main() -> int:
    problems = check_environment(os.environ)
    if problems:
        print("Gendan production mode cannot start:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    code = migrate()
    if code != 0:
        print(f"migration failed (exit {code}); not starting", file=sys.stderr)
        return code
    bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
    workers = os.environ.get("WEB_CONCURRENCY", "cores + 1")
    streams = enabled(os.environ)
    stream_line = (
        [f"  chat-stream: flask --app wsgi chat-stream ({', '.join(streams)}; one leader)"]
        if streams
        else []
    )
    message = "\n".join(
        [
            "",
            "Gendan production mode / 生产模式:",
            f"  gunicorn (gunicorn.conf.py) on {bind}, workers: {workers}",
            "  scheduler: python -m reminders (one leader per database)",
            *stream_line,
            f"  health http://{bind}/healthz   readiness http://{bind}/readyz",
            "  SIGTERM or Ctrl-C stops them all gracefully",
            "",
        ]
    )
    # gunicorn's graceful_timeout is 30 s; give it a little more before a hard kill.
    grace = float(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30")) + 5
    return supervise(processes(), message, grace=grace)


if __name__ == "__main__":
    sys.exit(main())
