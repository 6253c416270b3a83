"""The app menu's events on WeChat and WeCom: 扫码入库 / 领料 / 盘点 and 拍照报问题.

Events are posted to Gendan's webhooks signed and encrypted as the platforms send them; the
replies are read back as the phone would (decrypted, addressed to the sender).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlmodel import select

from bots.menu_handlers import PHOTO_DESCRIPTION, split_scan
from models import clock
from models.bom import BomLine
from models.enums import Role
from models.issues import SiteIssue
from models.materials import Material
from models.outbox import BotTask
from tests.bots.live import PEOPLE, bind_all
from tests.bots.test_webhooks import post_wechat, post_wecom, reply_of
from tests.factories import (
    add_to_order,
    make_bom_line,
    make_material,
    make_procuring_order,
    make_user,
)

EAN = "6901234567892"
LABEL = "GD1:LOT;M:FL-100;L:A240501;Q:4;O:GD-PRO-1"
SENDERS = {"wechat": PEOPLE["sunqi"], "wecom": "sunqi"}
platforms = pytest.mark.parametrize("platform", ["wechat", "wecom"])


@pytest.fixture
def web(chat_app):
    return chat_app.test_client()


def _setup(session, *, orders: int = 1):
    """A keeper (simulator user sunqi) on orders short of key flanges; the flange's supplier
    EAN is bound to it."""
    from app.services.core import Actor
    from app.services.procurement import bind_alias
    from models.enums import Channel
    from models.materials import AliasCreate

    tracker = make_user(session, Role.tracker)
    keeper = make_user(session, Role.warehouse)
    flange = make_material(session, code="FL-100", name="法兰", is_key=True)
    lines = []
    for n in range(orders):
        order = make_procuring_order(session, tracker, code=f"GD-PRO-{n + 1}")
        lines.append(make_bom_line(session, order, flange, needed=10, days=3 + n))
        add_to_order(session, order, keeper, Role.warehouse)
    bind_alias(
        session=session,
        actor=Actor.system(Channel.cli),
        data=AliasCreate(code=EAN, symbology="EAN_13", material_id=flange.id),
    )
    bind_all(session, keeper, "sunqi")
    session.commit()
    return lines[0]


def _received(session, line) -> Decimal:
    session.commit()
    value = session.exec(select(BomLine.received).where(BomLine.id == line.id)).one()
    session.commit()
    return value


def _stock(session) -> Decimal:
    session.commit()
    value = session.exec(select(Material.stock).where(Material.code == "FL-100")).one()
    session.commit()
    return value


def _post(web, platform, fields):
    fields = {"ToUserName": "gh_simulator", "CreateTime": int(clock.epoch()), **fields}
    response = (post_wechat if platform == "wechat" else post_wecom)(web, fields)
    assert response.status_code == 200
    return reply_of(response, platform, to_user=fields["FromUserName"])


def scan(web, platform, key, result, *, scan_type="barcode", sender=None, created=None):
    fields = {
        "FromUserName": sender or SENDERS[platform],
        "MsgType": "event",
        "Event": "scancode_waitmsg",
        "EventKey": key,
        "ScanCodeInfo": {"ScanType": scan_type, "ScanResult": result},
    }
    if created is not None:
        fields["CreateTime"] = created
    return _post(web, platform, fields)


def say(web, platform, text, *, msg_id=None):
    import secrets

    fields = {
        "FromUserName": SENDERS[platform],
        "MsgType": "text",
        "Content": text,
        "MsgId": msg_id or secrets.randbits(60),
    }
    return _post(web, platform, fields)


@platforms
def test_a_label_with_its_quantity_is_received_at_once_and_a_retry_counts_once(
    web, session, platform
):
    line = _setup(session)
    created = int(clock.epoch())
    card = scan(web, platform, "scan_receive", LABEL, scan_type="qrcode", created=created)
    assert card.startswith("已入库 4件：法兰（FL-100），订单 GD-PRO-1")
    assert "已收 4/10，还缺 6件" in card and "批次：A240501" in card
    assert "本订单关键物料：已到齐 0/1 项" in card
    again = scan(web, platform, "scan_receive", LABEL, scan_type="qrcode", created=created)
    assert again == card
    assert _received(session, line) == 4


@platforms
def test_an_ean_asks_for_the_quantity_and_the_next_number_completes_the_receipt(
    web, session, platform
):
    line = _setup(session)
    created = int(clock.epoch())
    asked = scan(web, platform, "scan_receive", f"EAN_13,{EAN}", created=created)
    assert asked.startswith("扫码入库：法兰（FL-100）")
    assert "订单 GD-PRO-1：已收 0/10，还缺 10件" in asked
    assert "请在 10 分钟内回复入库数量" in asked
    assert _received(session, line) == 0
    # The platform delivers the same event again: it is answered the same, nothing re-armed.
    assert scan(web, platform, "scan_receive", f"EAN_13,{EAN}", created=created) == asked
    done = say(web, platform, "10件", msg_id=4242)
    assert done.startswith("已入库 10件：法兰（FL-100），订单 GD-PRO-1")
    assert "已收 10/10，已收齐" in done and "本订单关键物料：已全部到齐" in done
    assert say(web, platform, "10件", msg_id=4242) == done  # the number retried
    assert _received(session, line) == 10
    # The scan is complete: another number is not a receipt.
    assert not say(web, platform, "3").startswith("已入库")
    assert _received(session, line) == 10


@platforms
def test_a_number_answers_the_last_scan_only(web, session, platform):
    line = _setup(session)
    scan(web, platform, "scan_receive", f"EAN_13,{EAN}")
    scan(web, platform, "scan_count", "FL-100", scan_type="qrcode")
    counted = say(web, platform, "0")
    assert counted.startswith("盘点 法兰（FL-100）：实盘 0件，与账面一致")
    assert not say(web, platform, "3").startswith("已入库")
    assert _received(session, line) == 0


@pytest.mark.clock
@platforms
def test_a_number_after_ten_minutes_does_not_complete_the_scan(web, session, platform):
    line = _setup(session)
    with clock.frozen(clock.now()) as advance:
        scan(web, platform, "scan_receive", f"EAN_13,{EAN}")
        advance(timedelta(minutes=9, seconds=59))
        assert say(web, platform, "2").startswith("已入库 2件")
        scan(web, platform, "scan_receive", f"EAN_13,{EAN}")
        advance(timedelta(minutes=10, seconds=1))
        late = say(web, platform, "5")
        assert late == "上一次扫码已超过 10 分钟，数量没有记录。请重新扫码。"
        assert not say(web, platform, "5").startswith("已入库")
    assert _received(session, line) == 2


@platforms
def test_an_over_receipt_asks_to_confirm_with_the_quantity(web, session, platform):
    line = _setup(session)
    scan(web, platform, "scan_receive", f"EAN_13,{EAN}")
    over = say(web, platform, "12")
    assert over.startswith("超收：") and over.endswith("如确认，请在 10 分钟内回复：12 确认超收")
    assert _received(session, line) == 0
    confirmed = say(web, platform, "12 确认超收")
    assert confirmed.startswith("已入库 12件") and "已确认超收" in confirmed
    assert _received(session, line) == 12


@platforms
def test_issue_and_stock_count_from_the_menu(web, session, platform):
    line = _setup(session)
    scan(web, platform, "scan_receive", LABEL, scan_type="qrcode")
    assert _stock(session) == 4
    asked = scan(web, platform, "scan_issue", f"EAN_13,{EAN}")
    assert "请在 10 分钟内回复领料数量" in asked
    issued = say(web, platform, "3")
    assert issued.startswith("已发料 3件：法兰（FL-100），订单 GD-PRO-1")
    assert "累计发料 3/10" in issued
    count = scan(web, platform, "scan_count", "FL-100", scan_type="qrcode")
    assert count.startswith("扫码盘点：法兰（FL-100）") and "账面库存 1件" in count
    counted = say(web, platform, "2")
    assert counted.startswith("盘点 法兰（FL-100）：实盘 2件，账面 1，盘盈 1件")
    assert _stock(session) == 2 and _received(session, line) == 4


@platforms
def test_unknown_users_and_unknown_codes_get_their_hints(web, session, platform):
    _setup(session)
    stranger = "o-stranger" if platform == "wechat" else "stranger"
    unbound = scan(web, platform, "scan_receive", LABEL, sender=stranger)
    assert "还没有绑定 Gendan 账号" in unbound
    unknown = scan(web, platform, "scan_receive", "NO-SUCH-CODE", scan_type="qrcode")
    assert "NO-SUCH-CODE" in unknown
    broken = scan(web, platform, "scan_receive", "EAN_13,6901234567891")
    assert "校验" in broken or "条码" in broken


def _image(platform, media_id):
    import secrets

    return {
        "FromUserName": SENDERS[platform],
        "MsgType": "image",
        "MediaId": media_id,
        "PicUrl": f"http://127.0.0.1:9/media/{media_id}",
        "MsgId": secrets.randbits(60),
    }


def _photo_event(platform, count=2):
    return {
        "FromUserName": SENDERS[platform],
        "MsgType": "event",
        "Event": "pic_photo_or_album",
        "EventKey": "photo_issue",
        "SendPicsInfo": {"Count": count, "PicList": [{"PicMd5Sum": "0" * 32}] * count},
    }


@platforms
def test_photos_after_the_photo_button_start_one_issue_on_the_current_order(web, session, platform):
    _setup(session)
    prompt = _post(web, platform, _photo_event(platform))
    assert "订单 GD-PRO-1 的现场问题" in prompt
    first = _post(web, platform, _image(platform, "media-1"))
    second = _post(web, platform, _image(platform, "media-2"))
    session.commit()
    (issue,) = session.exec(select(SiteIssue)).all()
    assert issue.description == PHOTO_DESCRIPTION
    assert first.startswith(f"已登记现场问题 #{issue.id}")
    assert second == f"图片已收到，正在附加到问题 #{issue.id}。"
    tasks = session.exec(select(BotTask).where(BotTask.kind == "attach_image")).all()
    assert sorted(t.payload["media_id"] for t in tasks) == ["media-1", "media-2"]
    assert {t.payload["entity_id"] for t in tasks} == {issue.id}


@platforms
def test_the_photo_button_asks_which_order_when_there_are_several(web, session, platform):
    _setup(session, orders=2)
    prompt = _post(web, platform, _photo_event(platform))
    assert "GD-PRO-1" in prompt and "GD-PRO-2" in prompt and "问题 <订单号> <描述>" in prompt
    image = _post(web, platform, _image(platform, "media-1"))
    assert image.startswith("收到图片。如需附到问题上")
    session.commit()
    assert session.exec(select(SiteIssue)).all() == []


def test_scan_results_lose_only_a_symbology_prefix():
    assert split_scan("EAN_13,6901234567892") == ("6901234567892", "EAN_13")
    assert split_scan("CODE_128,AB-1,2") == ("AB-1,2", "CODE_128")
    assert split_scan("法兰,DN150") == ("法兰,DN150", None)
    assert split_scan(LABEL) == (LABEL, None)
    assert split_scan(" FL-100 ") == ("FL-100", None)


@platforms
def test_the_photo_button_of_a_stranger_or_of_someone_without_orders(web, session, platform):
    from app.services.chat import bind_identity
    from app.services.core import Actor
    from models.enums import Channel, ChatPlatform

    stranger = {**_photo_event(platform), "FromUserName": "nobody"}
    assert "还没有绑定 Gendan 账号" in _post(web, platform, stranger)
    idle = make_user(session, Role.site_engineer)
    bind_identity(
        session=session,
        actor=Actor.system(Channel.cli),
        user_id=idle.id,
        platform=ChatPlatform(platform),
        external_id=SENDERS[platform],
    )
    session.commit()
    assert "没有进行中的订单" in _post(web, platform, _photo_event(platform))
