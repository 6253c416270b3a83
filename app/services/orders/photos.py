"""Photos: upload to an order, attach to what they document, fetch for those allowed to see.

Every feature that takes a picture (site issues, daily reports, inspections, deliveries,
acceptance) uploads through here and attaches the photo to its own row.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, load_order, settings
from app.services.people import user_brief, users_by_id
from models.base import utcnow
from models.errors import InvalidInput, NotFound
from models.people import User
from models.photos import Photo, PhotoAttachment, PhotoPublic
from scanning.photo_store import THUMB, PhotoStore

MAX_PHOTOS_PER_ITEM = 20


def photo_store() -> PhotoStore:
    """The deployment's photo store (UPLOAD_DIR/photos)."""
    return PhotoStore(Path(settings().upload_dir) / "photos")


@acts
def upload_photo(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    data: bytes,
    caption: str | None = None,
    now: datetime | None = None,
) -> Photo:
    """Validate, normalise and store a photo for an order; the same picture twice is one photo."""
    load_order(session, actor, order_id)
    conf = settings()
    # Pillow and its plugins load with the first photo, not with the app (issue 18, memory).
    from scanning.photos import process_photo

    processed = process_photo(
        data,
        max_bytes=conf.photo_max_bytes,
        max_pixels=conf.photo_max_pixels,
        keep_metadata=conf.photo_keep_metadata,
        timezone=conf.timezone,
        decode_slots=conf.image_decode_slots,
    )
    existing = session.exec(
        select(Photo).where(Photo.order_id == order_id, Photo.sha256 == processed.sha256)
    ).first()
    if existing is not None:
        return existing
    photo_store().save(processed)
    photo = Photo(
        order_id=order_id,
        sha256=processed.sha256,
        mime=processed.mime,
        width=processed.width,
        height=processed.height,
        original_width=processed.original_width,
        original_height=processed.original_height,
        size_bytes=len(processed.image),
        taken_at=processed.taken_at,
        gps_latitude=processed.gps.latitude if processed.gps else None,
        gps_longitude=processed.gps.longitude if processed.gps else None,
        caption=caption,
        uploaded_by_id=actor.id,
        uploaded_at=now or utcnow(),
    )
    session.add(photo)
    session.flush()
    return photo


def attach_photos(
    *, session: Session, order_id: int, photo_ids: list[int], entity: str, entity_id: int
) -> list[Photo]:
    """Attach uploaded photos of the same order to a row (called by the owning service)."""
    wanted = list(dict.fromkeys(photo_ids))
    if len(wanted) > MAX_PHOTOS_PER_ITEM:
        raise InvalidInput(f"每项最多附 {MAX_PHOTOS_PER_ITEM} 张照片", field="photo_ids")
    if not wanted:
        return []
    photos = session.exec(select(Photo).where(col(Photo.id).in_(wanted))).all()
    found = {p.id: p for p in photos if p.order_id == order_id}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(f"照片不存在或不属于本订单：{missing}", field="photo_ids")
    have = set(
        session.exec(
            select(PhotoAttachment.photo_id).where(
                PhotoAttachment.entity == entity, PhotoAttachment.entity_id == entity_id
            )
        ).all()
    )
    for photo_id in wanted:
        if photo_id not in have:
            session.add(
                PhotoAttachment(
                    photo_id=photo_id, order_id=order_id, entity=entity, entity_id=entity_id
                )
            )
    session.flush()
    return [found[i] for i in wanted]


def photos_of(*, session: Session, entity: str, entity_ids: list[int]) -> dict[int, list[Photo]]:
    """The photos attached to each of several rows of one kind, in attachment order."""
    out: dict[int, list[Photo]] = {i: [] for i in entity_ids}
    if not entity_ids:
        return out
    rows = session.exec(
        select(PhotoAttachment.entity_id, Photo)
        .join(Photo, Photo.id == PhotoAttachment.photo_id)
        .where(PhotoAttachment.entity == entity, col(PhotoAttachment.entity_id).in_(entity_ids))
        .order_by(PhotoAttachment.id)
    ).all()
    for entity_id, photo in rows:
        out[entity_id].append(photo)
    return out


def list_order_photos(*, session: Session, actor: Actor, order_id: int) -> list[Photo]:
    """Every photo uploaded to an order, newest first."""
    load_order(session, actor, order_id)
    query = select(Photo).where(Photo.order_id == order_id)
    return list(session.exec(query.order_by(col(Photo.id).desc())))


def get_photo(*, session: Session, actor: Actor, photo_id: int) -> Photo:
    """A photo, if the actor may see the order it belongs to."""
    photo = session.get(Photo, photo_id)
    if photo is None:
        raise NotFound("照片不存在")
    load_order(session, actor, photo.order_id)
    return photo


def photos_public(session, photos: list[Photo]) -> list[PhotoPublic]:
    """Public forms of photos, their uploaders loaded in one query."""
    users = users_by_id(session, [p.uploaded_by_id for p in photos])
    return [photo_public(session, p, users) for p in photos]


def photo_public(session, photo: Photo, users: dict[int, User] | None = None) -> PhotoPublic:
    """The public form of a photo, with its URLs."""
    if users is None:
        users = users_by_id(session, [photo.uploaded_by_id])
    uploader = users.get(photo.uploaded_by_id)
    url = f"/api/photos/{photo.id}"
    return PhotoPublic(
        id=photo.id,
        order_id=photo.order_id,
        url=url,
        thumb_url=f"{url}?variant={THUMB}",
        width=photo.width,
        height=photo.height,
        taken_at=photo.taken_at,
        caption=photo.caption,
        uploaded_by=user_brief(uploader),
        uploaded_at=photo.uploaded_at,
    )
