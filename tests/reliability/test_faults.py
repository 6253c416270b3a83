"""Faults against gunicorn (2 workers) on PostgreSQL: a worker killed mid-request, the database
going away and coming back, the upload disk full. The service answers with a clear error,
recovers on its own, and neither loses nor doubles anything."""

from __future__ import annotations

import io
import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import text
from sqlmodel import col, func, select

from models.acceptance import OrderDocument
from models.base import utcnow
from models.materials import Material
from models.photos import Photo
from models.reminders import SchedulerLease
from models.scans import Scan
from tests.conftest import IN_CI
from tests.reliability.harness import (
    Gunicorn,
    Scheduler,
    TcpProxy,
    send,
    serving,
    wait_until,
)

SEED = 20261126
BATCH = 200
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def stored(world, client_ids: list[str]) -> dict[str, int]:
    """Client id -> quantity of the scans stored among `client_ids`."""
    with world.db.session() as s:
        rows = s.exec(
            select(Scan.client_id, Scan.quantity).where(
                col(Scan.client_id).in_([uuid.UUID(c) for c in client_ids])
            )
        )
        return {str(cid): int(q) for cid, q in rows}


class Scanners:
    """Phones scanning one at a time in the background, resending on errors with the same
    client id; `told` is what the server acknowledged (201 applied, 200 already applied)."""

    def __init__(self, world, base: str, n: int, tag: str, attempts: int = 40):
        self.world, self.base, self.attempts, self.tag = world, base, attempts, tag
        self.told: dict[str, int] = {}
        self.problems: list[str] = []
        self.statuses: list[int] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(n)]

    def __enter__(self) -> Scanners:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _run(self, index: int) -> None:
        rng = random.Random(f"{SEED}-{self.tag}-{index}")
        http = requests.Session()
        while not self.stop.is_set():
            client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            quantity = rng.randint(1, 3)
            body = self.world.scan(client_id, rng.choice(self.world.materials), quantity)
            out = send(
                http,
                "POST",
                f"{self.base}/api/scans",
                json=body,
                headers=self.world.scanner,
                attempts=self.attempts,
                pause=0.2,
            )
            with self.lock:
                self.statuses += [int(e[5:]) for e in out.errors if e.startswith("HTTP ")]
                if out.response is None or out.response.status_code not in (200, 201):
                    self.problems.append(f"{out.errors} {out.response and out.response.text}")
                    return
                self.told[client_id] = quantity


def _lock_waiter_ports(world) -> list[int]:
    """The client ports of the backends waiting on a row lock (the workers' side of them).
    Other test workers and sessions use other schemas of the same database: their waiters
    are told apart by `serving` (their ports belong to none of this test's workers)."""
    with world.db.session() as s:
        return list(
            s.exec(
                select(text("client_port"))
                .select_from(text("pg_stat_activity"))
                .where(text("wait_event_type = 'Lock' AND datname = current_database()"))
            ).all()
        )


def _waiting_workers(world, server) -> set[int]:
    """This server's workers whose database connection waits on a row lock."""
    workers = server.worker_pids()
    return {pid for port in _lock_waiter_ports(world) if (pid := serving(workers, port))}


def test_a_worker_killed_mid_request_loses_and_doubles_nothing(world, secret, tmp_path):
    """A queue is applied in one transaction (issue 18): killed mid-request, none of it stays;
    the phone's resend applies what is new, and what an earlier send applied comes back as
    already applied. The batch is held on a row lock the test takes, so the kill lands while
    the request is surely running."""
    rng = random.Random(SEED)
    batch = [
        world.scan(str(uuid.UUID(int=rng.getrandbits(128), version=4)), rng.choice(world.materials))
        for _ in range(BATCH)
    ]
    ids = [scan["client_id"] for scan in batch]
    applied_before = BATCH // 2
    before = world.received()
    with Gunicorn(world.db.url, tmp_path, secret=secret) as server:
        server.wait_workers(2)
        with requests.Session() as http:  # closed: its kept-alive connection would hide the victim
            first = send(
                http,
                "POST",
                f"{server.url}/api/scans/batch",
                json={"scans": batch[:applied_before]},
                headers=world.scanner,
            )
        assert first.response.json()["applied"] == applied_before
        result = {}

        def phone():
            result["out"] = send(
                requests.Session(),
                "POST",
                f"{server.url}/api/scans/batch",
                json={"scans": batch},
                headers=world.scanner,
                pause=0.3,
            )

        with world.db.session() as holder:
            holder.exec(select(Material).with_for_update()).all()
            thread = threading.Thread(target=phone)
            thread.start()
            # The worker whose database connection waits on the lock serves the phone (a worker
            # may also hold an idle kept-alive connection on the server port).
            wait_until(lambda: _waiting_workers(world, server), 60, "the batch to wait on the lock")
            victims = _waiting_workers(world, server)
            victim = victims.pop() if len(victims) == 1 else None
            assert victim is not None, victims
            os.kill(victim, signal.SIGKILL)
            holder.rollback()
        thread.join(timeout=120)
        replacements = server.wait_workers(2, without=victim)
        with Scanners(world, server.url, 3, "kill") as others:
            time.sleep(1)  # other phones scan on, served by the restarted worker too
        assert server.process.poll() is None
        assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert victim not in replacements

    out = result["out"]
    assert out.errors and out.errors[0].startswith("connection"), out.errors
    body = out.response.json()
    assert out.response.status_code == 200 and body["failed"] == 0
    # What the first send applied comes back as already applied; the rest applies now, once.
    assert (body["duplicates"], body["applied"]) == (applied_before, BATCH - applied_before)
    assert others.problems == [] and len(others.told) > 0
    assert stored(world, ids) == dict.fromkeys(ids, 1)
    assert stored(world, list(others.told)) == others.told
    expected = BATCH + sum(others.told.values())
    assert world.received() - before == Decimal(expected)


