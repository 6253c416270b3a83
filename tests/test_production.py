"""Production mode: health and readiness, the run-prod checks, gunicorn settings, shared-nothing
workers, and a real start and graceful stop of gunicorn + scheduler on PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from app.factory import migration_heads
from app.production import SQLITE_REFUSED, check_environment, processes
from bots.simulator.seed import DEMO_CONFIG, gendan_env
from models.enums import Role
from tests.factories import PASSWORD, bearer, make_user

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
KEY = "test-secret-key-that-is-long-enough-0123456789"


def _app(url, upload_dir, tmp_path, **extra):
    from app import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": KEY,
            "INSTANCE_DIR": str(tmp_path),
            "UPLOAD_DIR": str(upload_dir),
            **extra,
        }
    )


def test_health_and_readiness_when_all_is_well(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.get_json() == {"status": "ok", "database": "up", "migrations": "head"}


def test_readiness_fails_when_the_database_is_down(upload_dir, tmp_path):
    app = _app("postgresql://postgres@127.0.0.1:1/nowhere", upload_dir, tmp_path)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # alive, just not ready
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.get_json() == {"status": "unavailable", "database": "down", "migrations": "unknown"}


def test_the_migration_heads_are_alembics():
    """/readyz reads the heads from the revision files without Alembic; Alembic agrees."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(Path(__file__).resolve().parent.parent / "alembic.ini"))
    assert migration_heads() == frozenset(ScriptDirectory.from_config(config).get_heads())
    assert len(migration_heads()) == 1


