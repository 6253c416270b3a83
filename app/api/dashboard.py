"""/api/overview and /api/kpis: what the dashboard pages show, for the mini-program too."""

from __future__ import annotations

from flask import Response
from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, current_actor, db_session, ok
from app.services.insight import compute_kpis, kpis_workbook, order_overview, require_kpi_reader
from models.dashboard import Kpis, Overview, OverviewFilters

bp = APIBlueprint(
    "api_dashboard", __name__, url_prefix="/api", abp_tags=[Tag(name="看板")], abp_security=SECURITY
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class KpiQuery(BaseModel):
    months: int = Field(default=12, ge=1, le=36, description="统计最近几个月（含本月）")


@bp.get("/overview", responses={200: Overview})
def overview(query: OverviewFilters):
    """Every visible order with progress, delay warnings, issues and shortages, most at risk
    first."""
    actor, session = current_actor(), db_session()
    return ok(order_overview(session=session, actor=actor, filters=query))


def _kpis(months: int) -> Kpis:
    actor, session = current_actor(), db_session()
    require_kpi_reader(actor)
    return compute_kpis(session=session, actor=actor, months=months)


@bp.get("/kpis", responses={200: Kpis})
def kpis(query: KpiQuery):
    """On-time delivery, response and resolution time, satisfaction and shortages, with their
    targets and monthly trend; per liaison and per supplier."""
    return ok(_kpis(query.months))


@bp.get("/kpis.xlsx")
def kpis_xlsx(query: KpiQuery):
    """The same KPIs as an Excel workbook."""
    body = kpis_workbook(_kpis(query.months))
    return Response(
        body,
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename=gendan-kpis.xlsx"},
    )
