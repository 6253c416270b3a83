"""Real processes for the reliability tests: gunicorn with 2 workers on 127.0.0.1, a TCP proxy
that can cut the database away, and HTTP clients that retry the way the phone app does."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import requests

from bench.servers import children, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RETRY_STATUSES = (502, 503, 504)


class Gunicorn:
    """`gunicorn -w 2 wsgi:app` on a free local port, its log in `folder`."""

    def __init__(self, database_url: str, folder: Path, *, secret: str, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log_path = self.folder / "gunicorn.log"
        self.env = {
            **os.environ,
            "GENDAN_ENV": "testing",
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret,
            "GENDAN_INSTANCE_DIR": str(self.folder),
            "UPLOAD_DIR": str(self.folder / "uploads"),
            "PASSWORD_HASH_PROFILE": "testing",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--no-control-socket",
            "wsgi:app",
        ]

    def __enter__(self) -> Gunicorn:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv(), cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log
        )
        try:
            self.wait_workers(2)
            wait_until(lambda: _answers(f"{self.url}/healthz"), 60, "gunicorn to answer")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.log.close()

    @property
    def master_pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        return children(self.master_pid)

    def wait_workers(self, n: int, *, without: int | None = None) -> list[int]:
        found: list[int] = []

        def ready() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_text()[-3000:]}")
            found[:] = self.worker_pids()
            return len(found) == n and without not in found

        wait_until(ready, 60, f"{n} gunicorn workers")
        return found

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


class Scheduler(Gunicorn):
    """The scheduler process (`python -m reminders`) with the same environment."""

    def argv(self) -> list[str]:
        return [str(BIN / "python"), "-m", "reminders"]

    def __enter__(self) -> Scheduler:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv(), cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log
        )
        return self

    def alive(self) -> bool:
        return self.process.poll() is None


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process so far, in clock ticks."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def held(pids: list[int], port: int) -> Counter:
    """How many established connections on local `port` each of `pids` holds, from
    /proc/net/tcp and the fd tables."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                inodes.add(fields[9])
    counts: Counter = Counter({pid: 0 for pid in pids})
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    counts[pid] += 1
    return counts


def serving(pids: list[int], port: int) -> int | None:
    """The process among `pids` holding an established connection on local `port` (the
    gunicorn worker answering a request right now)."""
    return next((pid for pid, n in held(pids, port).items() if n), None)


def busiest(pids: list[int], seconds: float = 0.3) -> int:
    """The process that used the most CPU over a short sample."""
    before = {pid: cpu_ticks(pid) for pid in pids}
    time.sleep(seconds)
    return max(pids, key=lambda pid: cpu_ticks(pid) - before[pid])


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


class Outcome:
    """What one logical request came to after its retries."""

    def __init__(self, response: requests.Response | None, attempts: int, errors: list[str]):
        self.response = response
        self.attempts = attempts
        self.errors = errors


def send(
    http: requests.Session,
    method: str,
    url: str,
    *,
    attempts: int = 40,
    pause: float = 0.1,
    **kwargs,
) -> Outcome:
    """Send a request, resending the very same request (same body, so the same client id) on a
    dropped connection or a 502/503/504, as the phone app's offline queue does."""
    errors: list[str] = []
    kwargs.setdefault("timeout", 60)
    for attempt in range(1, attempts + 1):
        try:
            response = http.request(method, url, **kwargs)
        except requests.ConnectionError as exc:
            errors.append(f"connection: {type(exc).__name__}")
            time.sleep(pause)
            continue
        if response.status_code in RETRY_STATUSES:
            errors.append(f"HTTP {response.status_code}")
            time.sleep(pause)
            continue
        return Outcome(response, attempt, errors)
    return Outcome(None, attempts, errors)


class TcpProxy:
    """A TCP relay on 127.0.0.1 to a target port that can be cut (every connection closed,
    new ones refused, as when the database restarts) and restored on the same port."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.stalled = False  # accept connections but never answer (a hung server)
        self._thread: threading.Thread | None = None

    def __enter__(self) -> TcpProxy:
        self.restore()
        return self

    def __exit__(self, *_exc) -> None:
        self.cut()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._close_all()

    def stall(self) -> None:
        """Drop every connection and leave new ones hanging without an answer."""
        self.stalled = True
        self._close_all()

    def unstall(self) -> None:
        self.stalled = False
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.stalled:
                with self._lock:
                    self._conns.add(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for conn in (source, sink):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
