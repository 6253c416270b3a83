"""Instructions per request, by valgrind: `python -m bench.bench_instructions [--requests N]`.

Wall-clock figures on a shared two-core machine move by half between two runs of the same code
(the reference loop took 50 ms and then 75 ms within one hour on 2026-12-07, and a WeChat push
6.0 against 2.9 ms of a worker's CPU); a count of the instructions executed does not: the same
code given the same requests counts the same within 1 % (0.0-0.8 % between two runs). So each
request kind of bench_http.py (/healthz, the order page JSON, its shortages and its production
Gantt chart, the floor, a single scan, a WeChat safe-mode push, a DingTalk robot callback) is
answered N times by the production app (wsgi:app with bench/floor_app.py's route) in a process
run under callgrind, which counts only while those N are answered, after a warm-up. The requests
go in as WSGI environments built beforehand (no gunicorn, no socket, no test client on the way
in: the app's own work). Counted: the request thread and the worker's reply thread (the DingTalk
reply's POST and the UPDATE that records it). Not counted: PostgreSQL (another process; its SQL
statements per request are reported instead) and the chat simulator that takes the DingTalk
replies (it runs in this process, as DingTalk's servers are not on our machine).

Each kind is compared with /healthz counted the same way, and the scans with the floor: the
app's part of the ratios bench_http.py measures with wrk (those add gunicorn, the kernel's
sockets and PostgreSQL's own work), without the machine's noise. A change that claims to
make a request cheaper can be checked here in minutes: the same count before and after it
(`--kinds wechat --engines postgresql --requests 40`: one kind in about a minute).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bench.bench_http import (
    FLOOR,
    KINDS,
    MATERIALS,
    READS,
    SEED,
    dingtalk_push,
    seed,
    wechat_push,
)
from bench.benchdb import ROOT, bench_database, postgres_available
from bench.report import machine, write_section
from bench.servers import bench_env
from bots.simulator import SimulatorServer
from bots.simulator.seed import DEMO_CONFIG
from models import clock

HEADING = "## Instructions per request, counted by callgrind (bench/bench_instructions.py)"
WARM_UP = 30
NAMES = {"healthz": KINDS[0], "order": "order page JSON", "shortages": "shortages"}
NAMES |= {"gantt": "production Gantt", "floor": FLOOR, "scan": KINDS[1], "wechat": KINDS[2]}
NAMES["dingtalk"] = KINDS[3]
TOTALS = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


@dataclass(frozen=True)
class Count:
    engine: str
    kind: str
    requests: int
    instructions: int
    statements: float

    @property
    def per_request(self) -> float:
        return self.instructions / self.requests


def requests_for(kind: str, count: int, data, sim: SimulatorServer, rng: random.Random) -> list:
    """`count` requests of `kind` as (method, target, headers, body), each a new one."""
    if kind == KINDS[0]:
        return [("GET", "/healthz", {}, b"")] * count
    if kind in READS:
        return [("GET", f"/api/orders/{data.order_id}{READS[kind]}", data.reader, b"")] * count
    if kind in (FLOOR, KINDS[1]):
        path = "/bench/floor" if kind == FLOOR else "/api/scans"
        headers = {**data.scanner, "Content-Type": "application/json"}
        return [
            ("POST", path, headers, json.dumps(_scan(data.order_id, i, rng)).encode())
            for i in range(count)
        ]
    if kind == KINDS[2]:
        now = int(clock.epoch())
        return [("POST", *wechat_push(rng, now)) for _ in range(count)]
    start_ms = int(clock.epoch() * 1000) + rng.randrange(1000)
    return [("POST", *dingtalk_push(sim, start_ms + i)) for i in range(count)]


def _scan(order_id: int, i: int, rng: random.Random) -> dict:
    """The body bench/wrk/scan.lua sends."""
    return {
        "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "result": MATERIALS[i % len(MATERIALS)],
        "scanType": "CODE_128",
        "action": "receive",
        "quantity": 1,
        "order_id": order_id,
        "confirm_over": True,
    }


def count(engine: str, kind: str, env: dict, requests: list, folder: Path) -> Count:
    """Run the child under callgrind for one kind; its instructions and statements."""
    job = folder / "job.pickle"
    job.write_bytes(pickle.dumps({"env": env, "warm": WARM_UP, "requests": requests}))
    out = folder / "callgrind.out"
    argv = [
        "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
        sys.executable, "-m", "bench.bench_instructions", "--child", str(job),
    ]  # fmt: skip
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("COUNTED ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{engine} {kind}: the counted run failed\n{done.stderr[-3000:]}")
    counted = json.loads(lines[-1].removeprefix("COUNTED "))
    totals = TOTALS.findall(out.read_bytes())
    out.unlink()
    n = len(requests) - WARM_UP
    return Count(engine, kind, n, int(totals[-1]), counted["statements"] / n)


def child(job_path: str) -> None:
    """In the process valgrind runs: answer the warm-up, then the counted requests."""
    job = pickle.loads(Path(job_path).read_bytes())
    os.environ.update(job["env"])
    from sqlalchemy import event, func, select
    from werkzeug.test import EnvironBuilder

    from app.memory import freeze_start_up
    from bench.floor_app import app
    from models.enums import OutboxStatus
    from models.outbox import Outbox

    freeze_start_up()  # as gunicorn.conf.py's post_worker_init does in a worker
    db = app.extensions["gendan.db"]

    def sent() -> int:
        with db.session(readonly=True) as s:
            query = select(func.count()).select_from(Outbox)
            return s.execute(query.where(Outbox.status == OutboxStatus.sent)).scalar_one()

    def environs(batch) -> list[tuple[dict, bytes]]:
        """WSGI environments built before the count: the app's work is counted, not the
        building of its input."""
        out = []
        for method, target, headers, body in batch:
            path, _, query = target.partition("?")
            builder = EnvironBuilder(
                path=path, query_string=query, method=method, headers=headers, data=body
            )
            out.append((builder.get_environ(), body))
        return out

    def answer(batch) -> None:
        for environ, body in batch:
            environ = {**environ, "wsgi.input": io.BytesIO(body)}
            status: list[str] = []
            result = app(environ, partial(_start_response, status))
            try:
                for _ in result:
                    pass
            finally:
                getattr(result, "close", lambda: None)()
            if int(status[0].split()[0]) >= 400:
                raise SystemExit(f"{environ['PATH_INFO']}: {status[0]}")

    def replies_sent(expected: int) -> None:
        """Wait for the reply thread's work (the DingTalk replies) to be done too."""
        deadline = time.monotonic() + 600
        while sent() < expected:
            if time.monotonic() > deadline:
                raise SystemExit(f"{sent()} of {expected} replies sent after 10 minutes")
            time.sleep(0.2)

    requests = job["requests"]
    replies = requests[0][1] == "/bots/dingtalk"  # each answered by a reply on the thread
    warm, counted = environs(requests[: job["warm"]]), environs(requests[job["warm"] :])
    start = sent()
    answer(warm)
    replies_sent(start + len(warm) if replies else 0)
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
    callgrind("on")
    answer(counted)
    replies_sent(start + len(warm) + len(counted) if replies else 0)
    callgrind("off")
    print("COUNTED " + json.dumps({"statements": len(statements)}), flush=True)


