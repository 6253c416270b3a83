"""/api/orders/<id>/acceptance: record the customer's acceptance, read it, send a link."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import Tag

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import field as svc
from app.services.field import acceptance_public, create_acceptance_link, link_url
from models.acceptance import AcceptanceIn, AcceptancePublic, LinkPublic

bp = APIBlueprint(
    "api_acceptance",
    __name__,
    url_prefix="/api/orders/<int:order_id>/acceptance",
    abp_tags=[Tag(name="验收")],
    abp_security=SECURITY,
)


@bp.post("", responses={201: AcceptancePublic})
def record(path: OrderPath, body: AcceptanceIn):
    """Record the signed acceptance form (photos or a PDF); closes the stage and the order."""
    actor, session = current_actor(), db_session()
    acceptance = svc.record_acceptance(
        session=session, actor=actor, order_id=path.order_id, **body.model_dump()
    )
    commit()
    return ok(acceptance_public(session, acceptance), 201)


@bp.get("", responses={200: AcceptancePublic})
def show(path: OrderPath):
    """The order's acceptance (404 while not accepted)."""
    actor, session = current_actor(), db_session()
    return ok(
        acceptance_public(
            session, svc.get_acceptance(session=session, actor=actor, order_id=path.order_id)
        )
    )


@bp.post("/links", responses={201: LinkPublic})
def create_link(path: OrderPath):
    """A one-time acceptance link for the customer (no login); older unused links stop working."""
    actor, session = current_actor(), db_session()
    link, token = create_acceptance_link(
        session=session,
        actor=actor,
        order_id=path.order_id,
        secret=current_app.config["SECRET_KEY"],
    )
    commit()
    return ok(LinkPublic(id=link.id, url=link_url(token), expires_at=link.expires_at), 201)
