"""The customer's one-time acceptance page (/accept/<token>): no login, Chinese, mobile first.

The signed link is the customer's only permission: it shows the order summary and its
documents, and takes one confirmation with a satisfaction score.
"""

from __future__ import annotations

from flask import current_app, render_template, request

from app.auth import db_session
from app.downloads import send_document
from app.services.core import Actor
from app.services.field import accept_by_link, current_documents, open_link, ready_for_acceptance
from app.services.orders import list_stages
from app.web import bp
from models.acceptance import OrderDocument
from models.enums import DOCUMENT_KIND_NAMES, STAGE_NAMES, STAGE_STATUS_NAMES, Channel
from models.errors import DomainError, NotFound

SCORES = [(5, "非常满意"), (4, "满意"), (3, "一般"), (2, "不满意"), (1, "非常不满意")]


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _render(status: int = 200, **context):
    response = current_app.make_response((render_template("accept.html", **context), status))
    # The page carries a one-time secret: never cache it anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


def _summary(session, order) -> dict:
    stages = [
        (STAGE_NAMES[s.kind], STAGE_STATUS_NAMES[s.status])
        for s in list_stages(session=session, order_id=order.id)
    ]
    documents = [
        (DOCUMENT_KIND_NAMES[kind], doc)
        for kind, doc in current_documents(session=session, order_id=order.id).items()
    ]
    return {"order": order, "stages": stages, "documents": documents}


@bp.get("/accept/<token>")
def accept_page(token: str):
    session = db_session()
    try:
        _, order = open_link(session=session, token=token, secret=_secret())
    except DomainError as exc:
        return _render(exc.status, closed=exc.message)
    blocked = None
    try:
        ready_for_acceptance(session=session, order=order)
    except DomainError as exc:
        blocked = exc.message
    return _render(token=token, blocked=blocked, scores=SCORES, form={}, **_summary(session, order))


@bp.post("/accept/<token>")
def accept_confirm(token: str):
    session = db_session()
    form = request.form
    try:
        accept_by_link(
            session=session,
            actor=Actor.system(Channel.web),
            token=token,
            secret=_secret(),
            signer_name=form.get("signer_name", ""),
            satisfaction=form.get("satisfaction", ""),
            comment=form.get("comment", ""),
        )
        session.commit()
    except DomainError as exc:
        session.rollback()
        return _refused(session, token, exc)
    return _render(done=True)


def _refused(session, token: str, exc: DomainError):
    message = exc.message
    if exc.code == "validation_error":
        message = "请填写签字人姓名，并选择 1-5 分的满意度"
    try:
        _, order = open_link(session=session, token=token, secret=_secret())
    except DomainError as closed:
        return _render(closed.status, closed=closed.message)
    return _render(
        exc.status,
        token=token,
        error=message,
        scores=SCORES,
        form=request.form,
        **_summary(session, order),
    )


@bp.get("/accept/<token>/documents/<int:document_id>")
def accept_document(token: str, document_id: int):
    session = db_session()
    try:
        link, _ = open_link(session=session, token=token, secret=_secret())
    except DomainError as exc:
        return _render(exc.status, closed=exc.message)
    document = session.get(OrderDocument, document_id)
    if document is None or document.order_id != link.order_id:
        raise NotFound("文件不存在", code="document_not_found")
    return send_document(document)
