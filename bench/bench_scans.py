"""Scans through the HTTP API: `python -m bench.bench_scans [--out FILE] [--seconds S]`.

For each engine (a SQLite file, then a PostgreSQL schema of its own) this loads the demo data
into a fresh database, starts gunicorn with 2 workers on 127.0.0.1 and measures, in the same
run and with the same client threads: GET /healthz (the ceiling: the cheapest request the
server answers), POST /api/scans with one receipt per request, and POST /api/scans/batch with
500 receipts per request. Receipts go to the six BOM lines of GD-DEMO-03 in a seeded random
order, with confirm_over (so none is refused), and every one is checked to have counted.
"""

from __future__ import annotations

import argparse
import random
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlmodel import func, select

from app.demo import load_demo
from app.services.core import Actor, bind_actor, configure
from app.services.people import issue_token
from bench import servers
from bench.benchdb import ENGINES, bench_database, postgres_available
from bench.pyclient import Rate, measure
from bench.report import machine, write_section
from models.bom import BomLine
from models.enums import Channel
from models.orders import Order
from models.people import User

HEADING = "## Scans through the HTTP API (bench/bench_scans.py)"
SECRET = servers.SECRET
BATCH = 500
MATERIALS = ("Q345R-20", "VALVE-DN150", "MOTOR-75KW", "FLANGE-DN150", "GASKET-DN150", "BOLT-M20")


@dataclass(frozen=True)
class Row:
    engine: str
    healthz: Rate
    single: Rate
    batch: Rate
    counted: bool


def _seed(db) -> tuple[str, int, Decimal]:
    """Demo data; the warehouse user's token, the order and its BOM's received total."""
    configure(secret_key=SECRET)  # the demo seals its chat robots' secrets with the server's key
    with db.session() as s:
        bind_actor(s, Actor.system(Channel.cli))
        load_demo(session=s)
        s.commit()
        user = s.exec(select(User).where(User.username == "zhou.cangku")).one()
        order = s.exec(select(Order).where(Order.code == "GD-DEMO-03")).one()
        token, _ = issue_token(user=user, secret=SECRET, ttl_hours=24)
        return token, order.id, _received(s, order.id)


def _received(session, order_id: int) -> Decimal:
    total = session.exec(select(func.sum(BomLine.received)).where(BomLine.order_id == order_id))
    return total.one() or Decimal(0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(url: str) -> Iterator[str]:
    """gunicorn with 2 workers on a free local port, serving the app on `url`."""
    with servers.gunicorn(url) as server:
        yield server.base


def _scan(rng: random.Random, order_id: int) -> dict:
    return {
        "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "result": rng.choice(MATERIALS),
        "scanType": "CODE_128",
        "action": "receive",
        "quantity": 1,
        "order_id": order_id,
        "confirm_over": True,
    }


def run_engine(engine: str, seconds: float, clients: int) -> Row:
    """All three measurements against one engine."""
    with bench_database(engine, "bench_scans") as db:
        token, order_id, before = _seed(db)
        headers = {"Authorization": f"Bearer {token}"}

        def healthz(http, _rng) -> int:
            http.get(f"{base}/healthz", timeout=30).raise_for_status()
            return 1

        def single(http, rng) -> int:
            r = http.post(f"{base}/api/scans", json=_scan(rng, order_id), headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"scan refused: {r.status_code} {r.text[:200]}")
            return 1

        def batch(http, rng) -> int:
            body = {"scans": [_scan(rng, order_id) for _ in range(BATCH)]}
            r = http.post(f"{base}/api/scans/batch", json=body, headers=headers, timeout=120)
            if r.status_code != 200 or r.json()["applied"] != BATCH:
                raise RuntimeError(f"batch refused: {r.status_code} {r.text[:200]}")
            return BATCH

        with gunicorn(db.url) as base:
            measure("warm-healthz", healthz, 1, clients)
            warmup = measure("warm-single", single, 1, clients)
            rates = [measure(f.__name__, f, seconds, clients) for f in (healthz, single, batch)]
        scans = warmup.units + rates[1].units + rates[2].units
        with db.session() as s:
            counted = _received(s, order_id) - before == scans
    return Row(engine, *rates, counted=counted)


def section(seconds: float, clients: list[int]) -> str:
    """The Markdown section: a row per engine and number of client threads."""
    engines = [e for e in ENGINES if e == "sqlite" or postgres_available()]
    rows = [(n, run_engine(engine, seconds, n)) for engine in engines for n in clients]
    lines = [
        HEADING,
        "",
        f"{machine()}; gunicorn 2 workers (gunicorn.conf.py: gthread balanced by app/worker.py, "
        "4 threads each) "
        "on 127.0.0.1; client threads in one process (bench/pyclient.py); "
        f"{seconds:g} s per measurement after a 1 s warm-up. Ratios are to "
        "/healthz measured in the same run against the same server.",
        "",
        "| engine | clients | /healthz req/s | single scans/s | ratio | p50 ms | p99 ms "
        "| 500-scan batches: scans/s | ratio | p50 ms per batch | p99 ms per batch "
        "| every scan counted |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for n, row in rows:
        h, s, b = row.healthz.units_per_s, row.single, row.batch
        lines.append(
            f"| {row.engine} | {n} | {h:,.0f} | {s.units_per_s:,.0f} | {s.units_per_s / h:.2f} "
            f"| {s.p50_ms:.1f} | {s.p99_ms:.1f} | {b.units_per_s:,.0f} "
            f"| {b.units_per_s / h:.2f} | {b.p50_ms:,.0f} | {b.p99_ms:,.0f} "
            f"| {'yes' if row.counted else '**no**'} |"
        )
    if "postgresql" not in engines:
        lines += ["", "PostgreSQL was not reachable: its row is missing."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--seconds", type=float, default=10, help="length of each measurement")
    parser.add_argument(
        "--clients", default="1,4", help="client threads, a comma-separated list (a row each)"
    )
    args = parser.parse_args(argv)
    text = section(args.seconds, [int(n) for n in args.clients.split(",")])
    print(text, end="")
    if args.out:
        write_section(args.out, HEADING, text)


if __name__ == "__main__":
    main()
