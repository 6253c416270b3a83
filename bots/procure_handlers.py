"""Chat commands of buyers and the warehouse: shortages (缺料) and receipt by code (入库).

They call the services the REST API calls: `list_shortages` (GET /api/shortages) and
`record_scan` (POST /api/scans). A receipt's client id is derived from the chat message id,
so a message the platform delivers twice is received once, like a scan sent twice.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from app.services.core import validated
from app.services.procurement import list_shortages, record_scan
from bots.replies import Reply, markdown, plain
from models.enums import ScanAction
from models.errors import Conflict, DomainError
from models.quantities import show
from models.scans import ScanIn

if TYPE_CHECKING:
    from bots.handlers import ChatContext

MAX_LINES = 10
RECEIPTS = uuid.UUID("5f0c1f9e-6b7a-4f3e-9d2c-6b1f4d3a8e21")


def shortage(ctx: ChatContext, args: dict) -> Reply:
    order = None
    if args.get("order") or ctx.group_orders:
        order = ctx.order(args.get("order"))
    found = list_shortages(
        session=ctx.session, actor=ctx.actor, order_id=order.id if order else None, now=ctx.now
    )
    scope = order.code if order else "我的订单"
    if not found.items:
        return plain(f"{scope} 目前没有缺料。")
    lines = [f"### 缺料 · {scope}（{len(found.items)} 项）"]
    for item in found.items[:MAX_LINES]:
        key = "【关键】" if item.is_key else ""
        when = f"已超期 {-item.days_left} 天" if item.escalated else f"还剩 {item.days_left} 天"
        where = "" if order else f" · {item.order_code}"
        lines.append(
            f"- {key}{item.material_name}（{item.material_code}）缺 {show(item.short)}{item.unit}"
            f" · 需求 {item.need_date:%m-%d}，{when}{where}"
        )
    if len(found.items) > MAX_LINES:
        lines.append(f"…… 另有 {len(found.items) - MAX_LINES} 项，请在网页查看")
    return markdown(f"缺料 {scope}", "\n".join(lines))


def receive(ctx: ChatContext, args: dict) -> Reply:
    order_id = None
    if args.get("order") or len(ctx.group_orders) == 1:
        order_id = ctx.order(args.get("order")).id
    message = ctx.message
    data = validated(
        ScanIn,
        {
            "client_id": uuid.uuid5(RECEIPTS, f"{message.platform}:{message.message_id}"),
            "result": args["material"],
            "action": ScanAction.receive,
            "quantity": args["quantity"],
            "order_id": order_id,
            "confirm_over": args.get("confirm", False),
        },
    )
    try:
        result, _applied = record_scan(session=ctx.session, actor=ctx.actor, data=data, now=ctx.now)
    except DomainError as exc:
        if exc.code != "over_receipt":
            raise
        # The service's wording is for the scan page's checkbox; in chat, say what to send.
        again = ctx.spec.render({**args, "confirm": True})
        raise Conflict(
            f"{exc.message.split('。')[0]}。确认超收请发送：{again}", code=exc.code
        ) from None
    return plain(result.message)
