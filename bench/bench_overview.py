"""The overview over many orders: `python -m bench.bench_overview [--out FILE]`.

Fills a fresh database on each engine with the shortage benchmark's data set (running orders of
50 BOM lines each with their purchase lines, bench/bench_shortages.py), five stages per order
(one overdue) and three site issues per order, all from a fixed seed, then times, as a manager
who sees every order:

- `order_overview`: every order with progress, warnings, issues, shortages, late purchases;
- a floor it cannot beat, since it does both: `find_shortages` over the same data (the
  shortage query it calls) and `orders_public` over every order (the order list's public form:
  orders, stages and liaisons read into Python).
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, text
from sqlmodel import select

from app.services.core import Actor, local_date
from app.services.insight import order_overview
from app.services.orders import orders_public
from app.services.procurement import find_shortages
from bench.bench_shortages import CHUNK, LINES_PER_ORDER, NOW, SEED, populate, timed
from bench.benchdb import ENGINES, bench_database, postgres_available
from bench.report import machine, run_sized
from models.enums import STAGE_ORDER, Channel, IssueState, RiskLevel, Role, StageStatus
from models.issues import SiteIssue
from models.orders import Order
from models.people import User
from models.stages import Stage

HEADING = "## Overview (bench/bench_overview.py)"


def _stages_and_issues(orders: int, owner: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(f"{SEED}-overview")
    today = local_date(NOW)
    stages, issues = [], []
    for order in range(1, orders + 1):
        start = today - timedelta(days=rng.randrange(0, 40))
        for seq, kind in enumerate(STAGE_ORDER, start=1):
            begin, end = start + timedelta(days=15 * (seq - 1)), start + timedelta(days=15 * seq)
            status = StageStatus.done if end < today and seq < 3 else StageStatus.in_progress
            stages.append(
                {
                    "order_id": order,
                    "kind": kind,
                    "seq": seq,
                    "status": status if begin <= today else StageStatus.not_started,
                    "progress": rng.randrange(0, 100),
                    "planned_start": begin,
                    "planned_end": end,
                }
            )
        for _ in range(3):
            created = NOW - timedelta(hours=rng.randrange(1, 200))
            issues.append(
                {
                    "order_id": order,
                    "description": "问题",
                    "location": "",
                    "risk": rng.choice(list(RiskLevel)),
                    "category": "other",
                    "state": rng.choice(list(IssueState)),
                    "owner_id": owner,
                    "due_at": created + timedelta(hours=24),
                    "first_due_at": created + timedelta(hours=24),
                    "created_at": created,
                    "updated_at": created,
                }
            )
    return stages, issues


def populate_overview(db, lines: int) -> None:
    populate(db, lines)
    owner = {"username": "bench", "display_name": "跟单", "password_hash": "x", "created_at": NOW}
    with db.engine.begin() as conn:
        conn.execute(insert(User.__table__), [owner])
        owner_id = conn.execute(text("SELECT id FROM users WHERE username = 'bench'")).scalar()
        conn.execute(text("UPDATE orders SET liaison_id = :u"), {"u": owner_id})
        stages, issues = _stages_and_issues(lines // LINES_PER_ORDER, owner_id)
        for model, rows in ((Stage, stages), (SiteIssue, issues)):
            for start in range(0, len(rows), CHUNK):
                conn.execute(insert(model.__table__), rows[start : start + CHUNK])
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def run_engine(engine: str, lines: int, repeat: int) -> dict:
    with bench_database(engine, "bench_overview") as db:
        populate_overview(db, lines)
        with db.session(readonly=True) as s:
            user = s.exec(select(User).where(User.username == "bench")).one()
            actor = Actor(user=user, channel=Channel.cli, roles=frozenset({Role.manager}))
            overview_ms, overview = timed(
                lambda: order_overview(session=s, actor=actor, now=NOW), repeat
            )
            shortages_ms, _ = timed(lambda: find_shortages(session=s, now=NOW, actor=actor), repeat)
            public_ms, _ = timed(lambda: orders_public(s, list(s.exec(select(Order)))), repeat)
    return {
        "engine": engine,
        "orders": overview.total,
        "at_risk": overview.at_risk,
        "overview": overview_ms,
        "shortages": shortages_ms,
        "public": public_ms,
    }


def section(lines: int, repeat: int) -> str:
    engines = [e for e in ENGINES if e == "sqlite" or postgres_available()]
    rows = [run_engine(engine, lines, repeat) for engine in engines]
    out = [
        HEADING,
        "",
        f"{machine()}; {lines // LINES_PER_ORDER:,} running orders with {lines:,} BOM lines, "
        "5 stages and 3 site issues each; medians of "
        f"{repeat} runs after a warm-up. The floor is the work the overview contains: "
        "the shortage query plus reading every order with its stages (orders_public).",
        "",
        "| engine | orders | at risk | find_shortages ms | orders_public ms | floor ms "
        "| order_overview ms | ratio to floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        floor = r["shortages"] + r["public"]
        out.append(
            f"| {r['engine']} | {r['orders']:,} | {r['at_risk']:,} | {r['shortages']:.0f} "
            f"| {r['public']:.0f} | {floor:.0f} | {r['overview']:.0f} "
            f"| {r['overview'] / floor:.2f} |"
        )
    if "postgresql" not in engines:
        out += ["", "PostgreSQL was not reachable: its row is missing."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    run_sized(__doc__, HEADING, section, lines=50_000, argv=argv)


if __name__ == "__main__":
    main()
