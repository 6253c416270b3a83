"""/m/ on a 375x812 phone: sign in, 扫码入库 by typed code, and the offline queue.

Receipts are checked in the database: an offline queue that is sent twice (a reload, the
`online` event, the retry timer) must still count each scan once.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import func, select

from app.cli import cli_session
from app.demo.procurement import DEMO_EAN
from app.services.people import get_user_by_username, issue_token, revoke_tokens, user_public
from models.bom import BomLine
from models.materials import Material
from models.orders import Order
from models.scans import Scan
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LIVE,
    _phone_env,
    no_sideways_scroll,
    shot,
)
from tests.browser.fake_camera import write_y4m
from tests.factories import make_bom_line, make_material, make_procuring_order, make_warehouse

WAREHOUSE = "zhou.cangku"


def _received(material: str = "GASKET-DN150", code: str = DEMO_EAN) -> tuple[Decimal, int]:
    """GD-DEMO-03's receipts of a material, and the scans of a code recorded."""
    with LIVE["app"].app_context(), cli_session() as session:
        line = session.exec(
            select(BomLine)
            .join(Order, Order.id == BomLine.order_id)
            .join(Material, Material.id == BomLine.material_id)
            .where(Order.code == "GD-DEMO-03", Material.code == material)
        ).one()
        scans = session.exec(select(func.count()).where(Scan.raw_text == code)).one()
        return line.received, scans


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/m/")
    _sign_in_here(page)


def _sign_in_here(page) -> None:
    page.fill("input[name=username]", WAREHOUSE)
    page.fill("input[name=password]", "gendan2026")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="扫码入库").wait_for()


def _token(username: str = WAREHOUSE) -> dict:
    """What /api/auth/token answers for the keeper, issued directly (the login page's rate limit
    is per address, and every browser test signs in from 127.0.0.1)."""
    app = LIVE["app"]
    with app.app_context(), cli_session() as session:
        user = get_user_by_username(session=session, username=username)
        token, expires = issue_token(
            user=user, secret=app.config["SECRET_KEY"], ttl_hours=app.config["TOKEN_TTL_HOURS"]
        )
        public = user_public(session=session, user=user).model_dump(mode="json")
    return {"token": token, "expires_at": expires.isoformat(), "user": public}


def _signed_in(page, base: str, username: str = WAREHOUSE) -> None:
    """The app opened by a keeper who signed in before (the token kept in the page)."""
    page.goto(f"{base}/m/")
    token = _token(username)
    page.evaluate("t => localStorage.setItem('gendan.m.session', JSON.stringify(t))", token)
    page.reload()
    page.get_by_role("heading", name="扫码入库").wait_for()


def _enter(page, code: str, quantity: str) -> None:
    page.fill("#code", code)
    page.get_by_role("button", name="确定").click()
    for key in quantity:
        page.click(f'#keypad [data-key="{key}"]')
    page.get_by_role("button", name="确认入库").click()


def test_a_keeper_signs_in_and_receives_by_a_typed_code(phone, live_server):
    received, scans = _received()
    _sign_in(phone, live_server)
    assert no_sideways_scroll(phone)
    _enter(phone, DEMO_EAN, "2")
    card = phone.locator("#card.result")
    card.wait_for()
    assert "已入库 2件" in card.inner_text()
    assert "GD-DEMO-03" in card.inner_text() and "缠绕垫片" in card.inner_text()
    assert "还缺" in card.inner_text() and "关键物料" in card.inner_text()
    assert phone.locator("#pending").inner_text() == "待上传 0"
    assert no_sideways_scroll(phone)
    shot(phone, "m-receipt-phone")
    assert _received() == (received + 2, scans + 1)


def test_a_wrong_password_is_refused_in_chinese(phone, live_server):
    phone.goto(f"{live_server}/m/")
    phone.fill("input[name=username]", WAREHOUSE)
    phone.fill("input[name=password]", "not-the-password")
    phone.get_by_role("button", name="登录").click()
    error = phone.locator("#signin-error:not([hidden])")
    error.wait_for()
    assert error.inner_text() == "用户名或密码错误"


def test_an_unknown_code_is_refused_in_words(phone, live_server):
    _signed_in(phone, live_server)
    _enter(phone, "NO-SUCH-CODE-42", "1")
    refused = phone.locator("#card.refused")
    refused.wait_for()
    assert refused.inner_text().strip()
    assert phone.locator("#scans li.failed").count() == 1


def test_an_over_receipt_is_explained_and_can_be_confirmed(phone, live_server):
    flanges = ("FLANGE-DN150", "FLANGE-DN150")
    received, scans = _received(*flanges)
    _signed_in(phone, live_server)
    _enter(phone, "FLANGE-DN150", "99")
    refused = phone.locator("#card.refused")
    refused.wait_for()
    assert "超收" in refused.inner_text()
    assert _received(*flanges) == (received, scans)
    phone.get_by_role("button", name="确认超收").click()
    phone.locator("#card.result").wait_for()
    assert "已确认超收" in phone.locator("#card").inner_text()
    assert _received(*flanges) == (received + 99, scans + 1)


