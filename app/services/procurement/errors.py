"""Errors of materials, BOM, purchasing and scanning; their Chinese messages live here together."""

from __future__ import annotations

from models.errors import Conflict, InvalidInput, NotFound

BIND_URL = "/api/materials/aliases"


class MaterialNotFound(NotFound):
    code = "material_not_found"
    message = "物料不存在"


class SupplierNotFound(NotFound):
    code = "supplier_not_found"
    message = "供应商不存在"


class BomLineNotFound(NotFound):
    code = "bom_line_not_found"
    message = "BOM 行不存在"


class PurchaseLineNotFound(NotFound):
    code = "purchase_line_not_found"
    message = "采购行不存在"


class UnknownCode(NotFound):
    """A plain code that is neither a material code nor a bound alias: offer to bind it."""

    code = "unknown_code"

    def __init__(self, text: str, symbology: str | None):
        super().__init__(
            f"未识别的条码「{text[:64]}」：不是本系统标签、物料编码或已绑定的供应商条码。"
            "可将它绑定到物料后重新扫码",
            text=text,
            symbology=symbology,
            bind={
                "method": "POST",
                "url": BIND_URL,
                "body": {"code": text, "symbology": symbology, "material_id": None},
            },
        )


class BadChecksum(InvalidInput):
    code = "bad_checksum"
    message = "条码校验位错误，可能扫错了，请重新扫描"


class NotAMaterialLabel(InvalidInput):
    code = "not_material_label"
    message = "这是订单标签，请扫描物料或批次标签"


class BadQuantity(InvalidInput):
    code = "bad_quantity"


def places_rule(unit: str, places: int) -> str:
    """The precision rule of a material's quantities, as the refusal states it."""
    if places == 0:
        return f"数量单位为{unit}，须为整数"
    return f"数量单位为{unit}，最多 {places} 位小数"


class TooManyPlaces(Conflict):
    """A quantity finer than its material's unit allows (half a pump, 2.5 件).

    409, not 422: the number is well formed (the OpenAPI document allows three places); it
    conflicts with the unit of the material it names, a row the document cannot see.
    """

    code = "quantity_places"

    def __init__(self, unit: str, places: int, field: str = "quantity"):
        super().__init__(places_rule(unit, places), field=field, unit=unit, places=places)


class OverReceipt(Conflict):
    code = "over_receipt"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class AmbiguousOrder(Conflict):
    code = "ambiguous_order"


class NoOpenNeed(Conflict):
    code = "no_open_need"


class NotInBom(Conflict):
    code = "not_in_bom"


class BatchTooLarge(InvalidInput):
    code = "batch_too_large"


class LotAlreadyReceived(Conflict):
    """A lot label counts once: scanning it again is a second delivery only when confirmed."""

    code = "lot_already_received"

    def __init__(self, material_name: str, lot: str, quantity: str, unit: str):
        super().__init__(
            f"该批次已入库：{material_name} 批次 {lot} 已入库 {quantity}{unit}，本次未计数。"
            "如确为同批号新到的一批货，请勾选“新到货”后重新提交",
            lot=lot,
            confirm_field="new_delivery",
        )
