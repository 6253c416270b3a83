"""HTTP against gunicorn: `python -m bench.bench_http [--out FILE] [--seconds S] [--clients N]`.

Demo data in a PostgreSQL schema of its own; gunicorn with 2 gthread workers and the scheduler
process beside it, all on 127.0.0.1. The same client threads (a fixed number, seeded) measure
one request kind after the other for a fixed time each: GET /healthz first (the ceiling: the
cheapest request this server answers under this client load), then the order page JSON, the
order's shortages, its production Gantt chart, a read mix of the three, single scans and
500-scan batches. Every scan is checked to have counted once.

Memory: the resident set of each process (gunicorn master, each worker, the scheduler) when
idle after start-up, and its peak (VmHWM) after all the load, read from /proc.
"""

from __future__ import annotations

import argparse
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import requests
from sqlmodel import func, select

from app.demo import load_demo
from app.services.core import Actor, bind_actor, configure
from app.services.people import issue_token
from bench.benchdb import bench_database, postgres_available
from bench.report import machine, write_section
from bench.servers import SECRET, gunicorn, memory_kib, scheduler
from models.bom import BomLine
from models.enums import Channel
from models.orders import Order
from models.people import User

HEADING = "## HTTP against gunicorn, 2 workers, PostgreSQL (bench/bench_http.py)"
MEMORY_HEADING = "## Memory of each process under load (bench/bench_http.py)"
SEED = 20261125
BATCH = 500
ORDER = "GD-DEMO-03"
MATERIALS = ("Q345R-20", "VALVE-DN150", "MOTOR-75KW", "FLANGE-DN150", "GASKET-DN150", "BOLT-M20")


@dataclass(frozen=True)
class Rate:
    name: str
    requests_per_s: float
    units_per_s: float
    p50_ms: float
    p99_ms: float
    units: int


@dataclass
class Seeded:
    order_id: int
    scanner: dict
    reader: dict


def seed(db) -> Seeded:
    """Demo data; bearer headers for the warehouse (scans) and the order's tracker (reads)."""
    configure(secret_key=SECRET)  # the demo seals its chat robots' secrets with the server's key
    with db.session() as s:
        bind_actor(s, Actor.system(Channel.cli))
        load_demo(session=s)
        s.commit()
        order = s.exec(select(Order).where(Order.code == ORDER)).one()

        def bearer(username: str) -> dict:
            user = s.exec(select(User).where(User.username == username)).one()
            token, _ = issue_token(user=user, secret=SECRET, ttl_hours=24)
            return {"Authorization": f"Bearer {token}"}

        return Seeded(order.id, bearer("zhou.cangku"), bearer("li.gendan"))


def received(db, order_id: int) -> Decimal:
    with db.session() as s:
        query = select(func.sum(BomLine.received)).where(BomLine.order_id == order_id)
        return s.exec(query).one() or Decimal(0)


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def measure(name: str, call: Callable, seconds: float, clients: int) -> Rate:
    """Run `call(http, rng)` (returns units done) from `clients` threads for `seconds`."""
    latencies: list[float] = []
    units = [0] * clients
    errors: list[BaseException] = []
    barrier = threading.Barrier(clients + 1)
    deadline: list[float] = []

    def client(index: int) -> None:
        rng = random.Random(f"{SEED}-{name}-{index}")
        with requests.Session() as http:
            barrier.wait()
            try:
                while time.monotonic() < deadline[0]:
                    start = time.perf_counter()
                    units[index] += call(http, rng)
                    latencies.append(time.perf_counter() - start)
            except Exception as exc:
                errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline.append(time.monotonic() + seconds)
    began = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return Rate(
        name,
        len(latencies) / elapsed,
        sum(units) / elapsed,
        quantile(latencies, 50) * 1000,
        quantile(latencies, 99) * 1000,
        sum(units),
    )


def scan(rng: random.Random, order_id: int) -> dict:
    return {
        "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "result": rng.choice(MATERIALS),
        "scanType": "CODE_128",
        "action": "receive",
        "quantity": 1,
        "order_id": order_id,
        "confirm_over": True,
    }


def calls(base: str, data: Seeded) -> dict[str, Callable]:
    order = f"{base}/api/orders/{data.order_id}"
    reads = {
        "order page JSON": f"{order}",
        "shortages": f"{order}/shortages",
        "production Gantt": f"{order}/production/gantt",
    }

    def get(url: str) -> Callable:
        def call(http, _rng) -> int:
            r = http.get(url, headers=data.reader, timeout=60)
            if r.status_code != 200:
                raise RuntimeError(f"GET {url}: {r.status_code} {r.text[:200]}")
            return 1

        return call

    def healthz(http, _rng) -> int:
        http.get(f"{base}/healthz", timeout=60).raise_for_status()
        return 1

    mix = [get(url) for url in reads.values()]

    def read_mix(http, rng) -> int:
        return rng.choice(mix)(http, rng)

    def single(http, rng) -> int:
        r = http.post(f"{base}/api/scans", json=scan(rng, data.order_id), headers=data.scanner)
        if r.status_code != 201:
            raise RuntimeError(f"scan refused: {r.status_code} {r.text[:200]}")
        return 1

    def batch(http, rng) -> int:
        body = {"scans": [scan(rng, data.order_id) for _ in range(BATCH)]}
        r = http.post(f"{base}/api/scans/batch", json=body, headers=data.scanner, timeout=300)
        if r.status_code != 200 or r.json()["applied"] != BATCH:
            raise RuntimeError(f"batch refused: {r.status_code} {r.text[:200]}")
        return BATCH

    return {
        "/healthz (ceiling)": healthz,
        **{name: get(url) for name, url in reads.items()},
        "read mix (the three, at random)": read_mix,
        "scan, one per request": single,
        f"scans, {BATCH} per request": batch,
    }