def test_five_scans_made_offline_survive_a_reload_and_count_once(phone, live_server):
    received, scans = _received()
    _sign_in(phone, live_server)
    phone.locator("body[data-offline-ready]").wait_for(state="attached")
    phone.context.set_offline(True)
    for _ in range(5):
        _enter(phone, DEMO_EAN, "1")
    phone.locator('#pending[data-count="5"]').wait_for()
    assert phone.locator("#pending").inner_text() == "待上传 5"
    assert phone.locator("#scans li.pending").count() == 5
    assert phone.locator("#net").inner_text() == "离线"
    shot(phone, "m-offline-queue-phone")

    phone.reload()  # the shell comes from the service worker, the queue from IndexedDB
    phone.locator('#pending[data-count="5"]').wait_for()
    assert phone.locator("#scans li.pending").count() == 5
    assert _received() == (received, scans)

    phone.context.set_offline(False)
    phone.locator('#pending[data-count="0"]').wait_for()
    assert phone.locator("#scans li.done").count() == 5, phone.locator("#scans").inner_text()
    phone.get_by_role("button", name="立即上传").click()  # sending again counts nothing
    phone.reload()
    phone.get_by_role("heading", name="扫码入库").wait_for()
    assert _received() == (received + 5, scans + 5)


def test_a_page_the_service_worker_missed_asks_it_to_take_over(phone, live_server):
    """A page loaded while the worker was activating, or by a hard reload, is not controlled by
    it: app.js then asks the active worker to claim it, and the page works offline."""
    _sign_in(phone, live_server)
    phone.locator("body[data-offline-ready]").wait_for(state="attached")
    cdp = phone.context.new_cdp_session(phone)
    with phone.expect_event("load"):
        cdp.send("Page.reload", {"ignoreCache": True})  # a hard reload bypasses the worker
    phone.get_by_role("heading", name="扫码入库").wait_for()
    phone.locator("body[data-offline-ready]").wait_for(state="attached")
    assert phone.evaluate("navigator.serviceWorker.controller !== null")
    phone.context.set_offline(True)
    phone.reload()  # only a controlled page's reload is served without the network
    phone.get_by_role("heading", name="扫码入库").wait_for()


def _label_png() -> bytes:
    """The Gendan label of GD-DEMO-03's gaskets with 3 on it, as the label endpoint prints it."""
    client = LIVE["app"].test_client()
    token = client.post(
        "/api/auth/token", json={"username": WAREHOUSE, "password": "gendan2026"}
    ).get_json()["token"]
    with LIVE["app"].app_context(), cli_session() as session:
        order = session.exec(select(Order).where(Order.code == "GD-DEMO-03")).one()
        material = session.exec(select(Material).where(Material.code == "GASKET-DN150")).one()
        query = f"order_id={order.id}&quantity=3"
    r = client.get(
        f"/api/materials/{material.id}/label.png?{query}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 200
    return r.data


def _ean_png(text: str) -> bytes:
    """A supplier's EAN-13 as a picture (ZXing's writer)."""
    symbol = zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.EAN13), scale=4
    )
    rows, columns = memoryview(symbol).shape
    image = Image.frombytes("L", (columns, rows), bytes(memoryview(symbol)))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.fixture()
