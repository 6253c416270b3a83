"""One full warning-rule sweep at 10,000 / 100,000 / 1,000,000 open items on PostgreSQL, and
the group standup: `python -m bench.bench_sweep [--quick] [--out FILE]`.

For each size a fresh PostgreSQL schema is migrated and bulk-loaded (COPY, fixed seed)
with running orders of 50 open items each: 5 stages (one in five past its planned end),
15 BOM lines (one in three key material, need dates spread around today), 15 purchase lines
(promised dates spread around today) and 15 open site issues (due times spread around now),
followed by chat groups of 10 orders. Then, with the clock frozen at a working-day noon:

- the first sweep (every rule: queries, alerts inserted, one outbox message per alert and
  group, in one transaction), per open item and as a ratio to the 10,000-item figure;
- a second sweep at the same time (everything already alerted: the dedupe path);
- the ceiling: reading every open item's id once (the four tables the rules scan);
- the write floor: the server alone writing the first sweep's alerts and outbox rows again,
  with and without the reference checks (rolled back), and the whole first sweep without them;
- the standup of one group (10 orders), which must not grow with the database;
- the retention prune (the daily job, ALERT_RETENTION_DAYS=180) once every alert of the run is
  closed 200 days back and its messages sent: seconds, and µs per alert deleted (with its
  outbox row).

`--quick` runs 10,000 items only (a smoke test); `--sizes` picks others.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select, text

from app.services.alerts import sweep
from app.services.core import local_date
from app.services.insight import post_group_standup
from bench.benchdb import bench_database, postgres_available
from bench.report import machine, write_section
from models.alerts import Alert
from models.bom import BomLine
from models.chat import ChatGroup, ChatGroupOrder
from models.enums import IssueState, OrderStatus, PurchaseStatus, StageKind, StageStatus
from models.issues import SiteIssue
from models.materials import Material
from models.orders import Order
from models.outbox import Outbox
from models.people import User
from models.purchasing import PurchaseLine
from models.stages import Stage
from models.suppliers import Supplier
from reminders.alert_jobs import prune

HEADING = "## Rule sweep (bench/bench_sweep.py)"
SEED = 20261125
ITEMS_PER_ORDER = 50
LINES = 15
ISSUES = 15
ORDERS_PER_GROUP = 10
USERS = 200
MATERIALS = 3000
NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # a Wednesday, 12:00 in Asia/Shanghai
SIZES = (10_000, 100_000, 1_000_000)
REPEATS = 3  # the machine is shared: the best of 3


def _base_rows() -> dict:
    rng = random.Random(f"{SEED}-base")
    users = [
        {
            "id": i,
            "username": f"u{i}",
            "display_name": f"员工{i}",
            "is_active": True,
            "token_version": 1,
            "created_at": NOW,
        }
        for i in range(1, USERS + 1)
    ]
    supplier = {"id": 1, "name": "供应商", "address": "", "note": "", "is_active": True}
    materials = [
        {
            "id": i,
            "code": f"M{i:05d}",
            "name": f"物料{i}",
            "spec": "",
            "unit": "件",
            "is_key": rng.random() < 0.33,
            "stock": Decimal(0),
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(1, MATERIALS + 1)
    ]
    return {User: users, Supplier: [supplier | {"created_at": NOW, "updated_at": NOW}]} | {
        Material: materials
    }


def _order_rows(n: int, today: date, rng: random.Random) -> dict:
    orders, stages, lines, purchases, issues = [], [], [], [], []
    for o in range(1, n + 1):
        liaison = (o % USERS) + 1
        orders.append(
            {
                "id": o,
                "code": f"B{o:07d}",
                "customer": f"客户{o}",
                "contract_no": f"HT-{o}",
                "delivery_date": today + timedelta(days=90),
                "payment_terms": "",
                "tech_params": {},
                "special_requirements": "",
                "priority": "normal",
                "status": OrderStatus.in_progress,
                "liaison_id": liaison,
                "review_departments": ["sales"],
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        for seq, kind in enumerate(StageKind, start=1):
            late = rng.random() < 0.2
            stages.append(
                {
                    "order_id": o,
                    "kind": kind,
                    "seq": seq,
                    "status": StageStatus.in_progress,
                    "progress": 50,
                    "planned_end": today + timedelta(days=-rng.randrange(1, 10) if late else 30),
                }
            )
        for material in rng.sample(range(1, MATERIALS + 1), LINES):
            line_id = len(lines) + 1
            need = today + timedelta(days=rng.randrange(-5, 40))
            lines.append(
                {
                    "id": line_id,
                    "order_id": o,
                    "material_id": material,
                    "needed": Decimal(10),
                    "received": Decimal(0),
                    "issued": Decimal(0),
                    "need_date": need,
                    "position": 0,
                    "note": "",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            purchases.append(
                {
                    "order_id": o,
                    "bom_line_id": line_id,
                    "supplier_id": 1,
                    "po_no": "",
                    "quantity": Decimal(10),
                    "promised_date": need + timedelta(days=rng.randrange(-20, 3)),
                    "status": rng.choice((PurchaseStatus.confirmed, PurchaseStatus.ordered)),
                    "status_note": "",
                    "received": Decimal(0),
                    "created_by_id": liaison,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        for _ in range(ISSUES):
            risk = rng.choice(("high", "medium", "low"))
            due = NOW + timedelta(hours=rng.randrange(-72, 72))
            issues.append(
                {
                    "order_id": o,
                    "description": "现场问题",
                    "location": "",
                    "risk": risk,
                    "category": "other",
                    "state": IssueState.open,
                    "owner_id": liaison,
                    "due_at": due,
                    "first_due_at": due,
                    "created_at": NOW - timedelta(hours=80),
                    "updated_at": NOW,
                }
            )
    return {Order: orders, Stage: stages, BomLine: lines, PurchaseLine: purchases} | {
        SiteIssue: issues
    }


def _groups(n: int) -> tuple[list[dict], list[dict]]:
    groups, links = [], []
    for g in range(1, n // ORDERS_PER_GROUP + 1):
        groups.append(
            {
                "id": g,
                "platform": "wecom",
                "name": f"项目群{g}",
                "webhook_sealed": "sealed",
                "webhook_hint": "key…",
                "active": True,
                "created_at": NOW,
            }
        )
        first = (g - 1) * ORDERS_PER_GROUP + 1
        links += [
            {"group_id": g, "order_id": o, "created_at": NOW}
            for o in range(first, first + ORDERS_PER_GROUP)
        ]
    return groups, links


def _copy(conn, table: str, data: list[dict]) -> None:
    """COPY rows into a table (far faster than INSERT for a million rows)."""
    if not data:
        return
    columns = list(data[0])
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in data:
            copy.write_row(
                [json.dumps(v) if isinstance(v, dict | list) else v for v in row.values()]
            )


def populate(db, items: int) -> float:
    """Bulk-load the data set; seconds it took."""
    start = time.perf_counter()
    orders = items // ITEMS_PER_ORDER
    rows = _base_rows() | _order_rows(orders, local_date(NOW), random.Random(SEED))
    groups, links = _groups(orders)
    rows |= {ChatGroup: groups, ChatGroupOrder: links}
    with db.engine.begin() as conn:
        for model, data in rows.items():
            _copy(conn, model.__table__.name, data)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
        for table in ("users", "orders", "material", "bom_line", "chat_group", "supplier"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
    return time.perf_counter() - start


def _ceiling(db) -> float:
    start = time.perf_counter()
    with db.session(readonly=True) as s:
        for model in (Stage, BomLine, PurchaseLine, SiteIssue):
            s.execute(select(model.id)).all()
    return time.perf_counter() - start


def _server_cpu(pid: int) -> float:
    """CPU seconds the PostgreSQL backend `pid` has used (it runs on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sweep(db) -> tuple[float, object, float]:
    """Wall seconds of one sweep, its result, and the CPU seconds it used in this process and
    in its database backend (on a shared machine, CPU time does not count the waits for a
    core that other work holds)."""
    start = time.perf_counter()
    with db.session() as s:
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
        cpu = time.process_time() + _server_cpu(pid)
        result = sweep(session=s, now=NOW)
        s.commit()
        cpu = time.process_time() + _server_cpu(pid) - cpu
    return time.perf_counter() - start, result, cpu


# The checks of the references the sweep's rows make (alert: its order and owner; outbox: its
# group and order): statement triggers on PostgreSQL (migration f2a9c4e7b1d3), disabled for the
# measurements without them.
REFERENCE_CHECKS = {
    "alert": "alert_references_on_insert",
    "outbox": "outbox_references_on_insert",
}


def _without_reference_checks(conn) -> None:
    for table, trigger in REFERENCE_CHECKS.items():
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))


