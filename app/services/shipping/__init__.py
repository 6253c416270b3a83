"""Stage 4 (StageKind.delivery), inspection and shipment: quality inspections (full or sampling,
with rework), shipment plans and the remote-site checklist; nothing ships uninspected.
"""

from __future__ import annotations

from app.services.shipping.inspections import (
    complete_rework,
    get_inspection,
    last_inspection,
    list_inspections,
    list_reworks,
    open_reworks,
    record_inspection,
    require_passed_inspection,
)
from app.services.shipping.shipments import (
    advance_shipment,
    create_shipment,
    get_shipment,
    list_shipments,
    update_shipment,
)
from app.services.shipping.site_checks import (
    add_site_check,
    checks_of,
    delete_site_check,
    set_site_check,
)

__all__ = [
    "add_site_check",
    "advance_shipment",
    "checks_of",
    "complete_rework",
    "create_shipment",
    "delete_site_check",
    "get_inspection",
    "get_shipment",
    "last_inspection",
    "list_inspections",
    "list_reworks",
    "list_shipments",
    "open_reworks",
    "record_inspection",
    "require_passed_inspection",
    "set_site_check",
    "update_shipment",
]