def camera_phone(browser, live_server, tmp_path):
    """A phone whose back camera sees a picture (Chromium's fake capture device)."""
    opened = []

    def point_at(picture: bytes):
        video = write_y4m(picture, tmp_path / f"camera-{len(opened)}.y4m")
        args = [
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        launched = browser.browser_type.launch(
            executable_path=CHROMIUM, args=args, env=_phone_env()
        )
        opened.append(launched)
        context = launched.new_context(
            viewport={"width": 375, "height": 812},
            device_scale_factor=2,
            locale="zh-CN",
            is_mobile=True,
            has_touch=True,
            permissions=["camera"],
        )
        return context.new_page()

    yield point_at
    for launched in opened:
        launched.close()


def _scan_with_camera(page) -> str:
    page.get_by_role("button", name="相机扫码").click()
    # The first scan loads and compiles the decoder (about 1 MB of WebAssembly).
    page.locator("#entry:not([hidden])").wait_for(timeout=60000)
    return page.locator("#entry-code").inner_text()


def test_the_camera_reads_a_gendan_label_and_receives_its_quantity(camera_phone, live_server):
    page = camera_phone(_label_png())
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    received, _ = _received()
    _signed_in(page, live_server)
    assert not any("barcode-detector" in url for url in fetched)  # not before the first scan
    assert _scan_with_camera(page).startswith("GD1:")
    assert any(url.endswith("/vendor/barcode-detector/zxing_reader.wasm") for url in fetched)
    page.get_by_role("button", name="确认入库").click()  # the label carries the quantity
    card = page.locator("#card.result")
    card.wait_for()
    assert "已入库 3件" in card.inner_text()
    shot(page, "m-camera-receipt-phone")
    assert _received()[0] == received + 3


def test_the_camera_reads_a_supplier_ean_and_the_keypad_gives_the_quantity(
    camera_phone, live_server
):
    page = camera_phone(_ean_png(DEMO_EAN))
    received, scans = _received()
    _signed_in(page, live_server)
    assert _scan_with_camera(page) == DEMO_EAN
    page.click('#keypad [data-key="4"]')
    page.get_by_role("button", name="确认入库").click()
    card = page.locator("#card.result")
    card.wait_for()
    assert "已入库 4件" in card.inner_text()
    assert _received() == (received + 4, scans + 1)
    with LIVE["app"].app_context(), cli_session() as session:
        last = session.exec(select(Scan).order_by(Scan.id.desc())).first()
        assert last.scan_type == "EAN_13"


def test_a_lost_answer_is_sent_again_and_counted_once(phone, live_server):
    """The server applied the batch but the phone never heard back: the scan stays pending,
    goes again with the same client id, and the server answers with the original receipt."""
    received, scans = _received()
    _signed_in(phone, live_server)
    lost = []

    def answer_lost(route):
        route.fetch()  # the server applies the scans ...
        lost.append(route.request.post_data_json)
        route.abort()  # ... and the answer never reaches the phone

    phone.route("**/api/scans/batch", answer_lost)
    with phone.expect_event("requestfailed"):
        _enter(phone, DEMO_EAN, "1")
    phone.locator("#card.waiting").wait_for()
    assert lost and _received() == (received + 1, scans + 1)
    assert phone.locator("#pending").get_attribute("data-count") == "1"
    phone.unroute("**/api/scans/batch")
    phone.get_by_role("button", name="立即上传").click()
    card = phone.locator("#card.result")
    card.wait_for()
    assert "此扫码已处理过，未重复计数" in card.inner_text()
    assert phone.locator('#pending[data-count="0"]').count() == 1
    assert _received() == (received + 1, scans + 1)


def test_an_expired_sign_in_keeps_the_queue_until_the_keeper_signs_in_again(phone, live_server):
    received, scans = _received()
    _signed_in(phone, live_server)
    with LIVE["app"].app_context(), cli_session() as session:
        revoke_tokens(
            session=session, user=get_user_by_username(session=session, username=WAREHOUSE)
        )
    _enter(phone, DEMO_EAN, "1")
    error = phone.locator("#signin-error:not([hidden])")
    error.wait_for()
    assert "登录已过期" in error.inner_text() and "不会丢失" in error.inner_text()
    assert _received() == (received, scans)
    _sign_in_here(phone)
    phone.locator('#pending[data-count="0"]').wait_for()
    assert phone.locator("#scans li.done").count() == 1
    assert _received() == (received + 1, scans + 1)


def test_two_orders_needing_the_code_on_one_day_are_a_choice_in_words(phone, live_server):
    with LIVE["app"].app_context(), cli_session() as session:
        first, second = make_procuring_order(session), make_procuring_order(session)
        keeper = make_warehouse(session, first, second)
        material = make_material(session)
        lines = [make_bom_line(session, o, material, needed=5, days=10) for o in (first, second)]
        names = (keeper.username, material.code, second.code, [line.id for line in lines])
    username, code, second_code, line_ids = names
    _signed_in(phone, live_server, username)
    _enter(phone, code, "1")
    refused = phone.locator("#card.refused")
    refused.wait_for()
    assert "2 个订单在同一天需要" in refused.inner_text() and "请选择订单" in refused.inner_text()
    assert refused.locator("button.choice").count() == 2
    refused.locator("button.choice", has_text=second_code).click()
    card = phone.locator("#card.result")
    card.wait_for()
    assert second_code in card.inner_text()
    with LIVE["app"].app_context(), cli_session() as session:
        received = [session.get(BomLine, line_id).received for line_id in line_ids]
    assert received == [0, 1]


def test_the_tabs_lead_to_each_screen_and_the_address_keeps_it(phone, live_server):
    _signed_in(phone, live_server)
    tabs = phone.get_by_role("navigation", name="功能")
    assert tabs.is_visible()
    for name, view in (("报问题", "issues"), ("日报", "report"), ("待办", "todo")):
        tabs.get_by_role("link", name=name).click()
        phone.locator(f"#{view}").wait_for()
        assert phone.url.endswith(f"#{view}")
        assert tabs.get_by_role("link", name=name).get_attribute("aria-current") == "page"
        assert phone.locator("#scan").is_hidden()
    phone.reload()
    phone.locator("#todo").wait_for()  # the address opens the screen it names
    tabs.get_by_role("link", name="扫码").click()
    phone.get_by_role("heading", name="扫码入库").wait_for()
    phone.get_by_role("button", name="退出").click()
    phone.get_by_role("heading", name="登录").wait_for()
    assert tabs.is_hidden()
