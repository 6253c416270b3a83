"""Over-budget query over all running orders: `python -m bench.bench_costs [--out FILE]`.

Fills a fresh database on each engine with the shortage benchmark's data set (running orders
of 50 BOM lines, three purchase lines in five), gives every purchase line a price and every
order a material budget (one in four set below its cost), all from a fixed seed, then times
`over_budget_orders` (what a warning rule would call each sweep) against a ceiling: reading
every purchase line's price and quantities into Python once, the least any exact Decimal sum
over purchase lines has to do.
"""

from __future__ import annotations

import random
from decimal import Decimal

from sqlalchemy import insert, text

from app.services.finance import over_budget_orders
from bench.bench_shortages import LINES_PER_ORDER, NOW, SEED, populate, timed
from bench.benchdb import ENGINES, bench_database, postgres_available
from bench.report import machine, run_sized
from models.costs import OrderBudget
from models.enums import CostCategory

HEADING = "## Over-budget query (bench/bench_costs.py)"


def price(db, orders: int) -> int:
    """Price every purchase line and budget every order's material; how many orders are set
    to run over budget."""
    rng = random.Random(f"{SEED}-costs")
    with db.engine.begin() as conn:
        # Prices in fen (the MONEY column's unit): 1.00 to 500.00 yuan.
        conn.execute(text("UPDATE purchase_line SET unit_price = (id % 500 + 1) * 100"))
        spent = dict(
            conn.execute(
                text(
                    "SELECT order_id, sum((id % 500 + 1) * quantity) FROM purchase_line "
                    "WHERE status != 'cancelled' "
                    "GROUP BY order_id"
                )
            ).all()
        )
        budgets, over = [], 0
        for order_id in range(1, orders + 1):
            cost = Decimal(spent.get(order_id, 0)) / 1000
            factor = Decimal("0.8") if rng.random() < 0.25 else Decimal("1.5")
            over += factor < 1 and cost > 0
            budgets.append(
                {
                    "order_id": order_id,
                    "category": CostCategory.material,
                    "amount": (cost * factor).quantize(Decimal("0.01")),
                    "updated_at": NOW,
                }
            )
        conn.execute(insert(OrderBudget), budgets)
    return over


def run_engine(engine: str, lines: int, repeat: int) -> dict:
    with bench_database(engine, "bench_costs") as db:
        populate(db, lines)
        expected = price(db, lines // LINES_PER_ORDER)
        ceiling = text(
            "SELECT id, order_id, unit_price, quantity, received, status FROM purchase_line"
        )
        with db.session(readonly=True) as s:
            read_ms, rows = timed(lambda: s.execute(ceiling).all(), repeat)
            query_ms, found = timed(lambda: over_budget_orders(session=s, now=NOW), repeat)
    return {
        "engine": engine,
        "purchases": len(rows),
        "over": len(found),
        "expected": expected,
        "ceiling": read_ms,
        "query": query_ms,
    }


def section(lines: int, repeat: int) -> str:
    engines = [e for e in ENGINES if e == "sqlite" or postgres_available()]
    rows = [run_engine(engine, lines, repeat) for engine in engines]
    out = [
        HEADING,
        "",
        f"{machine()}; {lines // LINES_PER_ORDER:,} running orders with a material budget, "
        f"{lines:,} BOM lines; medians of {repeat} runs after a warm-up. Ceiling: reading every "
        "purchase line's price and quantities into Python once.",
        "",
        "| engine | purchase lines | orders over budget (expected) | read all lines ms "
        "| over_budget_orders ms | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['engine']} | {r['purchases']:,} | {r['over']:,} ({r['expected']:,}) "
            f"| {r['ceiling']:.0f} | {r['query']:.0f} | {r['query'] / r['ceiling']:.1f} |"
        )
    if "postgresql" not in engines:
        out += ["", "PostgreSQL was not reachable: its row is missing."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    run_sized(__doc__, HEADING, section, lines=50_000, argv=argv)


if __name__ == "__main__":
    main()
