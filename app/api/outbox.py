"""/api/outbox: what Gendan sent (or is still trying to send) to chat, and retrying failures."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, Paging, commit, current_actor, db_session, ok
from app.services import chat as svc
from models.enums import OutboxStatus
from models.outbox import OutboxPage, OutboxPublic

bp = APIBlueprint(
    "api_outbox",
    __name__,
    url_prefix="/api",
    abp_tags=[Tag(name="消息发送")],
    abp_security=SECURITY,
)


class OutboxQuery(Paging):
    status: OutboxStatus | None = None


class OutboxPath(BaseModel):
    outbox_id: int


def _page(query: OutboxQuery, order_id: int | None):
    actor, session = current_actor(), db_session()
    rows, total = svc.list_outbox(
        session=session,
        actor=actor,
        order_id=order_id,
        status=query.status,
        page=query.page,
        per_page=query.per_page,
    )
    items = svc.outbox_public(session, rows)
    return ok(OutboxPage(items=items, total=total, page=query.page, per_page=query.per_page))


@bp.get("/outbox", responses={200: OutboxPage})
def index(query: OutboxQuery):
    """Every outbox entry, newest first (admins); filter by status, e.g. failed."""
    return _page(query, None)


@bp.get("/orders/<int:order_id>/outbox", responses={200: OutboxPage})
def for_order(path: OrderPath, query: OutboxQuery):
    """The order's outbox entries (its liaison, managers and admins)."""
    return _page(query, path.order_id)


@bp.post("/outbox/<int:outbox_id>/retry", responses={200: OutboxPublic})
def retry(path: OutboxPath):
    """Send a permanently failed message again."""
    actor, session = current_actor(), db_session()
    row = svc.retry_outbox(session=session, actor=actor, outbox_id=path.outbox_id)
    commit()
    return ok(svc.outbox_public(session, [row])[0])
