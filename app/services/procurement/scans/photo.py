"""Scan by photo: decode every barcode in a picture and say what each one is.

Nothing is received here: the phone shows the codes with their open needs, and the worker
confirms each receipt as an ordinary scan (POST /api/scans with the code's text), so photo
and camera scans share one path, one idempotency key and one set of rules.
"""

from __future__ import annotations

from sqlmodel import Session

from app.services.core import Actor, can_view, settings
from app.services.procurement.materials import SCANNERS, require_role
from app.services.procurement.scans._resolve import resolve_code
from app.services.procurement.scans._targets import open_needs
from app.services.procurement.scans.codes import normalise_type
from models.errors import DomainError
from models.materials import MaterialBrief
from models.scans import DecodedCode, OrderRef, PhotoScanResult, ScanError
from scanning.symbols import Code

# Run every decoding pass: a photo of a delivery often holds several labels.
EXPECT_CODES = 50


def scan_photo(*, session: Session, actor: Actor, data: bytes) -> PhotoScanResult:
    """The barcodes in a photo, each resolved to a material (with its open needs) or an order."""
    require_role(actor, SCANNERS, "拍照识别条码")
    # Pillow, zxing-cpp and zbar load with the first photo, not with the app (issue 18, memory).
    from scanning.decode import scan
    from scanning.imaging import load_gray

    conf = settings()
    image = load_gray(
        data,
        max_pixels=conf.photo_max_pixels,
        max_bytes=conf.photo_max_bytes,
        decode_slots=conf.image_decode_slots,
    )
    codes = scan(image, expect=EXPECT_CODES)
    items = [_describe(session, actor, code) for code in codes]
    if not items:
        message = "照片中没有识别到条码，请靠近条码、对准光线后重拍"
    else:
        known = sum(1 for i in items if i.kind == "material")
        message = f"识别到 {len(items)} 个条码，其中 {known} 个物料；请逐个确认入库"
    return PhotoScanResult(message=message, items=items)


def describe_code(
    *, session: Session, actor: Actor, text: str, scan_type: str | None = None
) -> DecodedCode:
    """What one scanned code is, before anything is recorded (the chat asks for a quantity
    with it); the resolver's DomainError when the code is broken or unknown."""
    require_role(actor, SCANNERS, "扫码收发料和盘点")
    resolve_code(session, text, scan_type)  # raises for a broken or unknown code
    return _describe(session, actor, Code(format=normalise_type(scan_type) or "", text=text))


def _describe(session: Session, actor: Actor, code: Code) -> DecodedCode:
    item = DecodedCode(format=code.format, text=code.text, kind="unknown")
    try:
        resolved = resolve_code(session, code.text, code.format)
    except DomainError as exc:
        item.kind = "unknown" if exc.code == "unknown_code" else "invalid"
        item.error = ScanError(code=exc.code, message=exc.message, details=exc.details or None)
        return item
    order = resolved.order
    if order is not None and can_view(session, actor, order):
        item.order = OrderRef(id=order.id, code=order.code)
    if resolved.material is None:
        item.kind = "order"
        return item
    item.kind = "material"
    item.material = MaterialBrief.model_validate(resolved.material, from_attributes=True)
    item.lot, item.quantity = resolved.lot, resolved.quantity
    needs = open_needs(session, actor, resolved.material.id)
    item.open_needs = [n for n in needs if order is None or n.order_id == order.id]
    return item
