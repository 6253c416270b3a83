"""HTTP ceilings with wrk: `python -m bench.bench_http [--seconds S] [--connections 1,4,16]`.

Demo data on SQLite (a file of its own) and on PostgreSQL (a schema of its own); gunicorn
with production's settings (gunicorn.conf.py: gthread workers balanced by app/worker.py, 4
threads per worker) and 2 workers, the scheduler and the chat simulator, all on 127.0.0.1.
wrk (the compiled load generator, Lua scripts in bench/wrk/) drives every request kind with
the same connections and duration: GET /healthz (the ceiling), the order page JSON, its
shortages and its production Gantt chart (the tracker's bearer token), a single scan with a
client id of its own (bearer token), the floor a scan cannot go below (bench/floor_app.py:
the same request to a route that checks the token, validates the body, inserts one
change-log row and commits), a signed WeChat safe-mode push (`进度 GD-DEMO-03` from 李四,
encrypted passive reply) and a signed DingTalk robot callback, each with a message id of its own.
Afterwards the database is checked: every scan counted once, every message stored once.

Memory: the resident set of each process (each gunicorn worker, the scheduler) when idle after
start-up, and its peak (VmHWM) after all the load, read from /proc.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

from sqlmodel import func, select

from app.demo import load_demo
from app.services.core import Actor, bind_actor, configure
from app.services.people import issue_token
from bench.benchdb import ROOT, bench_database, postgres_available
from bench.report import machine, write_section
from bench.servers import SECRET, gunicorn, memory_kib, scheduler
from bots.simulator import SimulatorServer, wire
from bots.simulator.deliver import dingtalk_payload
from bots.simulator.seed import DEMO_CONFIG
from models import clock
from models.bom import BomLine
from models.chat import ChatInbound
from models.enums import Channel, ChatPlatform
from models.orders import Order
from models.people import User
from models.scans import Scan

HEADING = "## HTTP ceilings with wrk, SQLite and PostgreSQL (bench/bench_http.py)"
MEMORY_HEADING = "### Memory of each process (bench/bench_http.py)"
WRK_DIR = ROOT / "bench" / "wrk"
SEED = 20261125
WORKERS = 2
ORDER = "GD-DEMO-03"
TEXT = "进度 GD-DEMO-03"
MATERIALS = ("Q345R-20", "VALVE-DN150", "MOTOR-75KW", "FLANGE-DN150", "GASKET-DN150", "BOLT-M20")
WX = DEMO_CONFIG["wechat_apps"][0]
DING = DEMO_CONFIG["dingtalk_apps"][0]
LISI = next(u for u in DEMO_CONFIG["users"] if u["userid"] == "lisi")
KINDS = ("/healthz (ceiling)", "scan, one per request", "WeChat safe mode", "DingTalk robot")
FLOOR = "floor: authenticated one-row write"
APP = "bench.floor_app:app"  # wsgi:app and the floor's route
READS = {"order page JSON": "", "shortages": "/shortages", "production Gantt": "/production/gantt"}
# Targets of issue 18 (Deliver 5), reported against, never asserted.
IDLE_TARGET_MIB = 110
LOAD_FACTOR_TARGET = 1.3


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


@dataclass(frozen=True)
class Result:
    engine: str
    kind: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    errors: int
    issued: int
    wrapped: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True)
class Counts:
    scans: int
    received: Decimal
    wechat: int
    dingtalk: int


def counts(db) -> Counts:
    with db.session() as s:
        received = s.exec(select(func.sum(BomLine.received))).one() or Decimal(0)

        def inbound(platform: ChatPlatform) -> int:
            query = select(func.count()).where(ChatInbound.platform == platform)
            return s.exec(query.select_from(ChatInbound)).one()

        scans = s.exec(select(func.count()).select_from(Scan)).one()
        return Counts(scans, received, inbound(ChatPlatform.wechat), inbound(ChatPlatform.dingtalk))


def wrk(script: str, url: str, connections: int, seconds: float, args: list[str]) -> dict:
    """Run wrk with `script` (bench/wrk/) and return what its done() printed."""
    threads = min(WORKERS, connections)
    argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds:g}s"]
    argv += ["--timeout", "30s", "-s", script, url, "--", *args]
    done = subprocess.run(argv, cwd=WRK_DIR, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            return json.loads(line.removeprefix("WRK_JSON "))
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def raw(host: str, target: str, headers: dict, body: bytes) -> bytes:
    """One HTTP/1.1 request as bytes, length-prefixed for bench/wrk/replay.lua."""
    lines = [f"POST {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    return f"{len(request)}\n".encode() + request


def wechat_push(rng: random.Random, now: int) -> tuple[str, dict, bytes]:
    """One signed, encrypted Official Account push with a message id of its own: the target,
    the headers and the body."""
    fields = {
        "ToUserName": "gh_simulator",
        "FromUserName": LISI["openid"],
        "CreateTime": now,
        "MsgType": "text",
        "Content": TEXT,
        "MsgId": rng.getrandbits(62),
    }
    args, body = wire.wechat_push(
        token=WX["token"], app_id=WX["appid"], aes_key=WX["encoding_aes_key"], fields=fields,
        timestamp=now, nonce=f"{rng.getrandbits(40):010x}",
    )  # fmt: skip
    return f"/bots/wechat?{urlencode(args)}", {"Content-Type": "text/xml"}, body


def wechat_requests(host: str, count: int, rng: random.Random) -> bytes:
    """Signed, encrypted Official Account pushes, each with a message id of its own."""
    now = int(clock.epoch())
    return b"".join(raw(host, *wechat_push(rng, now)) for _ in range(count))


def dingtalk_push(sim: SimulatorServer, now_ms: int) -> tuple[str, dict, bytes]:
    """One signed robot callback sent at `now_ms` (a sign is accepted once: one callback a
    millisecond), with its own message id and a sessionWebhook on the simulator."""
    conversation = "dingtalk:user:lisi"
    session = secrets.token_urlsafe(16)
    with sim.state.lock:
        sim.state.sessions[session] = (conversation, now_ms / 1000 + 3600)
    payload = dingtalk_payload(DING, conversation, LISI, TEXT, now_ms, sim.state)
    payload["sessionWebhook"] = f"{sim.url}/robot/sendBySession?session={session}"
    payload["sessionWebhookExpiredTime"] = now_ms + 3_600_000
    headers, body = wire.dingtalk_robot_push(
        app_secret=DING["appsecret"], payload=payload, now_ms=now_ms
    )
    return "/bots/dingtalk", headers, body


def dingtalk_requests(host: str, count: int, sim: SimulatorServer) -> bytes:
    """Signed robot callbacks, each with its own message id, timestamp and sessionWebhook."""
    start_ms = int(clock.epoch() * 1000)
    return b"".join(raw(host, *dingtalk_push(sim, start_ms + i)) for i in range(count))


class Runner:
    """Every request kind at one connection count against one server."""

    def __init__(
        self, engine: str, db, base: str, data: Seeded, sim, folder: Path, workers=lambda: []
    ):
        self.engine, self.db, self.base, self.data, self.sim = engine, db, base, data, sim
        self.folder = folder
        self.workers = workers  # the gunicorn worker pids, for their CPU time
        self.cpu: dict[tuple[str, int], float | None] = {}  # CPU ms per request, by kind
        self.machine_cpu: dict[tuple[str, int], float] = {}  # the whole machine's, likewise
        self.sim_cpu: dict[tuple[str, int], float] = {}  # this process's: the simulator
        self.rng = random.Random(f"{SEED}-{engine}")
        self.run_number = 0
        self.problems: list[str] = []

    def result(self, kind: str, connections: int, out: dict) -> Result:
        errors = sum(out[k] for k in ("connect_errors", "read_errors", "write_errors"))
        errors += out["status_errors"] + out["timeouts"]
        return Result(
            self.engine, kind, connections, out["requests"], out["duration_us"] / 1e6,
            out["p50_us"] / 1000, out["p99_us"] / 1000, out["p999_us"] / 1000,
            errors, out["issued"], out["wrapped"],
        )  # fmt: skip

    def replay(self, kind: str, body: bytes, connections: int, seconds: float) -> Result:
        path = self.folder / f"{self.engine}-{kind[:6]}-{connections}.req"
        path.write_bytes(body)
        threads = min(WORKERS, connections)
        args = [str(path), str(threads)]
        result = self.measured(
            kind, connections, lambda: wrk("replay.lua", self.base, connections, seconds, args)
        )
        path.unlink()
        return result

    def measured(self, kind: str, connections: int, load) -> Result:
        """Run `load` (a wrk run) and keep the CPU per request it cost: the workers', the
        machine's and this process's (the simulator)."""
        pids = self.workers()
        before, machine_before = cpu_seconds(pids), machine_cpu_seconds()
        own_before = time.process_time()
        out = load()
        time.sleep(0.2)  # the last replies' after-work (the DingTalk push) is counted too
        after = cpu_seconds(pids) if self.workers() == pids else None
        machine_after, own_after = machine_cpu_seconds(), time.process_time()
        result = self.result(kind, connections, out)
        if result.requests:
            busy = machine_after - machine_before
            self.machine_cpu[(kind, connections)] = busy * 1000 / result.requests
            self.sim_cpu[(kind, connections)] = (own_after - own_before) * 1000 / result.requests
        if before is not None and after is not None and result.requests:
            self.cpu[(kind, connections)] = (after - before) * 1000 / result.requests
        return result

    def scans(self, connections: int, seconds: float) -> Result:
        self.run_number += 1
        token = self.data.scanner["Authorization"].removeprefix("Bearer ")
        args = [str(self.run_number), str(self.data.order_id), token, *MATERIALS]
        return self.measured(
            KINDS[1], connections, lambda: wrk("scan.lua", self.base, connections, seconds, args)
        )

    def floor(self, connections: int, seconds: float) -> Result:
        """The scans' requests to the floor route: what any authenticated write costs."""
        self.run_number += 1
        token = self.data.scanner["Authorization"].removeprefix("Bearer ")
        args = [str(self.run_number), str(self.data.order_id), token, *MATERIALS]
        result = self.measured(
            FLOOR, connections, lambda: wrk("floor.lua", self.base, connections, seconds, args)
        )
        if result.errors:
            self.problems.append(f"{self.engine}, floor, {connections} connections: errors")
        return result

    def checked_scans(self, connections: int, seconds: float) -> Result:
        """Single scans, then the check: every answered scan counted once."""
        before = counts(self.db)
        scans = self.scans(connections, seconds)
        time.sleep(0.5)  # requests cut off by wrk's end are still answered
        after = counts(self.db)
        self.check(scans, before.scans, after.scans, "scans")
        if after.received - before.received != after.scans - before.scans:
            self.problems.append(
                f"{self.engine}, scans, {connections} connections: "
                f"{after.scans - before.scans} scans but "
                f"{after.received - before.received} received"
            )
        return scans

    def check(self, result: Result, before: int, after: int, what: str) -> None:
        """Every answered request stored once; at most the ones in flight at the end beyond."""
        stored = after - before
        answered = result.requests - result.errors
        low, high = answered, result.issued
        if result.wrapped:
            self.problems.append(
                f"{self.engine}, {what}, {result.connections} connections: the pre-built "
                f"requests ran out and were sent again ({result.wrapped} times)"
            )
            high = min(high, stored)
        if not low <= stored <= high or result.errors:
            self.problems.append(
                f"{self.engine}, {what}, {result.connections} connections: {stored} stored, "
                f"{answered} answered, {result.issued} sent, {result.errors} errors"
            )

    def at(self, connections: int, seconds: float, *, only: str | None = None) -> list[Result]:
        """Every kind at this connection count; `only`: "webhooks" or "scans" alone."""
        host = self.base.removeprefix("http://")
        healthz = self.ceiling(connections, seconds)
        if only == "scans":
            floor = self.floor(connections, seconds)
            scans = self.checked_scans(connections, seconds)
            return [self.higher(healthz, self.ceiling(connections, seconds)), floor, scans]
        # Enough pre-built messages for the run even at the ceiling's rate (never fewer than
        # 2,000); replay.lua reports it when a thread runs out anyway.
        enough = max(2000, min(40000, int(healthz.per_second * seconds * 1.2)))
        wechat_body = wechat_requests(host, enough, self.rng)
        ding_body = dingtalk_requests(host, enough, self.sim)
        if only == "webhooks":
            middle = counts(self.db)
            wechat = self.replay(KINDS[2], wechat_body, connections, seconds)
            ding = self.replay(KINDS[3], ding_body, connections, seconds)
            time.sleep(0.5)
            after = counts(self.db)
            self.check(wechat, middle.wechat, after.wechat, "WeChat")
            self.check(ding, middle.dingtalk, after.dingtalk, "DingTalk")
            return [self.higher(healthz, self.ceiling(connections, seconds)), wechat, ding]
        floor = self.floor(connections, seconds)
        scans = self.checked_scans(connections, seconds)
        middle = counts(self.db)
        wechat = self.replay(KINDS[2], wechat_body, connections, seconds)
        ding = self.replay(KINDS[3], ding_body, connections, seconds)
        time.sleep(0.5)
        after = counts(self.db)
        self.check(wechat, middle.wechat, after.wechat, "WeChat")
        self.check(ding, middle.dingtalk, after.dingtalk, "DingTalk")
        reads = self.reads(connections, seconds)
        healthz = self.higher(healthz, self.ceiling(connections, seconds))
        return [healthz, *reads, floor, scans, wechat, ding]

    def ceiling(self, connections: int, seconds: float) -> Result:
        out = wrk("healthz.lua", f"{self.base}/healthz", connections, seconds, [])
        return self.result(KINDS[0], connections, out)

    @staticmethod
    def higher(first: Result, second: Result) -> Result:
        """The ceiling is /healthz measured before and after the other kinds, the faster of the
        two: one cut short by a busy moment on a shared machine would flatter every ratio."""
        return first if first.per_second >= second.per_second else second

    def reads(self, connections: int, seconds: float) -> list[Result]:
        token = self.data.reader["Authorization"].removeprefix("Bearer ")
        out = []
        for kind, tail in READS.items():
            path = f"/api/orders/{self.data.order_id}{tail}"
            result = self.result(
                kind, connections, wrk("get.lua", self.base, connections, seconds, [path, token])
            )
            if result.errors:
                self.problems.append(
                    f"{self.engine}, {kind}, {connections} connections: {result.errors} errors"
                )
            out.append(result)
        return out


