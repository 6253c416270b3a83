"""Load: 20 clients scan and file daily reports against gunicorn (2 workers) on PostgreSQL for a
fixed time; afterwards the database holds exactly what the clients were told, no more, no less."""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import requests
from sqlmodel import col, func, select

from models import clock
from models.reports import DailyReport
from models.scans import Scan
from tests.reliability.harness import Gunicorn, send

SECONDS = 10
SEED = 20261125


def test_twenty_clients_for_ten_seconds_count_exactly_what_they_were_told(world, secret, tmp_path):
    told_scans: dict[str, int] = {}  # client id -> quantity, from 201/200 answers
    told_reports: dict[tuple[int, str], str] = {}  # (client, day) -> text last acknowledged
    resends = [0]
    problems: list[str] = []
    lock = threading.Lock()
    before = world.received()
    today = clock.today()

    def enough() -> bool:
        """The minimum that makes the run meaningful (a loaded machine needs longer for it)."""
        with lock:
            return len(told_scans) > 100 and resends[0] > 10 and len(told_reports) > 20

    def client(index: int, base: str, deadline: float) -> None:
        rng = random.Random(f"{SEED}-{index}")
        http = requests.Session()
        step = 0
        cap = deadline + 5 * SECONDS
        while (now := time.monotonic()) < deadline or (now < cap and not enough()):
            step += 1
            if step % 4 == 0:
                day = (today - timedelta(days=rng.randrange(25))).isoformat()
                text = f"客户端{index}第{step}次"
                body = {"day": day, "done_today": text, "hours": 8}
                headers = world.reporters[index]
                url = f"{base}/api/orders/{world.order_id}/daily-reports"
                out = send(http, "POST", url, json=body, headers=headers)
                if out.response is None or out.response.status_code != 200:
                    problems.append(f"report: {out.errors} {out.response and out.response.text}")
                    continue
                with lock:
                    told_reports[(index, day)] = text
                continue
            client_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            quantity = rng.randint(1, 5)
            body = world.scan(client_id, rng.choice(world.materials), quantity)
            # One scan in five is sent twice, as a phone does when the answer got lost.
            for _ in range(2 if step % 5 == 0 else 1):
                out = send(http, "POST", f"{base}/api/scans", json=body, headers=world.scanner)
                status = out.response.status_code if out.response is not None else None
                if status not in (200, 201):
                    problems.append(f"scan: {status} {out.errors}")
                    break
                data = out.response.json()
                if status == 200 and not data["duplicate"]:
                    problems.append(f"a 200 that is not a duplicate: {data}")
                with lock:
                    if client_id in told_scans:
                        resends[0] += 1
                        if status != 200:
                            problems.append(f"resend of {client_id} answered {status}")
                    told_scans[client_id] = quantity

    with Gunicorn(world.db.url, tmp_path, secret=secret) as server:
        deadline = time.monotonic() + SECONDS
        threads = [
            threading.Thread(target=client, args=(i, server.url, deadline)) for i in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=6 * SECONDS + 60)
        assert not any(t.is_alive() for t in threads)

    assert problems == []
    assert len(told_scans) > 100 and resends[0] > 10 and len(told_reports) > 20
    with world.db.session() as s:
        scans = s.exec(select(Scan.client_id, Scan.quantity).where(Scan.order_id == world.order_id))
        stored = {str(cid): int(q) for cid, q in scans}
        reports = s.exec(select(DailyReport).where(DailyReport.order_id == world.order_id)).all()
        report_count = s.exec(
            select(func.count()).where(col(DailyReport.order_id) == world.order_id)
        ).one()
    assert stored == told_scans
    assert world.received() - before == Decimal(sum(told_scans.values()))
    assert report_count == len(told_reports)
    texts = {r.done_today for r in reports}
    assert texts == set(told_reports.values())