def test_readiness_fails_until_the_schema_is_at_head(upload_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    client = _app(url, upload_dir, tmp_path).test_client()
    r = client.get("/readyz")
    assert r.status_code == 503 and r.get_json()["migrations"] == "behind"
    assert r.get_json()["current"] == [] and r.get_json()["head"] == sorted(migration_heads())
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0123456789ab')"))
    r = client.get("/readyz")
    assert r.status_code == 503 and r.get_json()["current"] == ["0123456789ab"]
    engine.dispose()


GOOD = {
    "DATABASE_URL": "postgresql://gendan:pw@127.0.0.1/gendan",
    "SECRET_KEY": "k" * 48,
    "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
}


def test_run_prod_accepts_a_complete_environment(tmp_path):
    assert check_environment({**GOOD, "UPLOAD_DIR": str(tmp_path / "uploads")}) == []
    assert (tmp_path / "uploads").is_dir()
    one_worker = {"RATELIMIT_STORAGE_URI": "memory://", "WEB_CONCURRENCY": "1"}
    assert check_environment({**GOOD, "UPLOAD_DIR": str(tmp_path), **one_worker}) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"DATABASE_URL": "sqlite:////tmp/gendan.db"}, "must point at PostgreSQL"),
        ({"DATABASE_URL": ""}, "DATABASE_URL is not set"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "at least 32 characters"),
        ({"UPLOAD_DIR": ""}, "UPLOAD_DIR must name the shared directory"),
        ({"RATELIMIT_STORAGE_URI": ""}, "memory://: each of the several web workers"),
        (
            {"RATELIMIT_STORAGE_URI": "memory://", "WEB_CONCURRENCY": "3"},
            "each of the 3 web workers would count login attempts on its own",
        ),
        (
            {"CHAT_TRANSPORT_DINGTALK": "stream"},
            "DINGTALK_APP_KEY, DINGTALK_APP_SECRET must be set: chat-stream opens the dingtalk",
        ),
        (
            {"CHAT_TRANSPORT_WECOM": "long_connection", "WECOM_BOT_ID": "aib1"},
            "WECOM_BOT_SECRET must be set: chat-stream opens the wecom connection",
        ),
        ({"CHAT_TRANSPORT_DINGTALK": "websocket"}, "CHAT_TRANSPORT_DINGTALK"),
    ],
)
def test_run_prod_refuses_an_incomplete_environment_clearly(tmp_path, change, expected):
    env = {**GOOD, "UPLOAD_DIR": str(tmp_path), **change}
    problems = check_environment(env)
    assert len(problems) == 1 and expected in problems[0]
    if "sqlite" in change.get("DATABASE_URL", ""):
        assert problems[0] == SQLITE_REFUSED and "make run" in problems[0]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_run_prod_refuses_an_unwritable_upload_dir(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert "not writable" in check_environment({**GOOD, "UPLOAD_DIR": str(locked)})[0]


def test_run_prod_runs_gunicorn_with_its_config_file_and_the_scheduler():
    web, scheduler = processes({})
    assert web.argv[1:] == ["-c", str(ROOT / "gunicorn.conf.py"), "wsgi:app"]
    assert scheduler.argv[-2:] == ["-m", "reminders"]
    assert web.env["GENDAN_ENV"] == scheduler.env["GENDAN_ENV"] == "production"


@pytest.mark.parametrize(
    ("transports", "with_stream"),
    [
        ({}, False),
        ({"CHAT_TRANSPORT_DINGTALK": "webhook", "CHAT_TRANSPORT_WECOM": "webhook"}, False),
        ({"CHAT_TRANSPORT_DINGTALK": "stream"}, True),
        ({"CHAT_TRANSPORT_WECOM": "long_connection"}, True),
        ({"CHAT_TRANSPORT_DINGTALK": "stream", "CHAT_TRANSPORT_WECOM": "long_connection"}, True),
    ],
)
def test_run_prod_starts_chat_stream_only_for_a_stream_transport(transports, with_stream, tmp_path):
    procs = {proc.name: proc for proc in processes(transports)}
    assert set(procs) == {"web", "scheduler"} | ({"chat-stream"} if with_stream else set())
    if with_stream:  # one process for both connections
        assert procs["chat-stream"].argv[-3:] == ["--app", "wsgi", "chat-stream"]
        assert procs["chat-stream"].env == {"GENDAN_ENV": "production"}
    good = {**GOOD, "UPLOAD_DIR": str(tmp_path), **transports}
    credentials = {"WECOM_BOT_ID": "aib1", "WECOM_BOT_SECRET": "s", **gendan_env("http://x")}
    assert check_environment({**good, **credentials}) == []


def test_run_prods_chat_stream_process_holds_the_stream_and_stops_gracefully(
    db, sim, upload_dir, tmp_path
):
    """The chat-stream process as run-prod starts it (its argv and environment), against the
    simulator: it connects, handles a frame over the stream, and on SIGTERM closes the
    connection and exits 0. On PostgreSQL in production mode; on SQLite (which production
    refuses) in testing mode."""
    gateway = sim.app.extensions["chat_simulator_stream"]
    appkey = DEMO_CONFIG["dingtalk_apps"][0]["appkey"]
    environ = {
        **os.environ,
        **gendan_env(sim.url),
        "CHAT_TRANSPORT_DINGTALK": "stream",
        "DATABASE_URL": db.url,
        "SECRET_KEY": KEY,
        "UPLOAD_DIR": str(upload_dir),
        "GENDAN_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    (stream,) = [proc for proc in processes(environ) if proc.name == "chat-stream"]
    env = {**environ, **stream.env}
    if db.is_sqlite:
        env["GENDAN_ENV"] = "testing"
    with open(tmp_path / "chat-stream.log", "w+") as log:  # the process's output
        proc = subprocess.Popen(
            stream.argv, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 60
            while gateway.live(appkey) != 1:
                assert proc.poll() is None, log.seek(0) or log.read()[-3000:]
                assert time.monotonic() < deadline, "chat-stream never connected"
                time.sleep(0.1)
            sent = requests.post(
                f"{sim.url}/admin/stream/event",
                json={"event_type": "user_add_org", "data": {"userId": ["u1"]}},
                timeout=10,
            ).json()
            frames = {}
            while not frames.get("acked_at"):
                assert time.monotonic() < deadline, "the frame was never acknowledged"
                time.sleep(0.1)
                frames = next(
                    f for f in gateway.snapshot() if f["message_id"] == sent["message_id"]
                )
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=40) == 0
        finally:
            _stop_all(proc)
        deadline = time.monotonic() + 10
        while gateway.live(appkey):
            assert time.monotonic() < deadline, "the connection stayed open"
            time.sleep(0.1)
        log.seek(0)
        output = log.read()
    assert "chat-stream leader" in output and "dingtalk event user_add_org" in output, output[
        -3000:
    ]


def _stop_all(proc: subprocess.Popen) -> None:
    """Whatever the test's outcome, nothing it started outlives it: a failed test used to leave
    run-prod's gunicorn and scheduler running (killing the parent does not stop its children)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _gunicorn_settings(env: dict) -> dict:
    code = (
        "import json, runpy; c = runpy.run_path('gunicorn.conf.py'); "
        "print(json.dumps({k: c[k] for k in ('workers', 'worker_class', 'threads', 'timeout', "
        "'graceful_timeout', 'bind', 'accesslog', 'forwarded_allow_ips')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**os.environ, **env}, capture_output=True
    )
    import json

    return json.loads(out.stdout)


def test_gunicorn_settings_come_from_the_environment():
    defaults = _gunicorn_settings({"WEB_CONCURRENCY": "", "GUNICORN_BIND": ""})
    assert defaults["worker_class"] == "app.worker.BalancedThreadWorker"  # gthread, balanced
    assert defaults["workers"] >= 2
    assert defaults["timeout"] == 120 and defaults["graceful_timeout"] == 30
    assert defaults["accesslog"] is None  # the app writes the JSON access line itself
    assert defaults["forwarded_allow_ips"] == "127.0.0.1"
    custom = _gunicorn_settings(
        {"WEB_CONCURRENCY": "3", "GUNICORN_THREADS": "8", "GUNICORN_BIND": "127.0.0.1:9000"}
    )
    assert (custom["workers"], custom["threads"], custom["bind"]) == (3, 8, "127.0.0.1:9000")
    assert _gunicorn_settings({"GUNICORN_WORKER_CLASS": "gthread"})["worker_class"] == "gthread"
    check = subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--check-config",
            "wsgi:app",
        ],
        cwd=ROOT,
        env={**os.environ, "GENDAN_ENV": "testing"},
        capture_output=True,
    )
    assert check.returncode == 0, check.stderr[-2000:]


@pytest.mark.parametrize("value", ["sync", "app.worker.Nope", "GTHREAD "])
def test_an_unknown_worker_class_is_refused_before_gunicorn_starts(value):
    """gunicorn would start, then fail on its first worker with "'str' object is not callable"."""
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    check = subprocess.run(
        [gunicorn, "-c", "gunicorn.conf.py", "--check-config", "wsgi:app"],
        cwd=ROOT,
        env={**os.environ, "GENDAN_ENV": "testing", "GUNICORN_WORKER_CLASS": value},
        capture_output=True,
        text=True,
    )
    assert check.returncode == 1
    assert f"GUNICORN_WORKER_CLASS must be gthread or unset, not {value.strip()!r}" in check.stderr


def test_workers_share_nothing_a_login_on_one_works_on_another(db, session, upload_dir, tmp_path):
    """Two app instances stand for two gunicorn workers: sessions, CSRF tokens and bearer
    tokens made by one are accepted by the other (all state is in signed cookies or the DB)."""
    make_user(session, Role.tracker, username="li")
    session.commit()
    one = _app(db.url, upload_dir, tmp_path / "one").test_client()
    two = _app(db.url, upload_dir, tmp_path / "two").test_client()
    page = one.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    # The login form served by worker one is posted to worker two with worker one's cookie.
    two.set_cookie("session", one.get_cookie("session").value)
    r = two.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": csrf})
    assert r.status_code == 302
    one.set_cookie("session", two.get_cookie("session").value)
    assert one.get("/orders").status_code == 200
    token = two.post("/api/auth/token", json={"username": "li", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert one.get("/api/me", headers=headers).status_code == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_run_prod_starts_workers_and_scheduler_and_stops_them_gracefully(
    pg_only, session, upload_dir, tmp_path
):
    user = make_user(session, Role.tracker)
    session.commit()
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": pg_only.url,
        "SECRET_KEY": KEY,
        "UPLOAD_DIR": str(tmp_path / "shared-uploads"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "GUNICORN_THREADS": "2",
        "GENDAN_INSTANCE_DIR": str(tmp_path / "instance"),
    }
    env.pop("GENDAN_ENV", None)
    with open(tmp_path / "run-prod.log", "w+") as log:  # the workers' and the scheduler's output
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.production"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180  # a bound: two workers and a scheduler start
            ready = None
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    ready = requests.get(f"{base}/readyz", timeout=5)
                    break
                except requests.RequestException:  # not listening yet, or workers still booting
                    time.sleep(0.5)
            assert ready is not None and ready.status_code == 200, log.seek(0) or log.read()[-3000:]
            me = requests.get(f"{base}/api/me", headers=bearer(user), timeout=5)
            assert me.status_code == 200 and me.headers["Strict-Transport-Security"]
            while (
                "scheduler started" not in Path(log.name).read_text()
                and time.monotonic() < deadline
            ):
                time.sleep(0.5)
            pids = {int(p) for p in subprocess.check_output(["pgrep", "-P", str(proc.pid)]).split()}
            assert len(pids) == 2  # gunicorn master and the scheduler
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
            assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
        finally:
            _stop_all(proc)
        log.seek(0)
        output = log.read()
    shown = "\n".join(line[:200] for line in output.splitlines() if "gendan.access" not in line)
    assert "Handling signal: term" in output and "scheduler stopped" in output, shown[-4000:]
    lines = [line for line in output.splitlines() if '"gendan.access"' in line]
    assert lines and all(line.startswith("{") and '"request_id"' in line for line in lines)


DEPLOY = ROOT / "deploy"


def test_the_deploy_files_agree_with_the_code():
    from app.config import load_config

    defaults = load_config({"GENDAN_INSTANCE_DIR": "/tmp/gendan-deploy-check"})
    nginx = (DEPLOY / "nginx.conf").read_text()
    upload_mb = defaults["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    assert f"client_max_body_size {upload_mb}m;" in nginx
    assert "alias /opt/gendan/app/web/static/;" in nginx and (ROOT / "app/web/static").is_dir()
    proxy = (DEPLOY / "gendan-proxy.conf").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID $request_id", "Host"):
        assert header in proxy
    env = (DEPLOY / "gendan.env.example").read_text()
    names = {line.split("=")[0] for line in env.splitlines() if line and line[0].isupper()}
    assert names <= set(defaults) | {
        "GENDAN_ENV",
        "MAX_UPLOAD_MB",
        "GUNICORN_BIND",
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
    }
    assert f"MAX_UPLOAD_MB={upload_mb}" in env and "PROXY_HOPS=1" in env
    web = (DEPLOY / "gendan-web.service").read_text()
    scheduler = (DEPLOY / "gendan-scheduler.service").read_text()
    stream = (DEPLOY / "gendan-chat-stream.service").read_text()
    assert "gunicorn -c /opt/gendan/gunicorn.conf.py wsgi:app" in web and "Type=notify" in web
    assert (
        "flask --app wsgi migrate" in web
        and "ExecStart=/opt/gendan/.venv/bin/python -m reminders" in scheduler
    )
    assert "ExecStart=/opt/gendan/.venv/bin/flask --app wsgi chat-stream" in stream
    readme = (ROOT / "README.md").read_text()
    assert "deploy/gendan-chat-stream.service" in readme
    for unit in (web, scheduler, stream):
        for option in (
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "PrivateTmp=yes",
            "ReadWritePaths=/var/lib/gendan/uploads",
            "KillSignal=SIGTERM",
            "EnvironmentFile=/etc/gendan/gendan.env",
            "CapabilityBoundingSet=",
        ):
            assert option in unit
        # Longer than gunicorn's graceful_timeout, so systemd never cuts a graceful stop short.
        assert int(re.search(r"TimeoutStopSec=(\d+)", unit).group(1)) > 30
