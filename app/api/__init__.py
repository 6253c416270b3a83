"""The REST API under /api; every blueprint is documented in /api/openapi.json."""

from __future__ import annotations

from app.api import (
    acceptance,
    auth,
    contingency,
    documents,
    inspections,
    issues,
    operations,
    orders,
    photos,
    production,
    reports,
    reviews,
    risk_matrix,
    scheduler,
    schedules,
    shipments,
    stages,
    templates,
    users,
)

BLUEPRINTS = [
    auth.bp,
    users.bp,
    orders.bp,
    reviews.bp,
    stages.bp,
    templates.bp,
    photos.bp,
    reports.bp,
    issues.bp,
    documents.bp,
    acceptance.bp,
    operations.template_bp,
    operations.bp,
    production.bp,
    inspections.bp,
    shipments.bp,
    risk_matrix.bp,
    contingency.bp,
    schedules.bp,
    scheduler.bp,
]


def register_api(app, csrf) -> None:
    """Register the API blueprints; the API authenticates by bearer token, not CSRF forms."""
    for bp in BLUEPRINTS:
        app.register_api(bp)
    for name in app.blueprints:
        if name.startswith("api_"):
            csrf.exempt(app.blueprints[name])
