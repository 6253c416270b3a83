"""/api/shortages and /api/orders/<id>/shortages: what will stop work if nobody acts."""

from __future__ import annotations

from flask_openapi3 import Tag
from pydantic import BaseModel, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, current_actor, db_session, ok
from app.services.procurement import Shortages, list_shortages
from models.shortages import ShortageList

bp = APIBlueprint(
    "api_shortages",
    __name__,
    url_prefix="/api",
    abp_tags=[Tag(name="缺料")],
    abp_security=SECURITY,
)


class ShortageQuery(BaseModel):
    key_only: bool = Field(default=False, description="只看关键物料")


def _page(found: Shortages, key_only: bool) -> ShortageList:
    items = [s for s in found.items if s.is_key or not key_only]
    return ShortageList(
        items=items,
        total=len(items),
        key_total=sum(1 for s in items if s.is_key),
        escalated_total=sum(1 for s in items if s.escalated),
    )


@bp.get("/shortages", responses={200: ShortageList})
def index(query: ShortageQuery):
    """Shortages of every order the user may see: key materials first, then by need date."""
    actor, session = current_actor(), db_session()
    return ok(_page(list_shortages(session=session, actor=actor), query.key_only))


@bp.get("/orders/<int:order_id>/shortages", responses={200: ShortageList})
def of_order(path: OrderPath, query: ShortageQuery):
    """One order's shortages."""
    actor, session = current_actor(), db_session()
    found = list_shortages(session=session, actor=actor, order_id=path.order_id)
    return ok(_page(found, query.key_only))
