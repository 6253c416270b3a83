"""/api/orders/<id>/photos (upload, list) and /api/photos/<id> (the image itself)."""

from __future__ import annotations

from flask import send_file
from flask_openapi3 import FileStorage, Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.services import orders as svc
from app.services.orders import photo_public, photos_public
from models.errors import InvalidInput, NotFound
from models.photos import PhotoPublic
from scanning.photo_store import IMAGE, THUMB

bp = APIBlueprint(
    "api_photos", __name__, url_prefix="/api", abp_tags=[Tag(name="照片")], abp_security=SECURITY
)


class UploadForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: FileStorage = Field(
        description="图片文件（JPEG/PNG/WebP），wx.uploadFile 的 name 用 file"
    )
    caption: str | None = Field(default=None, max_length=200)


class PhotoPath(BaseModel):
    photo_id: int


class VariantQuery(BaseModel):
    variant: str = Field(default=IMAGE, pattern=f"^({IMAGE}|{THUMB})$")


class PhotoList(BaseModel):
    items: list[PhotoPublic]


@bp.post("/orders/<int:order_id>/photos", responses={201: PhotoPublic})
def upload(path: OrderPath, form: UploadForm):
    """Upload a photo to an order (multipart field `file`); attach it by id afterwards."""
    actor, session = current_actor(), db_session()
    data = form.file.read()
    if not data:
        raise InvalidInput("没有收到图片文件", field="file")
    photo = svc.upload_photo(
        session=session, actor=actor, order_id=path.order_id, data=data, caption=form.caption
    )
    commit()
    return ok(photo_public(session, photo), 201)


@bp.get("/orders/<int:order_id>/photos", responses={200: PhotoList})
def index(path: OrderPath):
    """Every photo uploaded to the order, newest first."""
    actor, session = current_actor(), db_session()
    photos = svc.list_order_photos(session=session, actor=actor, order_id=path.order_id)
    return ok(PhotoList(items=photos_public(session, photos)))


@bp.get("/photos/<int:photo_id>")
def show(path: PhotoPath, query: VariantQuery):
    """The normalised image or its thumbnail, for members of the photo's order."""
    actor, session = current_actor(), db_session()
    photo = svc.get_photo(session=session, actor=actor, photo_id=path.photo_id)
    store = svc.photo_store()
    if not store.exists(photo.sha256):
        raise NotFound("照片文件已丢失，请重新上传", code="photo_file_missing")
    response = send_file(
        store.path_for(photo.sha256, query.variant), mimetype="image/jpeg", max_age=86400, etag=True
    )
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
