"""Helpers for the label endpoints: the symbology query and binary responses."""

from __future__ import annotations

from flask import Response
from pydantic import BaseModel, Field

from scanning.labels import Symbology


class LabelQuery(BaseModel):
    symbology: Symbology = Field(default=Symbology.QR, description="qr 二维码或 code128 条码")


def png_response(data: bytes, filename: str) -> Response:
    return _file(data, "image/png", filename)


def pdf_response(data: bytes, filename: str) -> Response:
    return _file(data, "application/pdf", filename)


def _file(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