def _write_floor(db, *, checks: bool) -> float:
    """Seconds the server alone takes to write the sweep's alert and outbox rows again: the
    rows are copied aside, the tables emptied and the copies inserted back, in one transaction
    that is rolled back (the database is left as it was). No Python, no rule query, no
    ON CONFLICT: the floor that any sweep writing these rows into this schema pays. Without
    `checks`, the same with the reference checks disabled first (also rolled back): what
    they cost."""
    with db.engine.connect() as conn, conn.begin() as transaction:
        for table in ("alert", "outbox"):
            conn.execute(text(f"CREATE TEMP TABLE floor_{table} ON COMMIT DROP AS TABLE {table}"))
        conn.execute(text("TRUNCATE alert, outbox"))
        if not checks:
            _without_reference_checks(conn)
        start = time.perf_counter()
        for table in ("alert", "outbox"):
            conn.execute(text(f"INSERT INTO {table} TABLE floor_{table}"))
        seconds = time.perf_counter() - start
        transaction.rollback()
    return seconds


def _sweep_unchecked(db, repeats: int) -> float:
    """Seconds of a first sweep once the reference checks are disabled (for good: the last
    measurement on this schema), best of `repeats` with alerts and outbox emptied before each:
    what the sweep would take if those checks cost nothing."""
    with db.engine.begin() as conn:
        _without_reference_checks(conn)
    best = None
    for _ in range(repeats):
        _forget(db)
        seconds = _sweep(db)[0]
        best = seconds if best is None else min(best, seconds)
    return best