CPU_MS: dict[tuple[str, str, int], float | None] = {}  # (engine, kind, connections)
MACHINE_MS: dict[tuple[str, str, int], float] = {}  # likewise, every process on the machine
SIMULATOR_MS: dict[tuple[str, str, int], float] = {}  # likewise, the simulator (this process)


@dataclass
class Memory:
    engine: str
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


def cpu_seconds(pids: list[int]) -> float | None:
    """User + system CPU seconds these processes used so far; None if one is gone."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    except (FileNotFoundError, ProcessLookupError):
        return None
    return total / tick


def machine_cpu_seconds() -> float:
    """CPU seconds every process on this machine has used so far (all but idle and iowait in
    /proc/stat): the workers, PostgreSQL, the simulator, wrk and anything else running."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def peak_or_none(pid: int) -> int | None:
    try:
        return memory_kib(pid)[1]
    except FileNotFoundError:
        return None


def engine_run(
    engine: str,
    sim: SimulatorServer,
    seconds: float,
    connections: list[int],
    folder: Path,
    *,
    only: str | None = None,
) -> tuple[list[Result], list[Memory], list[str]]:
    began = time.monotonic()

    def phase(name: str) -> None:
        print(f"bench_http {engine}: {name} at {time.monotonic() - began:.0f} s", file=sys.stderr)

    with bench_database(engine, f"bench_http_{engine[:2]}") as db:
        phase("migrated")
        data = seed(db)
        phase("seeded")
        web_ctx = gunicorn(db.url, sim_port=sim.port, workers=WORKERS, config=True, app=APP)
        with web_ctx as web, scheduler(db.url, sim_port=sim.port) as sched:
            pids = {f"gunicorn worker {i}": pid for i, pid in enumerate(web.workers(), 1)}
            pids["scheduler"] = sched.pid
            idle = settled(pids)
            phase("started, idle memory read")
            runner = Runner(engine, db, web.base, data, sim, folder, workers=web.workers)
            # Warm-up: every worker's first requests of each kind (a worker's first WeChat
            # message imports wechatpy, about 0.1 s). At the most connections measured: one
            # connection reaches one worker only, and the other's first requests then fell in
            # the measured runs (WeChat's p99.9 at 4 connections: 117-126 ms, at 1: 6 ms).
            runner.at(max(connections), min(seconds, 1), only=only)
            runner.cpu.clear()
            runner.machine_cpu.clear()
            runner.sim_cpu.clear()
            phase("warmed up")
            results = [r for c in connections for r in runner.at(c, seconds, only=only)]
            phase("measured")
            peaks = {name: peak_or_none(pid) for name, pid in pids.items()}
    memory = [Memory(engine, name, idle[name], peaks[name]) for name in pids]
    CPU_MS.update({(engine, *key): value for key, value in runner.cpu.items()})
    MACHINE_MS.update({(engine, *key): value for key, value in runner.machine_cpu.items()})
    SIMULATOR_MS.update({(engine, *key): value for key, value in runner.sim_cpu.items()})
    return results, memory, runner.problems


