"""The processes a benchmark runs against, all on 127.0.0.1: gunicorn with 2 workers started
with explicit flags, the scheduler process, and memory readings of them from /proc."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.benchdb import ROOT
from bots.simulator.seed import gendan_env

BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    folder: Path

    def workers(self) -> list[int]:
        return children(self.process.pid)


# One client address and one chat sender send everything in a benchmark: lift the rate limits
# (app/security.py) so that the figures measure the work, not the 429s and throttle hints.
UNLIMITED = {
    "WEBHOOK_RATE_LIMIT": "1000000 per minute",
    "CHAT_RATE_LIMIT": "1000000 per minute",
    "LOGIN_RATE_LIMIT_PER_ADDRESS": "1000000 per minute",
    "LOGIN_RATE_LIMIT_PER_USER": "1000000 per minute",
}


# Rate-limit counters where production keeps them (app/production.py refuses memory:// with
# several workers): the local Redis when it answers. Flask-Limiter's memory:// storage starts a
# timer thread on nearly every hit, about 15 % of a webhook's CPU in a profile, which no
# production worker pays. BENCH_RATELIMIT_STORAGE_URI overrides (memory:// for the old way).
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


def rate_limit_storage() -> str:
    chosen = os.environ.get("BENCH_RATELIMIT_STORAGE_URI")
    if chosen:
        return chosen
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return LOCAL_REDIS
    except OSError:
        return "memory://"


def bench_env(url: str, folder: str, sim_port: int | None = None) -> dict:
    env = {
        **UNLIMITED,
        "RATELIMIT_STORAGE_URI": rate_limit_storage(),
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "GENDAN_ENV": "development",
        "GENDAN_INSTANCE_DIR": folder,
        "UPLOAD_DIR": f"{folder}/uploads",
        "LOG_LEVEL": "WARNING",
        # Workers are not recycled mid-run (gunicorn.conf.py's max_requests), so that the
        # memory table reads the same processes before and after the load.
        "GUNICORN_MAX_REQUESTS": "0",
    }
    if sim_port:
        # The simulator's demo credentials, as `make run` gives them (the environment wins).
        env = {**gendan_env(f"http://127.0.0.1:{sim_port}"), **env, "SIM_PORT": str(sim_port)}
    return env


@contextmanager
def gunicorn(
    url: str,
    *,
    sim_port: int | None = None,
    workers: int = 2,
    config: bool = False,
    app: str = "wsgi:app",
) -> Iterator[Server]:
    """`gunicorn -w 2 wsgi:app` on a free local port against `url`; stopped afterwards.
    With `config`, production's settings instead: `gunicorn -c gunicorn.conf.py wsgi:app`
    (gthread balanced by app/worker.py, its threads and timeouts), given the port and `workers`
    by its environment.
    `app`: another WSGI application (bench/floor_app.py adds a route to wsgi:app)."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        argv = [
            str(BIN / "gunicorn"),
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--no-control-socket",
            app,
        ]
        env = bench_env(url, folder, sim_port)
        if config:
            argv = [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", app]
            env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
        with open(Path(folder) / "server.log", "wb") as log:
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
            server = Server(f"http://127.0.0.1:{port}", process, Path(folder))
            try:
                _wait_ready(server, workers)
                yield server
            finally:
                _stop(process)


@contextmanager
def scheduler(url: str, *, sim_port: int | None = None) -> Iterator[subprocess.Popen]:
    """The scheduler process (`python -m reminders`) against `url`."""
    with tempfile.TemporaryDirectory(prefix="bench-scheduler-") as folder:
        argv = [str(BIN / "python"), "-m", "reminders"]
        env = bench_env(url, folder, sim_port)
        with open(Path(folder) / "scheduler.log", "wb") as log:
            process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                time.sleep(3)  # imported, leader elected, first jobs scheduled
                if process.poll() is not None:
                    raise RuntimeError("the scheduler exited while starting")
                yield process
            finally:
                _stop(process)


def _wait_ready(server: Server, workers: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            log = (server.folder / "server.log").read_text(errors="replace")
            raise RuntimeError(f"gunicorn exited while starting:\n{log[-2000:]}")
        try:
            ok = requests.get(f"{server.base}/readyz", timeout=10).status_code == 200
        except requests.RequestException:
            ok = False
        if ok and len(server.workers()) == workers:
            return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def children(pid: int) -> list[int]:
    """Child process ids of `pid`, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def memory_kib(pid: int) -> tuple[int, int]:
    """(resident set size now, peak resident set size so far) of a process, in KiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]
