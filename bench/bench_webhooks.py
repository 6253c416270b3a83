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
import logging
import secrets
import time
from pathlib import Path

from bench.bench_http import seed
from bench.benchdb import bench_database, postgres_available
from bench.pyclient import Rate, measure
from bench.report import machine, write_section
from bench.servers import gunicorn
from bots.simulator import SimulatorServer, wire
from bots.simulator.deliver import dingtalk_payload
from bots.simulator.seed import DEMO_CONFIG

HEADING = "## Chat webhooks through gunicorn (bench/bench_webhooks.py)"
TEXT = "进度 GD-DEMO-03"
WX = DEMO_CONFIG["wechat_apps"][0]
DING = DEMO_CONFIG["dingtalk_apps"][0]
LISI = next(u for u in DEMO_CONFIG["users"] if u["userid"] == "lisi")


def calls(base: str, sim: SimulatorServer) -> dict:
    def healthz(http, _rng) -> int:
        http.get(f"{base}/healthz", timeout=60).raise_for_status()
        return 1

    def wechat(http, rng) -> int:
        fields = {
            "ToUserName": "gh_simulator",
            "FromUserName": LISI["openid"],
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": TEXT,
            "MsgId": rng.getrandbits(62),
        }
        args, body = wire.wechat_push(
            token=WX["token"],
            app_id=WX["appid"],
            aes_key=WX["encoding_aes_key"],
            fields=fields,
            timestamp=int(time.time()),
        )
        r = http.post(f"{base}/bots/wechat", params=args, data=body, timeout=60)
        if r.status_code != 200 or "<Encrypt>" not in r.text:
            raise RuntimeError(f"wechat: {r.status_code} {r.text[:200]}")
        return 1

    def dingtalk(http, _rng) -> int:
        now_ms = int(time.time() * 1000)
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
        r = http.post(f"{base}/bots/dingtalk", headers=headers, data=body, timeout=60)
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
        f"{machine()}; gunicorn 2 workers (gunicorn.conf.py: gthread, 4 threads each) "
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
