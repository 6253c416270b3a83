"""Order import (ERP hand-over): `python -m bench.bench_order_import [--out FILE]`.

On a fresh database per engine, imports a CSV of N orders (fixed seed; a liaison named on each
row) as `import-orders` does, then imports it again (every row an update), and compares with a
ceiling measured in the same run: calling `create_order` directly for the same N orders, the
writing any import has to do, without reading or checking a file.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, timedelta
from pathlib import Path

from app.services.core import Actor, bind_actor, settings
from app.services.orders import create_order, import_orders
from app.services.people import create_user
from app.services.reference import ensure_reference_data
from bench.benchdb import ENGINES, bench_database, postgres_available
from bench.report import machine, write_section
from models.enums import Channel, Role
from models.orders import OrderCreate
from models.people import UserCreate

HEADING = "## Order import (bench/bench_order_import.py)"
SEED = 20261125


def _rows(count: int, prefix: str) -> list[dict]:
    rng = random.Random(SEED)
    start = date(2027, 1, 1)
    return [
        {
            "contract_no": f"{prefix}-{i:05d}",
            "customer": f"客户{rng.randrange(200)}",
            "delivery_date": start + timedelta(days=rng.randrange(365)),
            "liaison": f"tracker{rng.randrange(5)}",
            "contract_amount": f"{rng.randrange(10_000, 5_000_000)}.{rng.randrange(100):02d}",
            "payment_terms": "30%预付，60%发货后，10%质保金",
        }
        for i in range(count)
    ]


def _csv(rows: list[dict]) -> bytes:
    lines = ["合同号,客户,交货日期,跟单员,合同金额,付款条件"]
    for r in rows:
        lines.append(
            f"{r['contract_no']},{r['customer']},{r['delivery_date']},{r['liaison']},"
            f'{r["contract_amount"]},"{r["payment_terms"]}"'
        )
    return ("\n".join(lines) + "\n").encode()


def _session(db):
    session = db.session()
    bind_actor(session, Actor.system(Channel.cli))
    return session


def _trackers(db) -> dict[str, int]:
    with _session(db) as s:
        ensure_reference_data(session=s)
        ids = {}
        for n in range(5):
            data = UserCreate(username=f"tracker{n}", roles=[Role.tracker], password="bench-pass-1")
            ids[f"tracker{n}"] = create_user(session=s, actor=Actor.system(), data=data).id
        s.commit()
    return ids


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def run_engine(engine: str, count: int) -> dict:
    actor = Actor.system(Channel.cli)
    with bench_database(engine, "bench_order_import") as db:
        ids = _trackers(db)
        direct = _rows(count, "DIRECT")

        def ceiling():
            with _session(db) as s:
                for r in direct:
                    data = OrderCreate(
                        contract_no=r["contract_no"],
                        customer=r["customer"],
                        delivery_date=r["delivery_date"],
                        liaison_id=ids[r["liaison"]],
                        contract_amount=r["contract_amount"],
                        payment_terms=r["payment_terms"],
                    )
                    departments = list(settings().review_departments)
                    create_order(session=s, actor=actor, data=data, default_departments=departments)
                s.commit()

        data = _csv(_rows(count, "ERP"))
        results = {}

        def imported(key):
            with _session(db) as s:
                results[key] = import_orders(session=s, actor=actor, data=data)
                s.commit()

        ceiling_ms = _timed(ceiling)
        create_ms = _timed(lambda: imported("create"))
        update_ms = _timed(lambda: imported("update"))
    return {
        "engine": engine,
        "rows": count,
        "ceiling": ceiling_ms,
        "create": create_ms,
        "update": update_ms,
        "created": results["create"].created,
        "updated": results["update"].updated,
    }


def section(count: int) -> str:
    engines = [e for e in ENGINES if e == "sqlite" or postgres_available()]
    rows = [run_engine(engine, count) for engine in engines]
    out = [
        HEADING,
        "",
        f"{machine()}; a CSV of {count:,} orders, one run each (the second import updates every "
        "order). Ceiling: create_order called directly for the same orders in one transaction.",
        "",
        "| engine | rows | create_order loop ms | import (all new) ms | ratio "
        "| import again (all updates) ms | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        assert r["created"] == r["updated"] == r["rows"]
        out.append(
            f"| {r['engine']} | {r['rows']:,} | {r['ceiling']:.0f} | {r['create']:.0f} "
            f"| {r['create'] / r['ceiling']:.2f} | {r['update']:.0f} "
            f"| {r['update'] / r['ceiling']:.2f} |"
        )
    if "postgresql" not in engines:
        out += ["", "PostgreSQL was not reachable: its row is missing."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--rows", type=int, default=500, help="orders in the file")
    args = parser.parse_args(argv)
    text_out = section(args.rows)
    print(text_out, end="")
    if args.out:
        write_section(args.out, HEADING, text_out)


if __name__ == "__main__":
    main()