def envelope_503(response: requests.Response) -> dict:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    error = response.json()["error"]
    assert error["code"] == "database_unavailable" and CHINESE.search(error["message"])
    return error


def test_the_database_going_away_gives_503_and_the_service_recovers_on_its_own(
    world, secret, tmp_path
):
    before = world.received()
    order_url = f"/api/orders/{world.order_id}"
    with TcpProxy(5432) as proxy:
        url = world.db.url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        assert url != world.db.url
        with Gunicorn(url, tmp_path, secret=secret) as server:
            http = requests.Session()
            assert http.get(server.url + order_url, headers=world.scanner).status_code == 200
            with Scanners(world, server.url, 4, "outage", attempts=400) as phones:
                time.sleep(1)
                proxy.cut()
                time.sleep(0.5)
                # Every database-backed request during the outage: a quick, clear 503.
                lost = world.scan(str(uuid.uuid4()), world.materials[0], 7)
                requests_during = [
                    ("GET", order_url, None),
                    ("GET", f"{order_url}/shortages", None),
                    ("POST", "/api/scans", lost),
                    ("GET", f"{order_url}/bom", None),
                ]
                for method, path, body in requests_during * 2:
                    response = http.request(
                        method, server.url + path, json=body, headers=world.scanner, timeout=20
                    )
                    envelope_503(response)
                    assert response.headers["Retry-After"]
                ready = http.get(f"{server.url}/readyz", timeout=20)
                assert ready.status_code == 503 and ready.json()["database"] == "down"
                assert http.get(f"{server.url}/healthz", timeout=20).status_code == 200
                time.sleep(1)
                proxy.restore()
                # Back on its own: no restart, every request answers again.
                resent = send(
                    http,
                    "POST",
                    server.url + "/api/scans",
                    json=lost,
                    headers=world.scanner,
                    attempts=100,
                    pause=0.2,
                )
                assert resent.response.status_code == 201  # it was not applied during the outage
                for _ in range(10):
                    response = http.get(server.url + order_url, headers=world.scanner, timeout=20)
                    assert response.status_code == 200
                assert http.get(f"{server.url}/readyz", timeout=20).status_code == 200
                time.sleep(1)
            assert server.process.poll() is None
    assert phones.problems == []
    assert 503 in phones.statuses  # the phones did see the outage, and rode it out
    assert stored(world, list(phones.told)) == phones.told
    assert stored(world, [lost["client_id"]]) == {lost["client_id"]: 7}
    assert world.received() - before == Decimal(sum(phones.told.values()) + 7)


def test_a_database_that_hangs_gives_503_after_the_connect_timeout(world, secret, tmp_path):
    """A database that accepts connections and never answers (a hung server, a half-dead
    network) must not hold the workers until gunicorn kills them: the connect timeout turns
    it into the same 503."""
    order_url = f"/api/orders/{world.order_id}"
    with TcpProxy(5432) as proxy:
        url = world.db.url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        with Gunicorn(url, tmp_path, secret=secret) as server:
            http = requests.Session()
            assert http.get(server.url + order_url, headers=world.scanner).status_code == 200
            proxy.stall()
            for _ in range(2):
                # Well inside gunicorn's worker timeout (60 s): no worker is killed for it.
                response = http.get(server.url + order_url, headers=world.scanner, timeout=40)
                envelope_503(response)
            proxy.unstall()
            back = send(http, "GET", server.url + order_url, headers=world.scanner, attempts=100)
            assert back.response is not None and back.response.status_code == 200
            assert server.process.poll() is None
        assert "WORKER TIMEOUT" not in server.log_text()