def run(
    seconds: float, connections: list[int], *, only: str | None = None
) -> tuple[list[Result], list[Memory], list[str]]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's request log
    results, memory, problems = [], [], []
    with (
        SimulatorServer(delivery_timeout=5.0) as sim,
        tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder,
    ):
        sim.state.replace(DEMO_CONFIG)
        for engine in ("sqlite", "postgresql"):
            r, m, p = engine_run(engine, sim, seconds, connections, Path(folder), only=only)
            results += r
            memory += m
            problems += p
    return results, memory, problems


def wrk_version() -> str:
    done = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return (done.stdout or done.stderr).splitlines()[0].split(" Copyright")[0]


def table(results: list[Result]) -> list[str]:
    lines = [
        "| engine | request | connections | requests/s | p50 ms | p99 ms | p99.9 ms "
        "| ratio to /healthz | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ceilings = {(r.engine, r.connections): r for r in results if r.kind == KINDS[0]}
    for r in results:
        ceiling = ceilings[(r.engine, r.connections)]
        lines.append(
            f"| {r.engine} | {r.kind} | {r.connections} | {r.per_second:,.1f} "
            f"| {r.p50_ms:,.2f} | {r.p99_ms:,.2f} | {r.p999_ms:,.2f} "
            f"| {r.per_second / ceiling.per_second:.3f} | {r.errors} |"
        )
    return lines


def floor_lines(results: list[Result]) -> list[str]:
    """The single scans' requests/s against the floor's at each engine and connection count."""
    floors = {(r.engine, r.connections): r for r in results if r.kind == FLOOR}
    pairs = [
        (r, floors[(r.engine, r.connections)])
        for r in results
        if r.kind == KINDS[1] and (r.engine, r.connections) in floors
    ]
    if not pairs:
        return []
    return [
        "Single scans against the floor (the same requests to bench/floor_app.py's route, "
        "which checks the token, validates the body, inserts one change-log row and commits: "
        "what any authenticated write costs here), requests/s of scans / of the floor: "
        + "; ".join(
            f"{scan.engine} at {scan.connections}: {scan.per_second / floor.per_second:.2f}"
            for scan, floor in pairs
        )
        + ". The floor's own ratio to /healthz is the table's.",
        "",
    ]


def memory_lines(memory: list[Memory]) -> list[str]:
    lines = [
        MEMORY_HEADING,
        "",
        "Resident set from /proc: idle is VmRSS once start-up is over (no growth for 2 s), "
        "before any request; under load is VmHWM (the peak) after every wrk run above on that "
        f"engine. Targets (issue 18): a worker idle at most {IDLE_TARGET_MIB} MiB and at most "
        f"{LOAD_FACTOR_TARGET}x its idle under load; the scheduler at most {IDLE_TARGET_MIB} MiB "
        "at its peak.",
        "",
        "| engine | process | idle MiB | peak under load MiB | peak / idle | target met |",
        "|---|---|---:|---:|---:|---|",
    ]
    for m in memory:
        idle = m.idle_kib / 1024
        if m.peak_kib is None:
            lines.append(
                f"| {m.engine} | {m.name} | {idle:,.1f} | replaced during the run | — | — |"
            )
            continue
        factor = m.peak_kib / m.idle_kib
        if m.name == "scheduler":  # its jobs run in it: judged by its peak
            met = m.peak_kib / 1024 <= IDLE_TARGET_MIB
        else:
            met = idle <= IDLE_TARGET_MIB and factor <= LOAD_FACTOR_TARGET
        lines.append(
            f"| {m.engine} | {m.name} | {idle:,.1f} | {m.peak_kib / 1024:,.1f} "
            f"| {factor:.2f} | {'yes' if met else '**no**'} |"
        )
    return lines


def section(seconds: float, connections: list[int]) -> str:
    if not postgres_available():
        return f"{HEADING}\n\nPostgreSQL was not reachable: nothing measured.\n"
    results, memory, problems = run(seconds, connections)
    lines = [
        HEADING,
        "",
        f"{clock.now():%Y-%m-%d %H:%M} UTC; {machine()}; {wrk_version()}. gunicorn with "
        "gunicorn.conf.py (gthread balanced by app/worker.py, 4 threads per worker) and "
        f"{WORKERS} workers, the "
        "scheduler and the chat simulator on 127.0.0.1; wrk with min(2, connections) threads, "
        f"{seconds:g} s per request kind and connection count "
        f"({', '.join(map(str, connections))}), Lua scripts in bench/wrk/. Latencies are "
        "wrk's (request written to response read). Ratio: requests/s to /healthz's "
        "requests/s on the same server at the same connections (/healthz runs before and "
        "after the other kinds; the table keeps the faster run).",
        "",
        *table(results),
        "",
        *floor_lines(results),
        "Checked in the database after each run: every scan answered counted once (scan "
        "rows = units received, between the answered and the sent requests: wrk cuts the "
        "last ones off), every WeChat and DingTalk message stored once (chat_inbound rows "
        f"likewise). {'All counts exact.' if not problems else '**Problems:**'}",
        *[f"- {p}" for p in problems],
        "",
        *memory_lines(memory),
    ]
    return "\n".join(lines) + "\n"


def cpu_lines(*, simulator: bool = True) -> list[str]:
    """The CPU per request of every kind measured alone: the workers', the machine's and (for
    the webhooks, whose DingTalk replies it takes) the simulator's."""
    lines = [
        "Worker CPU per request (user + system time of the gunicorn workers over the run, "
        "divided by the requests answered; steadier than latency on a shared machine): "
        + "; ".join(
            f"{engine} {kind} at {c}: "
            + (f"{value:.1f} ms" if value is not None else "a worker was replaced")
            for (engine, kind, c), value in CPU_MS.items()
        )
        + ".",
        "",
        "Machine CPU per request (every process on the machine over the run, from /proc/stat: "
        "the workers, PostgreSQL, the simulator taking the DingTalk replies, wrk): "
        + "; ".join(
            f"{engine} {kind} at {c}: {value:.1f} ms"
            for (engine, kind, c), value in MACHINE_MS.items()
        )
        + f". With c connections each waiting for its answer before the next request, the "
        f"{os.cpu_count()} cores answer at most {os.cpu_count()} / (machine CPU per request) "
        "requests a second, so the mean latency is at least c x (machine CPU per request) / "
        f"{os.cpu_count()}: the floor the p99 sits above.",
        "",
    ]
    if not simulator:
        return lines
    return [
        *lines,
        "Of that, the chat simulator's CPU per request (this benchmark's process, which takes "
        "the DingTalk replies in place of DingTalk's servers): "
        + "; ".join(
            f"{engine} {kind} at {c}: {value:.1f} ms"
            for (engine, kind, c), value in SIMULATOR_MS.items()
        )
        + ".",
        "",
    ]


@dataclass(frozen=True)
class Alone:
    """A group of request kinds measured alone (`--webhooks`, `--scans`): its section."""

    heading: str
    what: str
    targets: str
    checked: str


ALONE = {
    "webhooks": Alone(
        "## Chat webhooks with wrk, SQLite and PostgreSQL (bench/bench_http.py --webhooks)",
        "signed requests of the HTTP ceilings section (bench_http.py), the webhooks alone",
        "p99 at most 25 ms on PostgreSQL and 40 ms on SQLite at 4 connections.",
        "every WeChat and DingTalk message answered stored once in chat_inbound.",
    ),
    "scans": Alone(
        "## Single scans with wrk, SQLite and PostgreSQL (bench/bench_http.py --scans)",
        "scan requests of the HTTP ceilings section (bench_http.py), single scans alone",
        "p50 at most 8 ms at one connection; at least 0.35 of /healthz on PostgreSQL at 16 "
        "connections.",
        "every scan answered counted once.",
    ),
}


def alone_section(only: str, seconds: float, connections: list[int]) -> str:
    """One group of request kinds alone (and /healthz for the ratio), with their CPU per
    request, counts checked."""
    group = ALONE[only]
    heading = group.heading
    if not postgres_available():
        return f"{heading}\n\nPostgreSQL was not reachable: nothing measured.\n"
    results, _memory, problems = run(seconds, connections, only=only)
    lines = [
        heading,
        "",
        f"{clock.now():%Y-%m-%d %H:%M} UTC; {machine()}; {wrk_version()}. The servers and "
        f"{group.what}: {seconds:g} s per kind and connection count "
        f"({', '.join(map(str, connections))}). Targets (issue 18): {group.targets}",
        "",
        *table(results),
        "",
        *floor_lines(results),
        *cpu_lines(simulator=only == "webhooks"),
        f"Checked in the database after each run: {group.checked} "
        f"{'All counts exact.' if not problems else '**Problems:**'}",
        *[f"- {p}" for p in problems],
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--seconds", type=float, default=10, help="length of each wrk run")
    parser.add_argument("--connections", default="1,4,16", help="comma-separated counts")
    parser.add_argument("--webhooks", action="store_true", help="the chat webhooks alone")
    parser.add_argument("--scans", action="store_true", help="single scans alone")
    args = parser.parse_args(argv)
    connections = [int(c) for c in args.connections.split(",")]
    only = "webhooks" if args.webhooks else "scans" if args.scans else None
    if only:
        text, heading = alone_section(only, args.seconds, connections), ALONE[only].heading
    else:
        text, heading = section(args.seconds, connections), HEADING
    print(text, end="")
    if args.out:
        write_section(args.out, heading, text)


if __name__ == "__main__":
    main()
