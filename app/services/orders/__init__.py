"""An order and its five stages: orders and members, the review record and sign-offs, stages
with their SOP checklists and templates, stage progress derived from other domains' records
(progress.py) and checklist items derived from them (checks.py, sop.py), order photos, order
import, and the public forms of orders, stages and reviews. scope.py has the helpers other
domains use to act on the rows of one order.
"""

from __future__ import annotations

from app.services.orders.checks import check_source, source_of
from app.services.orders.importing import (
    ORDER_LAYOUT,
    ORDER_TEMPLATE,
    OrderImportFailed,
    import_orders,
)
from app.services.orders.orders import (
    CLOSED,
    add_member,
    cancel_order,
    create_order,
    delete_order,
    find_order_by_code,
    get_order,
    list_members,
    list_orders,
    remove_member,
    update_order,
)
from app.services.orders.photos import (
    attach_photos,
    get_photo,
    list_order_photos,
    photo_public,
    photo_store,
    photos_of,
    photos_public,
    upload_photo,
)
from app.services.orders.progress import derived_progress, progress_source
from app.services.orders.public import (
    members_public,
    order_public,
    orders_public,
    review_public,
    stage_brief,
    stage_public,
)
from app.services.orders.reviews import (
    current_review,
    decide_signoff,
    get_review,
    signoffs,
    submit_for_review,
    withdraw_review,
)
from app.services.orders.scope import (
    open_order,
    require_executing,
    require_member_in_role,
    row_of_order,
)
from app.services.orders.sop import (
    checklist,
    item_done,
    open_required_items,
    sync_checks,
    sync_order_checks,
)
from app.services.orders.stages import (
    STAGE_WEIGHTS,
    add_checklist_item,
    begin_stage,
    close_stage,
    current_stage,
    finish_stage,
    list_stages,
    order_progress,
    refresh_derived_progress,
    reopen_stage,
    set_checklist_item,
    start_stage,
    update_stage,
)
from app.services.orders.templates import add_template, list_templates, retire_template

__all__ = [
    "CLOSED",
    "ORDER_LAYOUT",
    "ORDER_TEMPLATE",
    "STAGE_WEIGHTS",
    "OrderImportFailed",
    "add_checklist_item",
    "add_member",
    "add_template",
    "attach_photos",
    "begin_stage",
    "cancel_order",
    "check_source",
    "checklist",
    "close_stage",
    "create_order",
    "current_review",
    "current_stage",
    "decide_signoff",
    "delete_order",
    "derived_progress",
    "find_order_by_code",
    "finish_stage",
    "get_order",
    "get_photo",
    "get_review",
    "import_orders",
    "item_done",
    "list_members",
    "list_order_photos",
    "list_orders",
    "list_stages",
    "list_templates",
    "members_public",
    "open_order",
    "open_required_items",
    "order_progress",
    "order_public",
    "orders_public",
    "photo_public",
    "photo_store",
    "photos_of",
    "photos_public",
    "progress_source",
    "refresh_derived_progress",
    "remove_member",
    "reopen_stage",
    "require_executing",
    "require_member_in_role",
    "retire_template",
    "review_public",
    "row_of_order",
    "set_checklist_item",
    "signoffs",
    "source_of",
    "stage_brief",
    "stage_public",
    "start_stage",
    "submit_for_review",
    "sync_checks",
    "sync_order_checks",
    "update_order",
    "update_stage",
    "upload_photo",
    "withdraw_review",
]
