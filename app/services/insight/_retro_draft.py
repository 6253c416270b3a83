"""The retrospective draft (复盘草稿): what the order's own data says about how it went.

- delivery: promised date, acceptance date, days late;
- delays by stage (actual end against planned end) and by cause (each supplier re-promise and
  its reason, with the days it moved the date);
- site issues by category and by risk, with the mean resolution time;
- rework from failed inspections;
- supplier performance on this order: arrived lines measured against the first promise (as
  the delay prediction measures them), on-time rate and average delay per supplier;
- the customer's rating and comment, and cost against budget.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

from sqlmodel import Session, col, func, select

from app.services import finance
from app.services.alerts import first_promise
from models.acceptance import Acceptance
from models.enums import (
    ISSUE_CATEGORY_NAMES,
    RISK_NAMES,
    STAGE_NAMES,
    IssueCategory,
    RiskLevel,
    StageKind,
)
from models.issues import SiteIssue
from models.orders import Order
from models.purchasing import PromisedDateChange, PurchaseLine
from models.quality import Inspection, Rework
from models.stages import Stage
from models.suppliers import Supplier


def build_draft(session: Session, order: Order, acceptance: Acceptance) -> dict:
    """The draft as plain JSON-ready data (dates as ISO strings, money as strings)."""
    return {
        "delivery": {
            "promised": order.delivery_date.isoformat(),
            "accepted_on": acceptance.accepted_on.isoformat(),
            "on_time": acceptance.on_time,
            "days_late": acceptance.days_late,
        },
        "stages": _stages(session, order.id),
        "delay_causes": _delay_causes(session, order.id),
        "issues": _issues(session, order.id),
        "rework": _rework(session, order.id),
        "suppliers": _suppliers(session, order.id),
        "customer": {"satisfaction": acceptance.satisfaction, "comment": acceptance.comment},
        "costs": _costs(session, order.id),
    }


def _iso(day) -> str | None:
    return day.isoformat() if day else None


def _stages(session: Session, order_id: int) -> list[dict]:
    query = select(Stage).where(Stage.order_id == order_id).order_by(Stage.seq)
    out = []
    for stage in session.exec(query):
        late = None
        if stage.actual_end and stage.planned_end:
            late = (stage.actual_end - stage.planned_end).days
        out.append(
            {
                "kind": stage.kind,
                "name": STAGE_NAMES[StageKind(stage.kind)],
                "planned_end": _iso(stage.planned_end),
                "actual_end": _iso(stage.actual_end),
                "days_late": late,
            }
        )
    return out


def _delay_causes(session: Session, order_id: int) -> list[dict]:
    query = (
        select(PromisedDateChange, Supplier.name)
        .join(PurchaseLine, PurchaseLine.id == PromisedDateChange.purchase_line_id)
        .join(Supplier, Supplier.id == PromisedDateChange.supplier_id)
        .where(PurchaseLine.order_id == order_id, col(PromisedDateChange.old_date).is_not(None))
    )
    causes: dict[str, dict] = {}
    for change, supplier in session.exec(query):
        entry = causes.setdefault(change.reason, {"cause": change.reason, "count": 0, "days": 0})
        entry["count"] += 1
        entry["days"] += max(0, (change.new_date - change.old_date).days)
        entry.setdefault("suppliers", set()).add(supplier)
    for entry in causes.values():
        entry["suppliers"] = sorted(entry["suppliers"])
    return sorted(causes.values(), key=lambda e: (-e["days"], e["cause"]))


def _issues(session: Session, order_id: int) -> dict:
    rows = session.exec(
        select(SiteIssue.category, SiteIssue.risk, SiteIssue.resolution_seconds).where(
            SiteIssue.order_id == order_id
        )
    ).all()
    by_category = Counter(IssueCategory(c) for c, _, _ in rows)
    by_risk = Counter(RiskLevel(r) for _, r, _ in rows)
    resolved = [s for _, _, s in rows if s is not None]
    return {
        "total": len(rows),
        "by_category": [
            {"category": c, "name": ISSUE_CATEGORY_NAMES[c], "count": by_category[c]}
            for c in IssueCategory
            if by_category[c]
        ],
        "by_risk": [
            {"risk": r, "name": RISK_NAMES[r], "count": by_risk[r]} for r in RiskLevel if by_risk[r]
        ],
        "mean_resolution_hours": round(sum(resolved) / len(resolved) / 3600, 1)
        if resolved
        else None,
    }


def _rework(session: Session, order_id: int) -> dict:
    inspections = session.exec(
        select(func.count(), func.sum(Inspection.failed_qty)).where(Inspection.order_id == order_id)
    ).one()
    reworks = session.exec(select(Rework).where(Rework.order_id == order_id).order_by(Rework.id))
    items = [{"description": r.description, "status": r.status} for r in reworks]
    return {
        "inspections": inspections[0],
        "failed_units": inspections[1] or 0,
        "count": len(items),
        "items": items,
    }


def _suppliers(session: Session, order_id: int) -> list[dict]:
    query = (
        select(
            PurchaseLine.id,
            PurchaseLine.arrived_on,
            PurchaseLine.received,
            Supplier.id,
            Supplier.name,
        )
        .join(Supplier, Supplier.id == PurchaseLine.supplier_id)
        .where(PurchaseLine.order_id == order_id)
    )
    stats: dict[int, dict] = defaultdict(dict)
    for line_id, arrived, received, supplier_id, name in session.exec(query):
        entry = stats[supplier_id] or {"supplier_id": supplier_id, "name": name, "lines": 0}
        stats[supplier_id] = entry
        entry["lines"] += 1
        # Only real arrivals: a line closed without goods received is no delivery.
        promised = first_promise(session, line_id) if arrived and received > 0 else None
        if promised is not None:
            entry.setdefault("delays", []).append((arrived - promised).days)
    out = []
    for entry in stats.values():
        delays = entry.pop("delays", [])
        on_time = sum(1 for d in delays if d <= 0)
        entry["measured"] = len(delays)
        entry["on_time_rate"] = round(on_time / len(delays) * 100, 1) if delays else None
        entry["avg_delay_days"] = (
            round(sum(max(0, d) for d in delays) / len(delays), 1) if delays else None
        )
        out.append(entry)
    return sorted(out, key=lambda e: (e["on_time_rate"] is None, e["on_time_rate"] or 0, e["name"]))


def _costs(session: Session, order_id: int) -> dict:
    budget = finance.budgets(session, [order_id]).get(order_id, {})
    actual = finance.actual_costs(session, [order_id])[order_id]
    total_budget = sum(budget.values(), Decimal(0)) if budget else None
    return {
        "budget": None if total_budget is None else f"{total_budget:.2f}",
        "actual": f"{sum(actual.values(), Decimal(0)):.2f}",
        "over_budget": [c.value for c, limit in budget.items() if actual[c] > limit],
    }
