"""Chat bot benchmark: `python -m bench.bench_bots [--out FILE] [--messages N] [--database URL]`.

Against the local chat simulator and a Gendan app served by werkzeug on 127.0.0.1, in a freshly
migrated SQLite file (or the database given):

- webhook latency of `进度 <订单号>` in WeChat safe mode (verify, decrypt, dedupe, DB call,
  encrypted passive reply), against `/healthz` on the same server as the ceiling;
- outbox throughput: queued private messages drained to the simulator, against posting the
  same messages to the simulator directly;
- the digest: how many robot calls a burst of messages for one group becomes.
"""

from __future__ import annotations

import argparse
import platform
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import requests

from app import create_app
from app.services.chat import bind_identity, create_group, enqueue, group_target, user_target
from app.services.core import Actor, settings
from app.services.orders import create_order
from app.services.people import create_user
from bench.bench_production import migrate
from bench.servers import UNLIMITED
from bots.delivery.deliverer import OutboxDeliverer
from bots.simulator import SimulatorServer, wire
from bots.simulator.seed import DEMO_CONFIG, gendan_env
from models import clock
from models.chat import ChatGroupCreate
from models.enums import Channel, ChatPlatform, Role
from models.messages import OutboundMessage
from models.orders import OrderCreate
from models.people import UserCreate
from tests.chat import serve

WX = DEMO_CONFIG["wechat_apps"][0]
SYSTEM = Actor.system(Channel.cli)


def build(app) -> str:
    """A tracker bound to the simulator's 李四, an order, a group robot; the order's code."""
    db = app.extensions["gendan.db"]
    with db.session() as session:
        user = create_user(
            session=session,
            actor=SYSTEM,
            data=UserCreate(username="li", roles=[Role.tracker], department="sales"),
        )
        for platform, external_id in (
            (ChatPlatform.wechat, "o-lisi"),
            (ChatPlatform.wecom, "lisi"),
        ):
            bind_identity(
                session=session,
                actor=SYSTEM,
                user_id=user.id,
                platform=platform,
                external_id=external_id,
            )
        from datetime import timedelta

        order = create_order(
            session=session,
            actor=SYSTEM,
            default_departments=list(settings().review_departments),
            data=OrderCreate(
                code="GD-BENCH-1",
                customer="基准测试",
                contract_no="B-1",
                delivery_date=clock.today() + timedelta(days=30),
                liaison_id=user.id,
            ),
        )
        create_group(
            session=session,
            actor=SYSTEM,
            data=ChatGroupCreate(
                platform=ChatPlatform.wecom, name="群", webhook="wecom-robot-key-1"
            ),
        )
        session.commit()
        return order.code


def webhook_latency(url: str, code: str, n: int) -> tuple[list[float], list[float]]:
    http = requests.Session()
    hook, ceiling = [], []
    for _ in range(n):
        fields = {
            "ToUserName": "gh_simulator",
            "FromUserName": "o-lisi",
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": f"进度 {code}",
            "MsgId": secrets.randbits(60),
        }
        args, body = wire.wechat_push(
            token=WX["token"],
            app_id=WX["appid"],
            aes_key=WX["encoding_aes_key"],
            fields=fields,
            timestamp=int(time.time()),
        )
        start = time.perf_counter()
        response = http.post(f"{url}/bots/wechat", params=args, data=body, timeout=10)
        hook.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200 and "<Encrypt>" in response.text
        start = time.perf_counter()
        http.get(f"{url}/healthz", timeout=10)
        ceiling.append((time.perf_counter() - start) * 1000)
    return hook, ceiling


