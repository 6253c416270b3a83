"""/api/orders/<id>/documents (PDF upload, list) and /api/documents/<id> (the file)."""

from __future__ import annotations

from flask_openapi3 import FileStorage, Tag
from pydantic import BaseModel, ConfigDict, Field

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, OrderPath, commit, current_actor, db_session, ok
from app.downloads import send_document
from app.services import field as svc
from app.services.field import document_public
from models.acceptance import DocumentPublic
from models.enums import DocumentKind

bp = APIBlueprint(
    "api_documents", __name__, url_prefix="/api", abp_tags=[Tag(name="验收")], abp_security=SECURITY
)


class DocumentForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: FileStorage = Field(description="PDF 文件")
    kind: DocumentKind = Field(
        description="completion_report 竣工报告、user_manual 用户操作手册、"
        "acceptance_form 客户验收单"
    )


class DocumentPath(BaseModel):
    document_id: int


class DocumentList(BaseModel):
    items: list[DocumentPublic]


@bp.post("/orders/<int:order_id>/documents", responses={201: DocumentPublic})
def upload(path: OrderPath, form: DocumentForm):
    """Upload a PDF (completion report, user manual or signed acceptance form)."""
    actor, session = current_actor(), db_session()
    document = svc.upload_document(
        session=session,
        actor=actor,
        order_id=path.order_id,
        kind=form.kind,
        data=form.file.read(),
        filename=form.file.filename,
    )
    commit()
    return ok(document_public(session, document), 201)


@bp.get("/orders/<int:order_id>/documents", responses={200: DocumentList})
def index(path: OrderPath):
    """The order's documents, newest first."""
    actor, session = current_actor(), db_session()
    rows = svc.list_documents(session=session, actor=actor, order_id=path.order_id)
    return ok(DocumentList(items=[document_public(session, d) for d in rows]))


@bp.get("/documents/<int:document_id>")
def show(path: DocumentPath):
    """The PDF itself, for those who may see its order."""
    actor, session = current_actor(), db_session()
    return send_document(
        svc.get_document(session=session, actor=actor, document_id=path.document_id)
    )
