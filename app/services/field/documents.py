"""Order documents (PDF): completion report, user manual, signed acceptance form.

Stored once per content under UPLOAD_DIR/documents; a newer upload of the same kind takes
the place of the older one, which stays readable in the list. Served to whoever may see the
order.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from app.services.core import Actor, acts, load_order, require_order_role, settings
from app.services.orders import refuse_closed
from models.acceptance import OrderDocument
from models.base import utcnow
from models.enums import DocumentKind, Role
from models.errors import NotFound
from scanning.documents import DocumentStore, check_pdf

UPLOADER_ROLES = {Role.site_engineer, Role.tracker, Role.engineering}


def document_store() -> DocumentStore:
    """The deployment's document store (UPLOAD_DIR/documents)."""
    return DocumentStore(Path(settings().upload_dir) / "documents")


def _clean_name(filename: str | None, kind: DocumentKind) -> str:
    name = Path((filename or "").replace("\\", "/")).name.strip()
    return (name or f"{kind.value}.pdf")[-200:]


@acts
def upload_document(
    *,
    session: Session,
    actor: Actor,
    order_id: int,
    kind: DocumentKind,
    data: bytes,
    filename: str | None = None,
    now: datetime | None = None,
) -> OrderDocument:
    """Check and store a PDF of an order; the same file of the same kind twice is one row."""
    order = load_order(session, actor, order_id)
    require_order_role(session, actor, order, UPLOADER_ROLES, "上传验收文件")
    refuse_closed(order, "订单已关闭，不能再上传文件")
    kind = DocumentKind(kind)
    pdf = check_pdf(data, max_bytes=settings().document_max_bytes)
    existing = session.exec(
        select(OrderDocument).where(
            OrderDocument.order_id == order_id,
            OrderDocument.kind == kind,
            OrderDocument.sha256 == pdf.sha256,
        )
    ).first()
    if existing is not None:
        return existing
    document_store().save(pdf)
    document = OrderDocument(
        order_id=order_id,
        kind=kind,
        sha256=pdf.sha256,
        size_bytes=len(pdf.data),
        filename=_clean_name(filename, kind),
        uploaded_by_id=actor.id,
        uploaded_at=now or utcnow(),
    )
    session.add(document)
    session.flush()
    return document


def list_documents(*, session: Session, actor: Actor, order_id: int) -> list[OrderDocument]:
    """Every document of an order, newest first."""
    load_order(session, actor, order_id)
    return _documents(session, order_id)


def _documents(session: Session, order_id: int) -> list[OrderDocument]:
    query = select(OrderDocument).where(OrderDocument.order_id == order_id)
    return list(session.exec(query.order_by(col(OrderDocument.id).desc())))


def current_documents(*, session: Session, order_id: int) -> dict[DocumentKind, OrderDocument]:
    """The newest document of each kind an order has."""
    out: dict[DocumentKind, OrderDocument] = {}
    for document in _documents(session, order_id):
        out.setdefault(DocumentKind(document.kind), document)
    return out


def get_document(*, session: Session, actor: Actor, document_id: int) -> OrderDocument:
    """A document, if the actor may see its order."""
    document = session.get(OrderDocument, document_id)
    if document is None:
        raise NotFound("文件不存在", code="document_not_found")
    load_order(session, actor, document.order_id)
    return document