def outbox_throughput(app, sim_url: str, n: int) -> tuple[float, float]:
    db, runtime = app.extensions["gendan.db"], app.extensions["gendan.chat"]
    with db.session() as session:
        for i in range(n):
            enqueue(
                session=session,
                target=user_target(ChatPlatform.wecom, "lisi"),
                message=OutboundMessage.plain(f"消息 {i}"),
                kind="bench",
            )
        session.commit()
    deliverer = OutboxDeliverer(db, runtime)
    start = time.perf_counter()
    sent = 0
    while sent < n:
        sent += deliverer.drain_once().sent
    drained = n / (time.perf_counter() - start)
    token = runtime.wecom_client.access_token
    http = requests.Session()
    start = time.perf_counter()
    for i in range(n):
        body = {
            "touser": "lisi",
            "agentid": "1000002",
            "msgtype": "text",
            "text": {"content": f"直发 {i}"},
        }
        http.post(
            f"{sim_url}/cgi-bin/message/send", params={"access_token": token}, json=body, timeout=10
        )
    direct = n / (time.perf_counter() - start)
    return drained, direct


def digest_calls(app, sim: SimulatorServer, n: int) -> int:
    db, runtime = app.extensions["gendan.db"], app.extensions["gendan.chat"]
    with db.session() as session:
        from sqlmodel import select

        from models.chat import ChatGroup

        group = session.exec(select(ChatGroup)).first()
        for i in range(n):
            enqueue(
                session=session,
                target=group_target(group),
                message=OutboundMessage.markdown("提醒", f"第 {i} 条"),
                kind="bench",
            )
        session.commit()
    before = len([c for c in sim.state.calls if c["path"] == "/cgi-bin/webhook/send"])
    OutboxDeliverer(db, runtime).drain_once()
    return len([c for c in sim.state.calls if c["path"] == "/cgi-bin/webhook/send"]) - before


def render(engine: str, n: int, hook, ceiling, drained, direct, digest_n, calls) -> str:
    def p(values, q):
        return statistics.quantiles(values, n=100)[q - 1]

    return "\n".join(
        [
            "## Chat bots (bench/bench_bots.py)",
            "",
            f"Python {platform.python_version()}, {engine}, werkzeug threaded server and the "
            "chat simulator on 127.0.0.1, one client thread.",
            "",
            f"### Webhook latency ({n} messages, WeChat safe mode, `进度 <订单号>`)",
            "",
            "| request | p50 ms | p95 ms | p50 / ceiling |",
            "|---|---:|---:|---:|",
            f"| /bots/wechat | {p(hook, 50):.1f} | {p(hook, 95):.1f} | "
            f"{p(hook, 50) / p(ceiling, 50):.1f} |",
            f"| /healthz (ceiling) | {p(ceiling, 50):.1f} | {p(ceiling, 95):.1f} | 1.0 |",
            "",
            f"### Outbox throughput ({n} private WeCom app messages)",
            "",
            "| path | messages / s | ratio |",
            "|---|---:|---:|",
            f"| outbox drained by the deliverer | {drained:.0f} | {drained / direct:.2f} |",
            f"| posted straight to the simulator (ceiling) | {direct:.0f} | 1.00 |",
            "",
            f"A burst of {digest_n} messages for one WeCom robot left in {calls} robot call(s) "
            "(limit: 20 a minute).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the Markdown section here")
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SimulatorServer(delivery_timeout=5.0) as sim:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        migrate(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
                "INSTANCE_DIR": tmp,
                "UPLOAD_DIR": tmp,
                "LOG_LEVEL": "WARNING",
                **UNLIMITED,
                **gendan_env(sim.url),
            }
        )
        sim.state.replace(DEMO_CONFIG)
        code = build(app)
        with serve(app) as gendan:
            hook, ceiling = webhook_latency(gendan, code, args.messages)
        drained, direct = outbox_throughput(app, sim.url, args.messages)
        calls = digest_calls(app, sim, 200)
        engine = app.extensions["gendan.db"].engine.dialect.name
        app.extensions["gendan.db"].dispose()
    report = render(engine, args.messages, hook, ceiling, drained, direct, 200, calls)
    print(report, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
