"""The one-line Chinese summary a worker reads on the phone after each scan."""

from __future__ import annotations

from models.enums import ScanAction
from models.quantities import show
from models.scans import ScanResult


def scan_message(result: ScanResult) -> str:
    """What the scan did, in one line."""
    material, unit = result.material, result.material.unit
    name = f"{material.name}（{material.code}）"
    if result.action == ScanAction.stock_check:
        return _count_message(result, name, unit)
    order = result.order.code
    if result.action == ScanAction.issue:
        text = (
            f"已发料 {show(result.quantity)}{unit}：{name}，订单 {order}，"
            f"累计发料 {show(result.issued)}/{show(result.needed)}，库存 {show(result.stock)}{unit}"
        )
        return text + ("（已确认超发）" if result.over else "")
    text = (
        f"已入库 {show(result.quantity)}{unit}：{name}，订单 {order}，"
        f"已收 {show(result.received)}/{show(result.needed)}"
    )
    text += f"，还缺 {show(result.missing)}{unit}" if result.missing > 0 else "，已收齐"
    if result.over:
        text += "（已确认超收）"
    keys = result.key_materials
    if material.is_key and keys is not None and keys.all_complete:
        text += "；本订单关键物料已全部到齐"
    return text


def _count_message(result: ScanResult, name: str, unit: str) -> str:
    if result.quantity is None:
        return f"{name} 当前库存 {show(result.stock)}{unit}"
    diff = result.stock - result.stock_before
    if diff == 0:
        return f"盘点 {name}：实盘 {show(result.stock)}{unit}，与账面一致"
    sign = "盘盈" if diff > 0 else "盘亏"
    return (
        f"盘点 {name}：实盘 {show(result.stock)}{unit}，账面 {show(result.stock_before)}，"
        f"{sign} {show(abs(diff))}{unit}，库存已更新"
    )
