"""Shortage query over 100,000 BOM lines: `python -m bench.bench_shortages [--out FILE]`.

Fills a fresh database on each engine (a SQLite file, then a PostgreSQL schema of its own)
with 2,000 running orders of 50 BOM lines each, 5,000 materials (one in ten key) and a
purchase line for three lines in five in every status, all from a fixed seed, then times:

- the shortage query alone (`shortage_query`, rows fetched);
- `find_shortages`, as the API and the reminder rules call it (query plus result objects);
- two ceilings: counting the open lines in the database (`SELECT count(*) FROM bom_line
  WHERE received < needed`, a bare scan of the table the query must scan) and reading every
  BOM line into Python once (what a loop over the lines would start with).
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, text

from app.services.core import local_date
from app.services.procurement import find_shortages, shortage_query
from bench.benchdb import ENGINES, bench_database, postgres_available
from bench.report import machine, run_sized
from models.bom import BomLine
from models.enums import OrderStatus, PurchaseStatus
from models.materials import Material
from models.orders import Order
from models.purchasing import PurchaseLine
from models.suppliers import Supplier

HEADING = "## Shortage query (bench/bench_shortages.py)"
SEED = 20261125
LINES_PER_ORDER = 50
MATERIALS = 5000
CHUNK = 5000
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def _orders(count: int, today: date) -> list[dict]:
    return [
        {
            "id": i + 1,
            "code": f"B{i + 1:06d}",
            "customer": f"客户{i}",
            "contract_no": f"HT-{i}",
            "delivery_date": today + timedelta(days=90),
            "payment_terms": "",
            "tech_params": {},
            "special_requirements": "",
            "priority": "normal",
            "status": OrderStatus.in_progress,
            "review_departments": ["sales"],
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(count)
    ]


def _materials() -> list[dict]:
    rng = random.Random(f"{SEED}-materials")
    return [
        {
            "id": i + 1,
            "code": f"M{i + 1:05d}",
            "name": f"物料{i}",
            "spec": "",
            "unit": "件",
            "is_key": rng.random() < 0.1,
            "backup_supplier_id": 1 if rng.random() < 0.3 else None,
            "stock": Decimal(0),
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(MATERIALS)
    ]


def _lines(orders: int, today: date) -> tuple[list[dict], list[dict]]:
    """BOM lines and the purchase lines bought for them."""
    rng = random.Random(f"{SEED}-lines")
    lines, purchases = [], []
    statuses = list(PurchaseStatus)
    for order in range(1, orders + 1):
        for material in rng.sample(range(1, MATERIALS + 1), LINES_PER_ORDER):
            needed = Decimal(rng.randrange(1, 500))
            share = rng.choice((0, 0.3, 0.7, 1, 1, 1))
            line = {
                "id": len(lines) + 1,
                "order_id": order,
                "material_id": material,
                "needed": needed,
                "received": (needed * Decimal(str(share))).quantize(Decimal(1)),
                "issued": Decimal(0),
                "need_date": today + timedelta(days=rng.randrange(-10, 60)),
                "warning_days": rng.choice((None, None, None, 3, 14)),
                "position": 0,
                "note": "",
                "created_at": NOW,
                "updated_at": NOW,
            }
            lines.append(line)
            if rng.random() < 0.6:
                purchases.append(_purchase(rng, line, statuses, len(purchases) + 1))
    return lines, purchases


def _purchase(rng: random.Random, line: dict, statuses: list, number: int) -> dict:
    return {
        "id": number,
        "order_id": line["order_id"],
        "bom_line_id": line["id"],
        "supplier_id": 1,
        "po_no": "",
        "quantity": line["needed"] - line["received"] or Decimal(1),
        "promised_date": line["need_date"] + timedelta(days=rng.randrange(-10, 6)),
        "status": rng.choice(statuses),
        "status_note": "",
        "received": Decimal(0),
        "created_at": NOW,
        "updated_at": NOW,
    }


def populate(db, lines: int) -> None:
    """Write the data set with bulk inserts (no change log: this is not a user's work)."""
    today = local_date(NOW)
    orders = lines // LINES_PER_ORDER
    bom, purchases = _lines(orders, today)
    supplier = {"id": 1, "name": "供应商", "address": "", "note": "", "is_active": True}
    supplier |= {"created_at": NOW, "updated_at": NOW}
    with db.engine.begin() as conn:
        conn.execute(insert(Supplier), [supplier])
        for model, rows in (
            (Order, _orders(orders, today)),
            (Material, _materials()),
            (BomLine, bom),
            (PurchaseLine, purchases),
        ):
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(model.__table__), rows[start : start + CHUNK])
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
        if not db.is_sqlite:
            _reset_sequences(conn)


def _reset_sequences(conn) -> None:
    for table in ("orders", "material", "bom_line", "purchase_line", "supplier"):
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )


def timed(fn, repeat: int) -> tuple[float, object]:
    """Median milliseconds of `repeat` runs after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


def run_engine(engine: str, lines: int, repeat: int) -> dict:
    with bench_database(engine, "bench_shortages") as db:
        populate(db, lines)
        today = local_date(NOW)
        ceiling = text(
            "SELECT id, order_id, material_id, needed, received, need_date FROM bom_line"
        )
        scan = text("SELECT count(*) FROM bom_line WHERE received < needed")
        with db.session(readonly=True) as s:
            scan_ms, _ = timed(lambda: s.execute(scan).scalar(), repeat)
            read_ms, rows = timed(lambda: s.execute(ceiling).all(), repeat)
            query_ms, found = timed(lambda: s.exec(shortage_query(today=today)).all(), repeat)
            full_ms, _ = timed(lambda: find_shortages(session=s, now=NOW), repeat)
    return {
        "engine": engine,
        "lines": len(rows),
        "shortages": len(found),
        "scan": scan_ms,
        "ceiling": read_ms,
        "query": query_ms,
        "full": full_ms,
    }


def section(lines: int, repeat: int) -> str:
    engines = [e for e in ENGINES if e == "sqlite" or postgres_available()]
    rows = [run_engine(engine, lines, repeat) for engine in engines]
    out = [
        HEADING,
        "",
        f"{machine()}; {lines:,} BOM lines in {lines // LINES_PER_ORDER:,} running orders, "
        f"{MATERIALS:,} materials; medians of {repeat} runs after a warm-up. Ratios: to a "
        "bare count of the open lines in the database / to reading every line into Python.",
        "",
        "| engine | BOM lines | shortages | count open lines ms | read all lines ms "
        "| shortage query ms | ratio | find_shortages ms | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['engine']} | {r['lines']:,} | {r['shortages']:,} | {r['scan']:.0f} "
            f"| {r['ceiling']:.0f} | {r['query']:.0f} "
            f"| {r['query'] / r['scan']:.1f} / {r['query'] / r['ceiling']:.1f} "
            f"| {r['full']:.0f} | {r['full'] / r['scan']:.1f} / {r['full'] / r['ceiling']:.1f} |"
        )
    if "postgresql" not in engines:
        out += ["", "PostgreSQL was not reachable: its row is missing."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    run_sized(__doc__, HEADING, section, lines=100_000, argv=argv)


if __name__ == "__main__":
    main()
