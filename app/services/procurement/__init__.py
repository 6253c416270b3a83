"""Stage 2, procurement: materials and suppliers, the BOM and its import, purchase lines, stock
movements, shortages, printable labels, and warehouse scans (scans/).
"""

from __future__ import annotations

from app.services.procurement.bom import (
    add_bom_line,
    bom_summary,
    delete_bom_line,
    list_bom,
    update_bom_line,
)
from app.services.procurement.bom_import import import_bom
from app.services.procurement.errors import BadChecksum
from app.services.procurement.labels import bom_sheet, material_label, order_label
from app.services.procurement.materials import (
    bind_alias,
    create_material,
    get_material,
    list_materials,
    unbind_alias,
    update_material,
)
from app.services.procurement.public import (
    bom_public,
    history_public,
    materials_public,
    purchases_public,
    suppliers_public,
)
from app.services.procurement.purchasing import (
    create_purchase_line,
    list_purchases,
    promised_history,
    set_purchase_status,
    update_purchase_line,
)
from app.services.procurement.scans.codes import (
    alias_form,
    bad_retail_digits,
    lookup_forms,
    normalise_type,
    retail_text,
)
from app.services.procurement.scans.combine import ReceiptCombiner
from app.services.procurement.scans.photo import describe_code, scan_photo
from app.services.procurement.scans.record import (
    RejectedScan,
    check_batch_size,
    record_scan,
    record_scan_batch,
)
from app.services.procurement.shortages import (
    Shortages,
    find_shortages,
    list_shortages,
    shortage_query,
)
from app.services.procurement.suppliers import (
    add_contact,
    create_supplier,
    get_supplier,
    list_suppliers,
    remove_contact,
    update_supplier,
)

__all__ = [
    "BadChecksum",
    "ReceiptCombiner",
    "RejectedScan",
    "Shortages",
    "add_bom_line",
    "add_contact",
    "alias_form",
    "bad_retail_digits",
    "bind_alias",
    "bom_public",
    "bom_sheet",
    "bom_summary",
    "check_batch_size",
    "create_material",
    "create_purchase_line",
    "create_supplier",
    "delete_bom_line",
    "describe_code",
    "find_shortages",
    "get_material",
    "get_supplier",
    "history_public",
    "import_bom",
    "list_bom",
    "list_materials",
    "list_purchases",
    "list_shortages",
    "list_suppliers",
    "lookup_forms",
    "material_label",
    "materials_public",
    "normalise_type",
    "order_label",
    "promised_history",
    "purchases_public",
    "record_scan",
    "record_scan_batch",
    "remove_contact",
    "retail_text",
    "scan_photo",
    "set_purchase_status",
    "shortage_query",
    "suppliers_public",
    "unbind_alias",
    "update_bom_line",
    "update_material",
    "update_purchase_line",
    "update_supplier",
]
