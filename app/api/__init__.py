"""The REST API under /api; every blueprint is documented in /api/openapi.json."""

from __future__ import annotations

from app.api import (
    acceptance,
    alerts,
    auth,
    bom,
    change_orders,
    chat,
    chat_login,
    contingency,
    costs,
    dashboard,
    documents,
    inspections,
    issues,
    jsapi,
    materials,
    operations,
    order_files,
    orders,
    outbox,
    photos,
    production,
    purchases,
    reports,
    retro,
    reviews,
    risk_matrix,
    scans,
    scheduler,
    schedules,
    shipments,
    shortages,
    stages,
    suppliers,
    templates,
    todo,
    users,
)

BLUEPRINTS = [
    auth.bp,
    chat_login.bp,
    jsapi.bp,
    users.bp,
    order_files.bp,
    orders.bp,
    reviews.bp,
    change_orders.bp,
    stages.bp,
    templates.bp,
    photos.bp,
    materials.bp,
    suppliers.bp,
    bom.bp,
    purchases.bp,
    scans.bp,
    shortages.bp,
    reports.bp,
    reports.desk_bp,
    issues.bp,
    documents.bp,
    acceptance.bp,
    alerts.bp,
    operations.template_bp,
    operations.bp,
    production.bp,
    inspections.bp,
    shipments.bp,
    costs.bp,
    retro.bp,
    chat.bp,
    dashboard.bp,
    outbox.bp,
    risk_matrix.bp,
    contingency.bp,
    schedules.bp,
    scheduler.bp,
    todo.bp,
]


def register_api(app, csrf) -> None:
    """Register the API blueprints; the API authenticates by bearer token, not CSRF forms."""
    for bp in BLUEPRINTS:
        app.register_api(bp)
    for name in app.blueprints:
        if name.startswith("api_"):
            csrf.exempt(app.blueprints[name])