@dataclass
class Memory:
    name: str
    idle_kib: int
    peak_kib: int | None  # None: the process was replaced during the run


def settled(pids: dict[str, int], limit: float = 30) -> dict[str, int]:
    """Each process's resident set once none has grown for two seconds (start-up done)."""
    deadline = time.monotonic() + limit
    last = {name: memory_kib(pid)[0] for name, pid in pids.items()}
    while time.monotonic() < deadline:
        time.sleep(2)
        now = {name: memory_kib(pid)[0] for name, pid in pids.items()}
        if all(now[name] <= last[name] * 1.01 for name in pids):
            return now
        last = now
    return last


def peak_or_none(pid: int) -> int | None:
    """Peak resident set of a process, or None when it is gone (gunicorn replaced the worker,
    e.g. after its timeout)."""
    try:
        return memory_kib(pid)[1]
    except FileNotFoundError:
        return None


def run(seconds: float, clients: int) -> tuple[list[Rate], bool, list[Memory]]:
    with bench_database("postgresql", "bench_http") as db:
        data = seed(db)
        before = received(db, data.order_id)
        with gunicorn(db.url) as web, scheduler(db.url) as sched:
            pids = {"gunicorn master": web.process.pid}
            for i, pid in enumerate(web.workers(), 1):
                pids[f"gunicorn worker {i}"] = pid
            pids["scheduler"] = sched.pid
            idle = settled(pids)
            kinds = calls(web.base, data)
            warm = measure("warm-up", kinds["scan, one per request"], 1, clients)
            rates = [measure(name, call, seconds, clients) for name, call in kinds.items()]
            peaks = {name: peak_or_none(pid) for name, pid in pids.items()}
        scans = sum(r.units for r in rates if r.name.startswith("scan"))
        counted = received(db, data.order_id) - before == scans + warm.units
    memory = [Memory(name, idle[name], peaks[name]) for name in pids]
    return rates, counted, memory


def ratio(rate: Rate, ceiling: Rate) -> float:
    per_second = rate.units_per_s if rate.name.startswith("scan") else rate.requests_per_s
    return per_second / ceiling.requests_per_s


def section(seconds: float, clients: int) -> str:
    if not postgres_available():
        return f"{HEADING}\n\nPostgreSQL was not reachable: nothing measured.\n"
    rates, counted, memory = run(seconds, clients)
    ceiling = rates[0]
    lines = [
        HEADING,
        "",
        f"{machine()}; gunicorn 2 workers (gunicorn.conf.py: gthread, 4 threads each) "
        f"and the scheduler on 127.0.0.1, PostgreSQL; "
        f"{clients} client threads in one process, {seconds:g} s per request kind (a batch "
        "phase lasts until every client's last batch is answered). Ratio: requests/s (for "
        "scans: scans/s) to /healthz's requests/s on the same server under the same client "
        "load.",
        "",
        "| request | requests/s | ratio | scans/s | p50 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for rate in rates:
        per_scan = f"{rate.units_per_s:,.0f}" if rate.name.startswith("scan") else ""
        lines.append(
            f"| {rate.name} | {rate.requests_per_s:,.1f} "
            f"| {ratio(rate, ceiling):.3f} | {per_scan} "
            f"| {rate.p50_ms:,.1f} | {rate.p99_ms:,.1f} |"
        )
    lines += ["", f"Every scan counted exactly once: {'yes' if counted else '**no**'}.", ""]
    lines += [
        MEMORY_HEADING,
        "",
        "Resident set from /proc: idle is VmRSS once start-up is over (no growth for 2 s), "
        "before any request; peak is "
        "VmHWM after every request kind above. The ceiling is the idle process itself.",
        "",
        "| process | idle MiB | peak under load MiB | peak / idle |",
        "|---|---:|---:|---:|",
    ]
    for m in memory:
        lines.append(
            (
                f"| {m.name} | {m.idle_kib / 1024:,.1f} | {m.peak_kib / 1024:,.1f} "
                f"| {m.peak_kib / m.idle_kib:.2f} |"
            )
            if m.peak_kib is not None
            else f"| {m.name} | {m.idle_kib / 1024:,.1f} | replaced during the run | — |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--seconds", type=float, default=10, help="length of each measurement")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    args = parser.parse_args(argv)
    text = section(args.seconds, args.clients)
    print(text, end="")
    if args.out:
        write_section(args.out, HEADING, text)


if __name__ == "__main__":
    main()
