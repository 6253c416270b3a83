"""The app menu's buttons (bots/menus.py) as the bot handles their events.

扫码入库 / 扫码领料 / 扫码盘点 (`scancode_waitmsg`): the scanned code goes to the scan service
the `入库` command and POST /api/scans use (`record_scan`), keyed by the event, so the
platform's retry of the same event counts once. A code without a quantity (a supplier's EAN,
a label printed without one, every stock count) asks for it: the next number the same person
sends within 10 minutes completes the scan. 拍照报问题 (`pic_photo_or_album`): the photos that
follow start a site issue for the person's current order (bots/inbound.py attaches them).
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

from sqlmodel import col, select

from app.services.core import validated
from app.services.field import create_issue
from app.services.orders import live_orders_of
from app.services.procurement import describe_code, get_material, record_scan
from bots.replies import Reply, plain
from models.chat import ChatInbound
from models.enums import SCAN_ACTION_NAMES, ScanAction
from models.errors import DomainError, InvalidInput
from models.quantities import show
from models.scans import DecodedCode, ScanIn, ScanResult

if TYPE_CHECKING:
    from bots.handlers import ChatContext
    from models.issues import SiteIssue

SCAN_KEYS = {
    "scan_receive": ScanAction.receive,
    "scan_issue": ScanAction.issue,
    "scan_count": ScanAction.stock_check,
}
PHOTO_KEY = "photo_issue"
SCAN_EVENTS = ("scancode_waitmsg", "scancode_push")
PHOTO_EVENTS = ("pic_photo_or_album", "pic_sysphoto", "pic_weixin")
SCAN_ENTITY = "scan:"  # awaiting_entity "scan:<action>": a scan waiting for its quantity
PHOTO_ORDER = "photo_order"  # awaiting_id: the order the photos go to (no issue yet)
PHOTO_ISSUE = "photo_issue"  # awaiting_id: the issue the first photo started
PHOTO_DESCRIPTION = "现场照片（拍照报问题，待补充说明）"
# Receipts keyed by the chat event: the same namespace as the 入库 command's message ids.
RECEIPTS = uuid.UUID("5f0c1f9e-6b7a-4f3e-9d2c-6b1f4d3a8e21")
# What scanners put before the content ("EAN_13,6901234567892"); QR text keeps its commas.
SYMBOLOGIES = frozenset(
    [
        "EAN_13",
        "EAN_8",
        "UPC_A",
        "UPC_E",
        "CODE_128",
        "CODE_39",
        "CODE_93",
        "ITF",
        "CODABAR",
        "QR_CODE",
        "DATA_MATRIX",
        "PDF_417",
        "AZTEC",
        "RSS_14",
        "RSS_EXPANDED",
        "MAXICODE",
    ]
)
QUANTITY = re.compile(r"^(\d{1,9}(?:\.\d+)?)\s*[^\d\s.]{0,3}?\s*(确认超[收发])?$")
WORDS = {ScanAction.receive: "入库", ScanAction.issue: "领料", ScanAction.stock_check: "实盘"}
CONFIRM = {ScanAction.receive: "确认超收", ScanAction.issue: "确认超发"}


def is_menu_event(ctx: ChatContext) -> bool:
    return is_menu_message(ctx.message)


def is_menu_message(message) -> bool:
    """Whether an inbound message is one of the menu's scan or photo events."""
    if message.event in SCAN_EVENTS:
        return message.event_key in SCAN_KEYS
    return message.event in PHOTO_EVENTS and message.event_key == PHOTO_KEY


def menu_event(ctx: ChatContext) -> Reply | None:
    """A bound user's menu event: a scan, or the start of a photo issue."""
    if ctx.message.event in SCAN_EVENTS:
        return scan_event(ctx)
    return photo_event(ctx)


def split_scan(result: str) -> tuple[str, str | None]:
    """The code's text and symbology: "EAN_13,6901234567892" -> ("6901234567892", "EAN_13")."""
    result = result.strip()
    prefix, comma, rest = result.partition(",")
    name = prefix.strip().upper().replace("-", "_")
    if comma and name in SYMBOLOGIES and rest.strip():
        return rest.strip(), name
    return result, None


def scan_event(ctx: ChatContext) -> Reply:
    action = SCAN_KEYS[ctx.message.event_key]
    # A new scan replaces one still waiting for its quantity: a number answers the last scan.
    earlier = _waiting_scan(ctx, live=True)
    if earlier is not None:
        earlier.awaiting_until = None
        ctx.session.add(earlier)
    text, symbology = split_scan(ctx.message.text)
    if not text:
        return plain("没有读到条码内容，请重新扫码。")
    item = describe_code(session=ctx.session, actor=ctx.actor, text=text, scan_type=symbology)
    if item.kind != "material":
        raise InvalidInput("这是订单标签，不是物料标签：请扫描物料上的条码", code="not_material")
    if action == ScanAction.stock_check or item.quantity is None:
        ctx.awaiting = (SCAN_ENTITY + action.value, 0)
        return plain(_ask_quantity(ctx, action, item))
    return _record(ctx, action, ctx.message.text, ctx.message.message_id, None, False)


