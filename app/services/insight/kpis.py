"""KPIs (关键指标) over the last N months, each with its target and its monthly trend, per
liaison and per supplier.

- on-time delivery rate: accepted orders whose acceptance day is on or before the agreed
  delivery date (Acceptance.on_time), in % of accepted orders, by month of acceptance;
- exception response time: hours from an exception to its first response, averaged, by month
  of the exception. The samples come from pluggable sources (`RESPONSE_SOURCES`); the default
  ones read site issues' first acknowledgement and warnings' (预警) acknowledgement, each
  exception once; more sources plug in with `register_response_source`;
- resolution time: hours from a site issue to its (latest) resolution, by month of resolution;
- customer satisfaction: mean acceptance rating (1-5), by month of acceptance;
- shortages per month: BOM lines whose need date fell in the month and that were not fully
  received by then (still short, or received on a day after the need date);
- per supplier: deliveries (received purchase lines, measured against the first promise, as
  delay prediction does), on-time share and average delay in days (a late delivery counts its
  days, an on-time one counts 0).

Only orders the actor may see count; supplier figures cover every delivery.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime

from sqlmodel import Session

from app.services.core import Actor, local_date, settings
from app.services.insight.kpi_sources import (
    Sample,
    acceptances,
    alert_responses,
    resolution_samples,
    shortage_samples,
    site_issue_responses,
    supplier_delays,
)
from app.services.people import users_by_id
from models.base import utcnow
from models.dashboard import Kpi, KpiPoint, Kpis, LiaisonKpis, SupplierKpis
from models.enums import Role
from models.errors import Forbidden

__all__ = [
    "Sample",
    "compute_kpis",
    "may_read_kpis",
    "register_response_source",
    "require_kpi_reader",
]

# A source of response-time samples: (session, actor, first day, last day) -> samples in hours.
ResponseSource = Callable[[Session, Actor, date, date], Iterable[Sample]]


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_back(today: date, count: int) -> list[str]:
    """The `count` months ending with today's, oldest first, as YYYY-MM."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def rate(flags: list[float]) -> float | None:
    """Share of true flags in %, or None without any."""
    return round(100 * sum(flags) / len(flags), 1) if flags else None


def kpi(key, name, unit, samples: list[Sample], months: list[str], reduce, target, better) -> Kpi:
    """A KPI from its samples: the value over the window and the trend per month."""
    by_month: dict[str, list[float]] = defaultdict(list)
    for s in samples:
        by_month[month_of(s.day)].append(s.value)
    inside = [v for m in months for v in by_month.get(m, [])]
    value = reduce(inside)
    met = None
    if value is not None and target is not None:
        met = value >= target if better == "higher" else value <= target
    trend = [
        KpiPoint(month=m, value=reduce(by_month.get(m, [])), count=len(by_month.get(m, [])))
        for m in months
    ]
    return Kpi(
        key=key,
        name=name,
        unit=unit,
        value=value,
        count=len(inside),
        target=target,
        better=better,
        met=met,
        trend=trend,
    )


RESPONSE_SOURCES: list[ResponseSource] = [site_issue_responses, alert_responses]


def register_response_source(source: ResponseSource) -> None:
    """Add a source of exception response samples (e.g. alert acknowledgements)."""
    if source not in RESPONSE_SOURCES:
        RESPONSE_SOURCES.append(source)


def supplier_kpis(session: Session, first: date) -> list[SupplierKpis]:
    """Per supplier since `first`: deliveries, on-time share and average delay (days)."""
    by_supplier, names = supplier_delays(session, first)
    rows = [
        SupplierKpis(
            supplier_id=sid,
            name=names.get(sid, str(sid)),
            deliveries=len(delays),
            on_time_rate=rate([1.0 if d <= 0 else 0.0 for d in delays]),
            average_delay_days=mean([float(max(0, d)) for d in delays]),
        )
        for sid, delays in by_supplier.items()
    ]
    return sorted(rows, key=lambda r: (r.on_time_rate or 0, -r.deliveries, r.name))


# key, name, unit, how samples reduce to a value, which direction is better.
DEFINITIONS = (
    ("on_time", "准时交付率", "%", rate, "higher"),
    ("response_hours", "异常响应时间", "小时", mean, "lower"),
    ("resolution_hours", "问题解决时间", "小时", mean, "lower"),
    ("satisfaction", "客户满意度", "分", mean, "higher"),
    ("shortages", "缺料次数", "次", len, "lower"),
)


def _samples(session: Session, actor: Actor, first: date, today: date) -> dict[str, list]:
    accepted = acceptances(session, actor, first, today)
    return {
        "on_time": [Sample(a.accepted_on, lid, float(a.on_time)) for a, lid in accepted],
        "response_hours": [
            s for source in RESPONSE_SOURCES for s in source(session, actor, first, today)
        ],
        "resolution_hours": resolution_samples(session, actor, first, today),
        "satisfaction": [
            Sample(a.accepted_on, lid, float(a.satisfaction))
            for a, lid in accepted
            if a.satisfaction is not None
        ],
        "shortages": shortage_samples(session, actor, first, today, today),
    }


def compute_kpis(
    *, session: Session, actor: Actor, months: int = 12, now: datetime | None = None
) -> Kpis:
    """The KPIs of the last `months` months (this one included) for what the actor may see."""
    today = local_date(now or utcnow())
    window = months_back(today, months)
    first = date.fromisoformat(window[0] + "-01")
    targets = settings().kpi_targets
    samples = _samples(session, actor, first, today)
    items = [
        kpi(key, name, unit, samples[key], window, reduce, targets.get(key), better)
        for key, name, unit, reduce, better in DEFINITIONS
    ]
    reducers = {key: reduce for key, _, _, reduce, _ in DEFINITIONS}
    return Kpis(
        months=window,
        first_day=first,
        last_day=today,
        items=items,
        liaisons=_per_liaison(session, samples, reducers),
        suppliers=supplier_kpis(session, first),
    )


def _per_liaison(session: Session, samples: dict, reducers: dict) -> list[LiaisonKpis]:
    grouped: dict[int | None, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for key, rows in samples.items():
        for s in rows:
            grouped[s.liaison_id][key].append(s.value)
    users = users_by_id(session, grouped)
    rows = []
    for lid, values in grouped.items():
        user = users.get(lid)
        rows.append(
            LiaisonKpis(
                liaison_id=lid,
                name=user.display_name if user else "未指定",
                **{key: reduce(values.get(key, [])) for key, reduce in reducers.items()},
            )
        )
    return sorted(rows, key=lambda r: r.name)


KPI_ROLES = (Role.manager, Role.tracker, Role.buyer)


def may_read_kpis(actor: Actor) -> bool:
    """KPIs are for admins, managers, trackers and buyers."""
    return actor.is_admin or actor.has(*KPI_ROLES)


def require_kpi_reader(actor: Actor) -> None:
    if not may_read_kpis(actor):
        raise Forbidden("只有管理员、管理层、跟单员和采购可以查看关键指标", code="forbidden_role")
