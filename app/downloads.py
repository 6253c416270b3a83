"""File downloads shared by the REST API and the pages (Flask responses, so not a service)."""

from __future__ import annotations

from flask import send_file

from app.services.field import document_store
from models.acceptance import OrderDocument
from models.errors import NotFound

# What a download answers, by the end of its path (the API's file endpoints declare no model).
FILE_TYPES = {
    ".csv": "text/csv",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "/api/documents/{document_id}": "application/pdf",
    "/api/photos/{photo_id}": "image/jpeg",
}


def document_files(spec: dict) -> dict:
    """The OpenAPI document with the 200 of every file download (binary, by media type)."""
    for path, path_item in spec.get("paths", {}).items():
        operation = path_item.get("get")
        if not operation or any(code.startswith("2") for code in operation["responses"]):
            continue
        kind = next((t for end, t in FILE_TYPES.items() if path.endswith(end)), None)
        if kind:
            content = {kind: {"schema": {"type": "string", "format": "binary"}}}
            operation["responses"]["200"] = {"description": "OK", "content": content}
    return spec


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