def _standup(db) -> float:
    start = time.perf_counter()
    with db.session() as s:
        post_group_standup(session=s, group_id=1, now=NOW)
        s.rollback()  # measured again: do not keep the message
    return time.perf_counter() - start


def _prune(db) -> tuple[float, int]:
    """Close every alert 200 days before NOW (its messages sent), then time the daily prune."""
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE alert SET resolved_at = :at, resolved_reason = 'bench'"),
            {"at": NOW - timedelta(days=200)},
        )
        conn.execute(text("UPDATE outbox SET status = 'sent' WHERE alert_id IS NOT NULL"))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE alert"))
        conn.execute(text("ANALYZE outbox"))
    start = time.perf_counter()
    prune(db=db, now=NOW, services={})
    seconds = time.perf_counter() - start
    with db.session(readonly=True) as s:
        left = s.execute(select(func.count()).select_from(Alert)).scalar()
    return seconds, left


def _forget(db) -> None:
    """Back to before the first sweep (no alerts, no messages)."""
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE alert, outbox"))
    _settle(db)


def _settle(db) -> None:
    """Write out what the load or the previous run left dirty, so that a measured sweep does
    not pay for a checkpoint of someone else's writes (at 1M items, the bulk load's)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CHECKPOINT"))


def run_size(items: int) -> dict:
    repeats = REPEATS  # the machines here move by ±20 % from one sweep to the next
    with bench_database("postgresql", "bench_sweep") as db:
        build = populate(db, items)
        _settle(db)
        ceiling = min(_ceiling(db) for _ in range(repeats))
        firsts, first_cpus = [], []
        for i in range(repeats):
            if i:
                _forget(db)
            seconds, result, cpu = _sweep(db)
            firsts.append(seconds)
            first_cpus.append(cpu)
        first, first_cpu = min(firsts), min(first_cpus)
        floor = min(_write_floor(db, checks=True) for _ in range(repeats))
        unchecked = min(_write_floor(db, checks=False) for _ in range(repeats))
        agains = [_sweep(db) for _ in range(repeats)]
        again, again_cpu = min(a[0] for a in agains), min(a[2] for a in agains)
        repeat = _sweep(db)[1]
        standup = min(_standup(db) for _ in range(repeats))
        with db.session(readonly=True) as s:
            alerts = s.execute(select(func.count()).select_from(Alert)).scalar()
            messages = s.execute(select(func.count()).select_from(Outbox)).scalar()
        pruned, left = _prune(db)
        free = _sweep_unchecked(db, repeats)
    assert repeat.alerts == 0 and alerts == result.alerts  # the dedupe held
    assert left == 0  # every alert was closed past the retention
    return {
        "items": items,
        "build": build,
        "ceiling": ceiling,
        "first": first,
        "first_cpu": first_cpu,
        "floor": floor,
        "unchecked": unchecked,
        "free": free,
        "again": again,
        "again_cpu": again_cpu,
        "standup": standup,
        "prune": pruned,
        "alerts": alerts,
        "messages": messages,
    }


def section(sizes: tuple[int, ...]) -> str:
    if not postgres_available():
        return f"{HEADING}\n\nPostgreSQL was not reachable: nothing measured.\n"
    run_size(min(sizes[0], 10_000))  # warm-up (imports, connections, plans): not reported
    rows = [run_size(n) for n in sizes]
    base = rows[0]["first"] / rows[0]["items"]
    again_base = rows[0]["again"] / rows[0]["items"]
    out = [
        HEADING,
        "",
        f"{machine()}; PostgreSQL; running orders of {ITEMS_PER_ORDER} open items (5 stages, "
        f"{LINES} BOM lines, {LINES} purchase lines, {ISSUES} site issues), groups of "
        f"{ORDERS_PER_GROUP} orders; clock frozen at a working-day noon. Each size on a "
        "fresh schema, after a warm-up run; best of 3 runs (alerts and outbox emptied between "
        "first sweeps); a CHECKPOINT before each first "
        "sweep (the load's and the previous run's writes are not the sweep's). Ratios: sweep "
        "time per item to the first size's; "
        "sweep to the ceiling (reading every open item's id once). The repeat sweep runs at the "
        "same instant over an unchanged database (best of 3): nothing new, nothing closed. CPU: "
        "the sweep's CPU time in the Python process plus its PostgreSQL backend (from /proc), "
        "which the other work on a shared machine does not inflate as it does wall time. Write "
        "floor: the server alone writing the first sweep's alert and outbox rows again "
        "(copied aside, inserted back, rolled back; no Python, no rule query), with the "
        "schema's reference checks (alert: order and owner; outbox: group and order; statement "
        "triggers on PostgreSQL) and without them: what any sweep that writes these rows into "
        "this schema pays. First sweep without checks: the first sweep again (as the first, "
        "best of 3) once those checks are disabled, last on the schema: the sweep if they "
        "cost nothing.",
        "",
        "| open items | load s | alerts | outbox rows | first sweep s | µs / item | ratio to "
        f"{sizes[0]:,} | / ceiling | CPU µs / item | write floor µs / item | without checks "
        "| first sweep without checks µs / item | repeat sweep s | repeat µs / item | repeat "
        f"ratio to {sizes[0]:,} | repeat CPU µs / item | standup ms (1 group) | prune s "
        "| prune µs / alert |",
        "|" + "---:|" * 19,
    ]
    for r in rows:
        per_item, again = r["first"] / r["items"], r["again"] / r["items"]
        out.append(
            f"| {r['items']:,} | {r['build']:.1f} | {r['alerts']:,} | {r['messages']:,} "
            f"| {r['first']:.2f} | {per_item * 1e6:.1f} | {per_item / base:.2f} "
            f"| {r['first'] / r['ceiling']:.1f} | {r['first_cpu'] / r['items'] * 1e6:.1f} "
            f"| {r['floor'] / r['items'] * 1e6:.1f} | {r['unchecked'] / r['items'] * 1e6:.1f} "
            f"| {r['free'] / r['items'] * 1e6:.1f} "
            f"| {r['again']:.2f} | {again * 1e6:.1f} | {again / again_base:.2f} "
            f"| {r['again_cpu'] / r['items'] * 1e6:.1f} "
            f"| {r['standup'] * 1000:.0f} | {r['prune']:.2f} "
            f"| {r['prune'] / max(r['alerts'], 1) * 1e6:.0f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the section into this file")
    parser.add_argument("--quick", action="store_true", help="10,000 items only")
    parser.add_argument("--sizes", type=int, nargs="+", help="open item counts")
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes or ((10_000,) if args.quick else SIZES))
    text_out = section(sizes)
    print(text_out, end="")
    if args.out:
        write_section(args.out, HEADING, text_out)


if __name__ == "__main__":
    main()