def lease(db) -> SchedulerLease | None:
    with db.session() as s:
        return s.exec(select(SchedulerLease)).first()


def test_the_scheduler_rides_out_a_database_outage_and_leads_again(pg_db, secret, tmp_path):
    timing = {
        "SCHEDULER_LEASE_SECONDS": "3",
        "SCHEDULER_POLL_SECONDS": "1",
        "SCHEDULER_HEARTBEAT_SECONDS": "1",
    }
    with TcpProxy(5432) as proxy:
        url = pg_db.url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        with Scheduler(url, tmp_path, secret=secret, **timing) as scheduler:
            wait_until(lambda: lease(pg_db) is not None, 60, "the scheduler to lead")
            holder = lease(pg_db).holder
            proxy.cut()
            time.sleep(5)  # longer than the lease: the lead is lost
            assert scheduler.alive()
            proxy.restore()
            restored = utcnow()
            wait_until(
                lambda: lease(pg_db).expires_at > restored + timedelta(seconds=1),
                60,
                "the scheduler to lead again",
            )
            assert scheduler.alive() and lease(pg_db).holder == holder
        log = scheduler.log_text()
    assert "standing by" in log or "lost the lead" in log


@pytest.fixture
def small_disk(tmp_path) -> Path:
    """A 2 MB tmpfs: a real file system that really fills up (ENOSPC). Needs root."""
    mount = tmp_path / "uploads"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        reason = f"cannot mount a small tmpfs here: {done.stderr.strip() or done.returncode}"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def noisy_photo(seed: int) -> bytes:
    """A phone-sized photo of noise: about a megabyte even after processing."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (1200, 900), rng.randbytes(1200 * 900 * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def big_pdf(seed: int) -> bytes:
    """A real many-page PDF of random text: a few hundred kilobytes."""
    rng = random.Random(seed)
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    for _ in range(60):
        for line in range(60):
            page.drawString(40, 800 - line * 12, rng.randbytes(40).hex())
        page.showPage()
    page.save()
    return out.getvalue()


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def row_count(world, model) -> int:
    with world.db.session() as s:
        query = select(func.count()).where(col(model.order_id) == world.order_id)
        return s.exec(query).one()


def test_a_full_upload_disk_refuses_clearly_leaves_nothing_and_recovers(
    world, secret, tmp_path, small_disk
):
    filler = small_disk / "filler"
    stats = os.statvfs(small_disk)
    filler.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - 100_000))
    base = f"/api/orders/{world.order_id}"
    uploads = [
        # path, multipart files, form fields, table, error code
        (f"{base}/photos", ("a.jpg", noisy_photo(1), "image/jpeg"), {}, Photo, "photo"),
        (
            f"{base}/documents",
            ("report.pdf", big_pdf(1), "application/pdf"),
            {"kind": "completion_report"},
            OrderDocument,
            "document",
        ),
    ]
    assert all(len(file[1]) > 100_000 for _, file, *_ in uploads)
    headers = world.reporters[0]
    with Gunicorn(
        world.db.url, tmp_path / "server", secret=secret, UPLOAD_DIR=str(small_disk)
    ) as server:

        def post(path, file, form):
            return requests.post(
                server.url + path, files={"file": file}, data=form, headers=headers, timeout=60
            )

        for path, file, form, table, what in uploads * 2:
            response = post(path, file, form)
            assert response.status_code in (503, 507), response.text[:300]
            error = response.json()["error"]
            assert error["code"] == f"{what}_storage_full" and CHINESE.search(error["message"])
            assert row_count(world, table) == 0
            assert files_under(small_disk) == [filler]  # nothing half-written
        filler.unlink()
        for path, file, form, table, _what in uploads:
            response = post(path, file, form)
            assert response.status_code == 201, response.text[:300]
            assert row_count(world, table) == 1
            stored = requests.get(server.url + response.json()["url"], headers=headers, timeout=30)
            assert stored.status_code == 200 and stored.content[:2] in (b"\xff\xd8", b"%P")
    names = sorted(p.name.split(".", 1)[1] for p in files_under(small_disk))
    assert names == ["jpg", "pdf", "thumb.jpg"]
