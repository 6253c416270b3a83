"""Loading the people and photos that public forms name, in one query per kind."""

from __future__ import annotations

from sqlmodel import col, select

from app.services.orders import photos_of, photos_public
from app.services.people import user_brief
from models.people import User, UserBrief
from models.photos import PhotoPublic


def briefs(session, ids) -> dict[int, UserBrief | None]:
    """The short public form of each of these users (None ids are skipped)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted)))
    return {u.id: user_brief(u) for u in users}


def attached_photos_public(
    session, entity: str, entity_ids: list[int]
) -> dict[int, list[PhotoPublic]]:
    """The public forms of the photos attached to each row of one kind."""
    found = photos_of(session=session, entity=entity, entity_ids=entity_ids)
    return {i: photos_public(session, found[i]) for i in entity_ids}
