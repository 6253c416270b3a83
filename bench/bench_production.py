"""Production overview benchmark: `python -m bench.bench_production [--out FILE] [--runs N]`.

One order with 50 operations in a seeded random DAG and 120 days of output on each (6,000
output rows), in a freshly migrated SQLite file (or the database given with --database).
Times the plan-vs-actual and bottleneck computation three ways and compares each with a
ceiling measured in the same run: the bare SQL fetch of the same rows (operations, links and
output) with SQLAlchemy Core, nothing built from them.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy
from sqlalchemy import insert, text

from app.db import Database
from app.services.core import Actor, bind_actor
from app.services.orders import create_order
from app.services.production import evaluate, gantt, kanban, load_plan, production_overview
from models.enums import Channel
from models.orders import OrderCreate
from models.production import Operation, OperationLink, OperationOutput

SEED = 20260304
OPERATIONS = 50
DAYS = 120
START = date(2026, 1, 5)
DAY = START + timedelta(days=DAYS - 1)
ROOT = Path(__file__).resolve().parent.parent


def migrate(url: str) -> None:
    """The schema and reference data, as `flask migrate` makes them."""
    from alembic import command
    from alembic.config import Config

    from app.services.reference import ensure_reference_data

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")
    db = Database(url)
    with db.session() as session:
        bind_actor(session, Actor.system(Channel.cli))
        ensure_reference_data(session=session)
        session.commit()
    db.dispose()


def _operation_rows(order_id: int, rng: random.Random) -> list[dict]:
    rows = []
    for i in range(OPERATIONS):
        start = START + timedelta(days=rng.randrange(0, 60))
        rows.append(
            {
                "order_id": order_id,
                "name": f"工序{i + 1:02d}",
                "seq": (i + 1) * 10,
                "unit": "件",
                "planned_qty": float(rng.randrange(100, 1000)),
                "planned_start": start,
                "planned_end": start + timedelta(days=rng.randrange(20, 60)),
                "weight": rng.randrange(1, 4),
                "work_weekdays": [1, 2, 3, 4, 5, 6],
                "blocked": False,
            }
        )
    return rows


def build(db: Database) -> int:
    """Create the order through the services and bulk-insert its plan and output."""
    rng = random.Random(SEED)
    with db.session() as session:
        actor = Actor.system(Channel.cli)
        bind_actor(session, actor)
        order = create_order(
            session=session,
            actor=actor,
            default_departments=["sales"],
            data=OrderCreate(customer="基准客户", contract_no="BENCH-1", delivery_date=DAY),
        )
        session.commit()
        order_id = order.id
    with db.engine.begin() as conn:
        conn.execute(insert(Operation.__table__), _operation_rows(order_id, rng))
        ids = [r[0] for r in conn.execute(text("SELECT id FROM operation ORDER BY seq"))]
        links = [
            {"order_id": order_id, "upstream_id": up, "downstream_id": ids[i]}
            for i in range(1, len(ids))
            for up in sorted(set(rng.sample(ids[:i], min(i, rng.choice((1, 2))))))
        ]
        conn.execute(insert(OperationLink.__table__), links)
        plan = {op_id: row for op_id, row in zip(ids, _rows_by_seq(conn, order_id), strict=True)}
        outputs = [
            {
                "order_id": order_id,
                "operation_id": op_id,
                "day": START + timedelta(days=d),
                "quantity": _output(plan[op_id], START + timedelta(days=d), rng),
            }
            for op_id in ids
            for d in range(DAYS)
        ]
        conn.execute(insert(OperationOutput.__table__), outputs)
    return order_id


def _rows_by_seq(conn, order_id: int):
    query = text(
        "SELECT planned_qty, planned_start, planned_end FROM operation"
        " WHERE order_id = :o ORDER BY seq"
    )
    return conn.execute(query, {"o": order_id}).fetchall()


def _output(plan, day: date, rng: random.Random) -> float:
    """Between half and all of the planned daily rate inside the planned span, else nothing:
    most operations end short of plan, so there is lag to rank."""
    qty, start, end = plan
    start, end = (date.fromisoformat(str(v)[:10]) for v in (start, end))
    if not start <= day <= end:
        return 0.0
    rate = qty / ((end - start).days + 1)
    return round(rate * rng.uniform(0.5, 1.0), 1)


def bare_fetch(db: Database, order_id: int) -> int:
    """The ceiling: fetch the same rows with SQLAlchemy Core, build nothing."""
    with db.engine.connect() as conn:
        params = {"o": order_id}
        ops = conn.execute(text("SELECT * FROM operation WHERE order_id = :o"), params).fetchall()
        links = conn.execute(
            text("SELECT downstream_id, upstream_id FROM operation_link WHERE order_id = :o"),
            params,
        ).fetchall()
        out = conn.execute(
            text("SELECT operation_id, day, quantity FROM operation_output WHERE order_id = :o"),
            params,
        ).fetchall()
    return len(ops) + len(links) + len(out)


def medians_ms(jobs: list[Callable[[], object]], runs: int) -> list[float]:
    """Median wall time of each job over `runs` rounds, after one warm-up round. Each round
    runs every job once, so a burst of load on the machine hits all of them alike."""
    for job in jobs:
        job()
    times: list[list[float]] = [[] for _ in jobs]
    for _ in range(runs):
        for job, spent in zip(jobs, times, strict=True):
            started = time.perf_counter()
            job()
            spent.append(time.perf_counter() - started)
    return [statistics.median(spent) * 1000 for spent in times]


def _in_session(db: Database, fn: Callable) -> Callable[[], object]:
    """A job that opens a read-only session (as a request does) and runs fn in it."""

    def job():
        with db.session(readonly=True) as session:
            return fn(session)

    return job


def _view(fn: Callable, order_id: int) -> Callable:
    admin = Actor.system(Channel.cli)
    return lambda s: fn(session=s, actor=admin, order_id=order_id, day=DAY)


def measure(db: Database, order_id: int, runs: int) -> tuple[list[tuple[str, float]], str]:
    """The timings, and the bottleneck found (to show the work was done)."""
    _, plans, actuals = _in_session(db, lambda s: load_plan(session=s, order_id=order_id))()
    jobs = [
        ("bare SQL fetch of the rows (ceiling)", lambda: bare_fetch(db, order_id)),
        (
            "load_plan: the same rows as model objects",
            _in_session(db, lambda s: load_plan(session=s, order_id=order_id)),
        ),
        (
            "evaluate: plan vs actual + bottleneck (rows in memory)",
            lambda: evaluate(plans, actuals, DAY),
        ),
        (
            "production_overview: load + compute + daily series + JSON model",
            _in_session(db, _view(production_overview, order_id)),
        ),
        ("kanban", _in_session(db, _view(kanban, order_id))),
        ("gantt", _in_session(db, _view(gantt, order_id))),
    ]
    medians = medians_ms([job for _, job in jobs], runs)
    timings = [(label, ms) for (label, _), ms in zip(jobs, medians, strict=True)]
    neck = _in_session(db, _view(production_overview, order_id))().bottleneck
    found = (
        f"{neck.name} (lag share {neck.lag_share:.2%}, impact {neck.impact})" if neck else "none"
    )
    return timings, found


def render(timings: list[tuple[str, float]], found: str, runs: int, engine: str) -> str:
    """The Markdown section."""
    ceiling = timings[0][1]
    lines = [
        "## Production overview (`python -m bench.bench_production`)",
        "",
        f"Seed {SEED}: one order, {OPERATIONS} operations in a random DAG (1-2 upstream each), "
        f"{DAYS} days of output on each ({OPERATIONS * DAYS:,} rows), evaluated on day {DAYS}. "
        f"{engine}, SQLAlchemy {sqlalchemy.__version__}, Python {platform.python_version()}; "
        f"median of {runs} interleaved rounds after a warm-up. Bottleneck found: {found}. "
        "Ceiling: the bare SQL fetch of the same rows with SQLAlchemy Core.",
        "",
        "| step | median | ratio to ceiling |",
        "|---|---:|---:|",
    ]
    for label, ms in timings:
        lines.append(f"| {label} | {ms:.1f} ms | {ms / ceiling:.2f}× |")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Build the data, run the benchmark, print the Markdown (and write it to --out)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the Markdown section here")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per step (default 7)")
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        migrate(url)
        db = Database(url)
        order_id = build(db)
        timings, found = measure(db, order_id, args.runs)
        engine = db.engine.dialect.name + (" (temporary file)" if not args.database else "")
        db.dispose()
    report = render(timings, found, args.runs, engine)
    print(report, end="")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
