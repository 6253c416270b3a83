"""What the data says: the overview, KPIs and their workbook, standups (one order, one group), the
retrospective and the order report.
"""

from __future__ import annotations

from app.services.insight.group_standup import (
    group_standup_markdown,
    group_standup_messages,
    order_standup_messages,
    post_group_standup,
    post_order_standup,
)
from app.services.insight.kpi_export import kpis_workbook
from app.services.insight.kpi_sources import Sample
from app.services.insight.kpis import (
    RESPONSE_SOURCES,
    compute_kpis,
    kpi,
    may_read_kpis,
    mean,
    months_back,
    rate,
    register_response_source,
    require_kpi_reader,
)
from app.services.insight.meeting import (
    OrderStandup,
    PersonDay,
    build_standup,
    standup_page_url,
)
from app.services.insight.order_export import export_orders
from app.services.insight.overview import order_overview
from app.services.insight.retro import (
    add_feedback,
    add_improvement,
    adopt_improvement,
    get_retro,
    improvement_public,
    save_draft,
)
from app.services.insight.standup import standup_summary
from app.services.insight.todo import my_todo

__all__ = [
    "RESPONSE_SOURCES",
    "OrderStandup",
    "PersonDay",
    "Sample",
    "add_feedback",
    "add_improvement",
    "adopt_improvement",
    "build_standup",
    "compute_kpis",
    "export_orders",
    "get_retro",
    "group_standup_markdown",
    "group_standup_messages",
    "improvement_public",
    "kpi",
    "kpis_workbook",
    "may_read_kpis",
    "mean",
    "months_back",
    "my_todo",
    "order_overview",
    "order_standup_messages",
    "post_group_standup",
    "post_order_standup",
    "rate",
    "register_response_source",
    "require_kpi_reader",
    "save_draft",
    "standup_page_url",
    "standup_summary",
]
