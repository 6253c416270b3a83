"""/api/scans: one scan, an offline queue of scans, or a photo to find the codes in."""

from __future__ import annotations

from flask import current_app
from flask_openapi3 import FileStorage, Tag
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.api.blueprint import APIBlueprint
from app.api.common import SECURITY, commit, current_actor, db_session, ok
from app.services import procurement as svc
from app.services.core import describe_validation_error
from app.services.procurement import scan_photo
from models.enums import ScanAction
from models.errors import InvalidInput
from models.scans import PhotoScanResult, ScanBatchIn, ScanBatchResult, ScanIn, ScanResult

COMBINER = "gendan.receipt_combiner"

bp = APIBlueprint(
    "api_scans",
    __name__,
    url_prefix="/api/scans",
    abp_tags=[Tag(name="扫码")],
    abp_security=SECURITY,
)


class PhotoForm(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: FileStorage = Field(description="照片（JPEG/PNG/WebP），wx.uploadFile 的 name 用 file")


@bp.record_once
def _combiner(state) -> None:
    state.app.extensions[COMBINER] = svc.ReceiptCombiner()


@bp.post("", responses={201: ScanResult, 200: ScanResult})
def create(body: ScanIn):
    """Apply one scan: 201 when applied now, 200 with `duplicate` when the client id was
    already applied (the original result, nothing counted twice)."""
    actor, session = current_actor(), db_session()
    if body.action == ScanAction.receive:
        # Receipts arriving together share a transaction (scans/combine.py).
        combiner = current_app.extensions[COMBINER]
        result, applied = combiner.receive(session=session, actor=actor, data=body, commit=commit)
        return ok(result, 201 if applied else 200)
    # Alone: the request's transaction holds only the authentication reads.
    result, applied = svc.record_scan(session=session, actor=actor, data=body, alone=True)
    commit()
    return ok(result, 201 if applied else 200)


@bp.post("/batch", responses={200: ScanBatchResult})
def batch(body: ScanBatchIn):
    """Apply an offline queue (at most 500) in order; every scan gets its own answer and a
    refused one takes nothing back. A run of receipts is one transaction (committed after
    it), each other scan is committed on its own."""
    actor, session = current_actor(), db_session()
    svc.check_batch_size(len(body.scans))
    scans = [_read(raw) for raw in body.scans]
    result = svc.record_scan_batch(session=session, actor=actor, scans=scans, after_each=commit)
    return ok(result)


@bp.post("/photo", responses={200: PhotoScanResult})
def photo(form: PhotoForm):
    """Find every barcode in a photo and say what each is; confirm receipts with POST /api/scans."""
    actor, session = current_actor(), db_session()
    return ok(scan_photo(session=session, actor=actor, data=form.file.read()))


def _read(raw) -> ScanIn | svc.RejectedScan:
    try:
        return ScanIn.model_validate(raw)
    except ValidationError as exc:
        message, fields = describe_validation_error(exc)
        client_id = raw.get("client_id") if isinstance(raw, dict) else None
        error = InvalidInput(message, code="validation_error", fields=fields)
        return svc.RejectedScan(
            client_id=None if client_id is None else str(client_id), error=error
        )