def _ask_quantity(ctx: ChatContext, action: ScanAction, item: DecodedCode) -> str:
    material = item.material
    name, unit = f"{material.name}（{material.code}）", material.unit
    lines = [f"扫码{SCAN_ACTION_NAMES[action]}：{name}"]
    if action == ScanAction.stock_check:
        stock = get_material(session=ctx.session, actor=ctx.actor, material_id=material.id).stock
        lines.append(f"账面库存 {show(stock)}{unit}")
    else:
        for need in item.open_needs[:3]:
            lines.append(
                f"订单 {need.order_code}：已收 {show(need.received)}/{show(need.needed)}，"
                f"还缺 {show(need.missing)}{unit}"
            )
        if not item.open_needs and item.order is None:
            lines.append("您的订单目前都不缺这个物料")
    lines.append(f"请在 10 分钟内回复{WORDS[action]}数量（只发数字，例如 10）。")
    return "\n".join(lines)


def may_be_quantity(text: str) -> bool:
    """Whether a text could answer a scan waiting for its quantity (see quantity_reply)."""
    return QUANTITY.match(text.strip()) is not None


def quantity_reply(ctx: ChatContext) -> Reply | None:
    """A number answering the sender's scan that waits for its quantity; None if the text is
    not a number or no scan waits (it is then read as a command)."""
    match = QUANTITY.match(ctx.message.text.strip())
    if match is None:
        return None
    waiting = _waiting_scan(ctx, live=True)
    if waiting is None:
        expired = _waiting_scan(ctx, live=False)
        if expired is None:
            return None
        expired.awaiting_until = None
        ctx.session.add(expired)
        return plain("上一次扫码已超过 10 分钟，数量没有记录。请重新扫码。")
    action = ScanAction(waiting.awaiting_entity.removeprefix(SCAN_ENTITY))
    confirm = bool(match.group(2))
    reply = _record(ctx, action, waiting.text, waiting.message_id, match.group(1), confirm)
    if ctx.awaiting is None:
        waiting.awaiting_until = None
        ctx.session.add(waiting)
    else:  # an over-receipt: the scan itself keeps waiting for "<数量> 确认超收"
        ctx.awaiting = None
    return reply


def _waiting_scan(ctx: ChatContext, *, live: bool) -> ChatInbound | None:
    message = ctx.message
    until = col(ChatInbound.awaiting_until)
    query = (
        select(ChatInbound)
        .where(
            ChatInbound.platform == message.platform,
            ChatInbound.sender_id == message.sender_id,
            ChatInbound.conversation_id == message.conversation_id,
            col(ChatInbound.awaiting_entity).startswith(SCAN_ENTITY),
            until > ctx.now if live else until <= ctx.now,
        )
        .order_by(col(ChatInbound.id).desc())
        .with_for_update()
    )
    return ctx.session.exec(query).first()


def _record(
    ctx: ChatContext,
    action: ScanAction,
    raw: str,
    event_id: str,
    quantity: str | None,
    confirm: bool,
) -> Reply:
    text, symbology = split_scan(raw)
    data = validated(
        ScanIn,
        {
            "client_id": uuid.uuid5(RECEIPTS, f"{ctx.message.platform}:{event_id}"),
            "result": text,
            "scan_type": symbology,
            "action": action,
            "quantity": quantity,
            "confirm_over": confirm,
        },
    )
    try:
        result, _applied = record_scan(session=ctx.session, actor=ctx.actor, data=data, now=ctx.now)
    except DomainError as exc:
        if exc.code not in ("over_receipt", "over_issue"):
            raise
        # The scan stays waiting: "<数量> 确认超收" within the window records it.
        ctx.awaiting = (SCAN_ENTITY + action.value, 0)
        again = f"{show(data.quantity) if data.quantity is not None else ''} {CONFIRM[action]}"
        return plain(f"{exc.message.split('。')[0]}。如确认，请在 10 分钟内回复：{again.strip()}")
    return plain(result_card(result))


def result_card(result: ScanResult) -> str:
    """The scan's result as the phone's card shows it: the service's line (material, order,
    received or issued / needed, what is still missing), the lot, and the order's key
    materials."""
    lines = [result.message]
    if result.lot:
        lines.append(f"批次：{result.lot}")
    keys = result.key_materials
    if result.action != ScanAction.stock_check and keys is not None and keys.total:
        state = "已全部到齐" if keys.all_complete else f"已到齐 {keys.complete}/{keys.total} 项"
        lines.append(f"本订单关键物料：{state}")
    return "\n".join(lines)


def photo_event(ctx: ChatContext) -> Reply:
    """The person pressed 拍照报问题: the photos that follow go to their current order."""
    orders = live_orders_of(session=ctx.session, actor=ctx.actor)
    if not orders:
        return plain("您目前没有进行中的订单，无法登记问题。请先发送「问题 <订单号> <描述>」。")
    if len(orders) > 1:
        codes = "、".join(o.code for o in orders[:5])
        return plain(
            f"您参与多个订单（{codes}），请先发送「问题 <订单号> <描述>」说明是哪个订单，"
            "再在 10 分钟内发照片。"
        )
    ctx.awaiting = (PHOTO_ORDER, orders[0].id)
    return plain(f"请拍照或从相册选择，照片会登记为订单 {orders[0].code} 的现场问题。")


def start_photo_issue(ctx: ChatContext, order_id: int) -> SiteIssue:
    """The first photo after 拍照报问题: a site issue to describe later (web or /m/)."""
    return create_issue(
        session=ctx.session,
        actor=ctx.actor,
        order_id=order_id,
        description=PHOTO_DESCRIPTION,
        risk="medium",
        now=ctx.now,
    )
