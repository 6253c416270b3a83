"""Chat webhooks through gunicorn: `python -m bench.bench_webhooks [--out FILE] [--seconds S]`.

Demo data in a PostgreSQL schema of its own, gunicorn with 2 workers on 127.0.0.1 configured
for the chat simulator (also on 127.0.0.1). Client threads post, for a fixed time each:
`进度 GD-DEMO-03` from 李四 as an encrypted WeChat Official Account message (safe mode: signature
check, AES decryption, dedupe, the order lookup, an encrypted passive reply), and the same as a
signed DingTalk robot callback (signature and timestamp check, dedupe, the reply queued in the
outbox and pushed to the simulator's sessionWebhook after the acknowledgement). The figure is
the acknowledged time (request sent to response read) p50/p99; the ceiling is GET /healthz on
the same server under the same client load.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import time
from pathlib import Path

from bench.bench_http import TEXT, dingtalk_push, seed, wechat_push
from bench.benchdb import bench_database, postgres_available
from bench.pyclient import Rate, measure
from bench.report import machine, write_section
from bench.servers import gunicorn
from bots.simulator import SimulatorServer
from bots.simulator.seed import DEMO_CONFIG

HEADING = "## Chat webhooks through gunicorn (bench/bench_webhooks.py)"


def calls(base: str, sim: SimulatorServer) -> dict:
    def healthz(http, _rng) -> int:
        http.get(f"{base}/healthz", timeout=60).raise_for_status()
        return 1

    def wechat(http, rng) -> int:
        target, headers, body = wechat_push(rng, int(time.time()))
        r = http.post(f"{base}{target}", headers=headers, data=body, timeout=60)
        if r.status_code != 200 or "<Encrypt>" not in r.text:
            raise RuntimeError(f"wechat: {r.status_code} {r.text[:200]}")
        return 1

    # A DingTalk sign is accepted once: each callback its own millisecond, whichever client
    # thread sends it (two in the same millisecond were refused as replayed).
    stamps = itertools.count(int(time.time() * 1000))

    def dingtalk(http, _rng) -> int:
        target, headers, body = dingtalk_push(sim, next(stamps))
        r = http.post(f"{base}{target}", headers=headers, data=body, timeout=60)
        if r.status_code != 200:
            raise RuntimeError(f"dingtalk: {r.status_code} {r.text[:200]}")
        return 1

    return {
        "/healthz (ceiling)": healthz,
        "WeChat, encrypted (safe mode), passive reply": wechat,
        "DingTalk robot, signed, reply pushed after": dingtalk,
    }


def run(seconds: float, clients: int) -> tuple[list[Rate], int]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the simulator's request log
    with (
        SimulatorServer(delivery_timeout=5.0) as sim,
        bench_database("postgresql", "bench_webhooks") as db,
    ):
        sim.state.replace(DEMO_CONFIG)
        seed(db)
        with gunicorn(db.url, sim_port=sim.port) as web:
            kinds = calls(web.base, sim)
            measure("warm-up", kinds["WeChat, encrypted (safe mode), passive reply"], 1, clients)
            rates = [measure(name, call, seconds, clients) for name, call in kinds.items()]
            time.sleep(1)  # the last DingTalk replies leave after their acknowledgement
        replies = sum(1 for c in sim.state.calls if "/robot/sendBySession" in c.get("path", ""))
    return rates, replies


def section(seconds: float, clients: int) -> str:
    if not postgres_available():
        return f"{HEADING}\n\nPostgreSQL was not reachable: nothing measured.\n"
    rates, replies = run(seconds, clients)
    ceiling = rates[0]
    lines = [
        HEADING,
        "",
        f"{machine()}; gunicorn 2 workers (gunicorn.conf.py: gthread balanced by app/worker.py, "
        "4 threads each) "
        f"on 127.0.0.1, PostgreSQL, the chat simulator; "
        f"{clients} client threads, {seconds:g} s per kind; `{TEXT}` from 李四. Acknowledged "
        "time = request sent to response read. Ratios are to /healthz on the same server "
        "under the same client load.",
        "",
        "| webhook | requests/s | p50 ms | p99 ms | p50 / ceiling | p99 / ceiling |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for rate in rates:
        lines.append(
            f"| {rate.name} | {rate.requests_per_s:,.1f} | {rate.p50_ms:,.1f} "
            f"| {rate.p99_ms:,.1f} | {rate.p50_ms / ceiling.p50_ms:.1f} "
            f"| {rate.p99_ms / ceiling.p99_ms:.1f} |"
        )
    ding = rates[2].units
    lines += ["", f"DingTalk replies pushed to the sessionWebhook: {replies} of {ding}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--seconds", type=float, default=10, help="length of each measurement")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    args = parser.parse_args(argv)
    text = section(args.seconds, args.clients)
    print(text, end="")
    if args.out:
        write_section(args.out, HEADING, text)


if __name__ == "__main__":
    main()