def _start_response(status: list[str], code: str, headers, exc_info=None) -> None:
    status.append(code)


def callgrind(state: str) -> None:
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], capture_output=True)


def engine_counts(
    engine: str, kinds: list[str], n: int, sim: SimulatorServer, folder: Path
) -> list[Count]:
    rng = random.Random(f"{SEED}-{engine}")
    with bench_database(engine, "bench_instr") as db:
        data = seed(db)
        env = {**bench_env(db.url, str(folder), sim.port), "LOG_LEVEL": "WARNING"}
        counts = []
        for kind in kinds:
            requests = requests_for(kind, WARM_UP + n, data, sim, rng)
            counts.append(count(engine, kind, env, requests, folder))
            print(f"bench_instructions {engine}: {kind} counted", file=sys.stderr, flush=True)
        return counts


def section(counts: list[Count], n: int) -> str:
    lines = [
        HEADING,
        "",
        f"{clock.now():%Y-%m-%d %H:%M} UTC; {machine()}; "
        f"{_version('valgrind')}. Each kind: {WARM_UP} requests to warm up, then {n} counted, "
        "as WSGI environments built beforehand, straight into the production app "
        "(wsgi:app and the floor's route), in a process of its own under callgrind; "
        "instructions of the request thread and the worker's reply thread, not PostgreSQL's "
        "nor the simulator's.",
        "",
        "| engine | request | instructions per request (millions) | ratio to /healthz "
        "| SQL statements per request |",
        "|---|---|---:|---:|---:|",
    ]
    healthz = {c.engine: c for c in counts if c.kind == KINDS[0]}
    for c in counts:
        ceiling = healthz.get(c.engine)
        ratio = f"{ceiling.per_request / c.per_request:.3f}" if ceiling else "-"
        lines.append(
            f"| {c.engine} | {c.kind} | {c.per_request / 1e6:,.2f} | {ratio} | {c.statements:.1f} |"
        )
    floors = {c.engine: c for c in counts if c.kind == FLOOR}
    scans = [c for c in counts if c.kind == KINDS[1] and c.engine in floors]
    lines += [
        "",
        "Ratio: /healthz's instructions per request over the kind's, the requests a second "
        "the kind would reach against /healthz if the CPU were all that counted. Single scans "
        "against the floor, the floor's instructions over the scan's: "
        + "; ".join(f"{s.engine} {floors[s.engine].per_request / s.per_request:.2f}" for s in scans)
        + ".",
        "",
    ]
    return "\n".join(lines)


def _version(tool: str) -> str:
    done = subprocess.run([tool, "--version"], capture_output=True, text=True)
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="counted requests per kind")
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument(
        "--kinds", default=",".join(NAMES), help=f"comma-separated, of {','.join(NAMES)}"
    )
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return
    if shutil.which("valgrind") is None:
        print(f"{HEADING}\n\nSkipped: valgrind is not installed (`make bench-system-deps`).\n")
        return
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's request log
    unknown = set(args.kinds.split(",")) - set(NAMES)
    engines = args.engines.split(",")
    if unknown or not set(engines) <= {"sqlite", "postgresql"}:
        parser.error(f"--kinds takes {','.join(NAMES)}; --engines takes sqlite,postgresql")
    kinds = [NAMES[name] for name in args.kinds.split(",")]
    if "postgresql" in engines and not postgres_available():
        engines.remove("postgresql")
    counts = []
    with (
        SimulatorServer(delivery_timeout=5.0) as sim,
        tempfile.TemporaryDirectory(prefix="bench-instr-") as folder,
    ):
        sim.state.replace(DEMO_CONFIG)
        for engine in engines:
            counts += engine_counts(engine, kinds, args.requests, sim, Path(folder))
    text = section(counts, args.requests)
    print(text)
    if args.out:
        write_section(args.out, HEADING, text)


if __name__ == "__main__":
    main()
