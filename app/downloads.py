"""File downloads shared by the REST API and the pages (Flask responses, so not a service)."""

from __future__ import annotations

from flask import send_file

from app.services.field import document_store
from models.acceptance import OrderDocument
from models.errors import NotFound


def send_document(document: OrderDocument):
    """The stored PDF as a download response (also used by the customer's link page)."""
    store = document_store()
    if not store.exists(document.sha256):
        raise NotFound("文件已丢失，请重新上传", code="document_file_missing")
    response = send_file(
        store.path_for(document.sha256),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=document.filename,
        etag=True,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response
