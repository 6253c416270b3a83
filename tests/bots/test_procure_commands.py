"""Shortages and receipts from chat, through the simulator and a running Gendan."""

from decimal import Decimal

from sqlmodel import select

from models.bom import BomLine
from models.enums import Role
from tests.bots.live import bind_all, passive_text, say
from tests.bots.test_webhooks import post_wechat, reply_of, wechat_fields
from tests.factories import (
    add_to_order,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_user,
)

CHAT = "wecom:user:sunqi"


def _order_short_of_flanges(session):
    tracker = make_user(session, Role.tracker)
    order = make_procuring_order(session, tracker, code="GD-PRO-1")
    flange = make_material(session, code="FL-100", name="法兰", is_key=True)
    line = make_bom_line(session, order, flange, needed=10, days=3)
    keeper = make_user(session, Role.warehouse)
    add_to_order(session, order, keeper, Role.warehouse)
    bind_all(session, keeper, "sunqi")
    bind_all(session, tracker, "lisi")
    session.commit()
    return order, line


def _received(session, line) -> Decimal:
    session.commit()
    value = session.exec(select(BomLine.received).where(BomLine.id == line.id)).one()
    session.commit()
    return value


def test_shortages_are_listed_and_a_receipt_by_code_updates_them(sim, gendan, session):
    _order, line = _order_short_of_flanges(session)
    listed = passive_text(say(sim, CHAT, "sunqi", "缺料 GD-PRO-1"))
    assert "缺料 · GD-PRO-1（1 项）" in listed and "【关键】法兰（FL-100）缺 10件" in listed
    receipt = passive_text(say(sim, CHAT, "sunqi", "入库 FL-100 4"))
    assert receipt.startswith("已入库 4件：法兰（FL-100），订单 GD-PRO-1") and "还缺 6件" in receipt
    assert _received(session, line) == 4
    assert "缺 6件" in passive_text(say(sim, CHAT, "sunqi", "shortage GD-PRO-1"))
    mine = passive_text(say(sim, "wecom:user:lisi", "lisi", "缺料"))
    assert "我的订单" in mine and "GD-PRO-1" in mine


def test_a_receipt_the_platform_delivers_twice_counts_once(chat_app, session):
    _order, line = _order_short_of_flanges(session)
    web = chat_app.test_client()
    fields = wechat_fields("入库 FL-100 3", sender="o-sunqi", msg_id=909090)
    first = reply_of(post_wechat(web, fields), to_user="o-sunqi")
    again = reply_of(post_wechat(web, fields), to_user="o-sunqi")
    assert first == again and "已入库 3件" in first
    assert _received(session, line) == 3


def test_a_refused_receipt_answers_the_services_reason(sim, gendan, session):
    _order_short_of_flanges(session)
    reply = passive_text(say(sim, CHAT, "sunqi", "入库 NO-SUCH-CODE 1"))
    assert "NO-SUCH-CODE" in reply
    over = passive_text(say(sim, CHAT, "sunqi", "入库 FL-100 11"))
    assert over.startswith("超收：订单 GD-PRO-1 需要 法兰 10件") and "勾选" not in over
    assert over.endswith("确认超收请发送：入库 FL-100 11 确认超收")
    confirmed = passive_text(say(sim, CHAT, "sunqi", "入库 FL-100 11 确认超收"))
    assert confirmed.startswith("已入库 11件") and "已确认超收" in confirmed
