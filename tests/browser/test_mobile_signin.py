"""/m/ inside the chat apps, on a 375x812 phone against the chat simulator: WeCom OAuth2 and
DingTalk 免登 sign the worker in without a password, an unbound account gets the password form
with the hint, and the app's own scanner (JS-SDK, config signed by Gendan) leads to a receipt.

The browser's user agent says which app it is in (`wxwork`, `DingTalk`); the simulator plays
the authorize page, the code -> user exchange, the jsapi tickets and the JS-SDK script.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from app.cli import cli_session
from app.demo.procurement import DEMO_EAN
from bots.simulator.seed import gendan_env
from models.bom import BomLine
from models.materials import Material
from models.orders import Order
from tests.browser.conftest import no_sideways_scroll, serve_demo, shot
from tests.chat import admin, calls

UA = {
    "wecom": "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile "
    "wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh",
    "dingtalk": "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile "
    "AliApp(DingTalk/7.5.0) Language/zh-Hans-CN",
    "wechat": "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile "
    "MicroMessenger/8.0.47.2560(0x28002F35) NetType/WIFI Language/zh_CN",
}
KEEPER = "sunqi"  # the simulator's 孙七: the demo binds him to 周仓库 (zhou.cangku)
UNBOUND = {"userid": "xiaoming", "name": "小明", "mobile": "13900000099"}  # not in the demo
APP: dict = {}


@pytest.fixture(scope="module")
def chat_server(tmp_path_factory, upload_dir, simulator_server):
    """Gendan with the demo data whose chat platforms are the simulator's."""
    env = gendan_env(simulator_server.url)
    with serve_demo(tmp_path_factory, upload_dir, "browser-signin", **env) as (base, app):
        APP["app"] = app
        yield base


def _in_app(browser, platform: str):
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        user_agent=UA[platform],
    )
    return context, context.new_page()


def _received() -> Decimal:
    with APP["app"].app_context(), cli_session() as session:
        line = session.exec(
            select(BomLine)
            .join(Order, Order.id == BomLine.order_id)
            .join(Material, Material.id == BomLine.material_id)
            .where(Order.code == "GD-DEMO-03", Material.code == "GASKET-DN150")
        ).one()
        return line.received


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "wechat"])
def test_the_app_signs_the_worker_in_without_a_password(browser, chat_server, sim, platform):
    admin(sim, "POST", "inapp", json={"platform": platform, "user": KEEPER})
    context, page = _in_app(browser, platform)
    try:
        page.goto(f"{chat_server}/m/")
        page.get_by_role("heading", name="扫码入库").wait_for()
        assert page.locator("#who").inner_text() == "周仓库"
        assert "code=" not in page.url  # the sign-in's code is taken off the address
        assert page.locator("#signin").is_hidden()
        assert no_sideways_scroll(page)
        shot(page, f"m-signed-in-{platform}-phone")
    finally:
        context.close()
    path = {
        "wecom": "/cgi-bin/auth/getuserinfo",
        "dingtalk": "/user/getuserinfo",
        "wechat": "/sns/oauth2/access_token",
    }[platform]
    answered = calls(sim, path)  # WeChat's OAuth answer carries no errcode when it succeeds
    assert answered and answered[-1]["errcode"] in (0, None)


def test_an_unbound_account_gets_the_password_form_with_the_hint(browser, chat_server, sim):
    admin(sim, "POST", "config/users", json=UNBOUND)
    admin(sim, "POST", "inapp", json={"platform": "wecom", "user": UNBOUND["userid"]})
    context, page = _in_app(browser, "wecom")
    try:
        page.goto(f"{chat_server}/m/")
        error = page.locator("#signin-error:not([hidden])")
        error.wait_for()
        assert "尚未绑定" in error.inner_text()
        assert page.locator("#bind-form").is_visible()
        assert page.locator("#signin-form input[name=username]").is_visible()
        assert no_sideways_scroll(page)
        shot(page, "m-signin-unbound-wecom-phone")
        # With a binding code from the web page, the app's account is bound and signs in.
        page.fill("#bind-form input[name=bind_code]", _binding_code("liu.kehu"))
        page.get_by_role("button", name="绑定并登录").click()
        page.locator("#tabs:not([hidden])").wait_for()
        assert page.locator("#who").inner_text() == "刘客户"
    finally:
        context.close()


def _binding_code(username: str) -> str:
    from app.services.people import get_user_by_username, issue_token

    app = APP["app"]
    with app.app_context(), cli_session() as session:
        user = get_user_by_username(session=session, username=username)
        token, _ = issue_token(user=user, secret=app.config["SECRET_KEY"], ttl_hours=1)
    r = app.test_client().post(
        "/api/chat/binding-codes", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code in (200, 201), r.get_json()
    return r.get_json()["code"]


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "wechat"])
def test_the_apps_scanner_leads_to_a_receipt(browser, chat_server, sim, platform):
    before = _received()
    admin(sim, "POST", "inapp", json={"platform": platform, "user": KEEPER})
    context, page = _in_app(browser, platform)
    try:
        page.goto(f"{chat_server}/m/")
        page.get_by_role("heading", name="扫码入库").wait_for()
        admin(sim, "POST", "inapp", json={"platform": platform, "scan": f"EAN_13,{DEMO_EAN}"})
        page.get_by_role("button", name="相机扫码").click()
        page.locator("#entry:not([hidden])").wait_for()
        assert page.locator("#entry-code").inner_text() == DEMO_EAN
        assert page.locator("#camera").is_hidden()  # the app's scanner, not the page's camera
        page.click('#keypad [data-key="2"]')
        page.get_by_role("button", name="确认入库").click()
        card = page.locator("#card.result")
        card.wait_for()
        assert "已入库 2件" in card.inner_text()
        shot(page, f"m-platform-scan-{platform}-phone")
    finally:
        context.close()
    assert _received() == before + 2
    verified = calls(sim, f"/jssdk/verify/{platform}/jsapi")
    assert verified and all(c["errcode"] == 0 for c in verified)


def test_an_expired_token_in_the_app_signs_in_again_and_the_waiting_scan_is_sent(
    browser, chat_server, sim
):
    before = _received()
    admin(sim, "POST", "inapp", json={"platform": "dingtalk", "user": KEEPER})
    context, page = _in_app(browser, "dingtalk")
    try:
        page.goto(f"{chat_server}/m/")
        page.get_by_role("heading", name="扫码入库").wait_for()
        page.evaluate(
            """() => {
                const kept = JSON.parse(localStorage.getItem('gendan.m.session'));
                kept.token = 'revoked-' + kept.token;
                localStorage.setItem('gendan.m.session', JSON.stringify(kept));
            }"""
        )
        page.fill("#code", DEMO_EAN)
        page.get_by_role("button", name="确定").click()
        page.click('#keypad [data-key="1"]')
        page.get_by_role("button", name="确认入库").click()
        page.locator('#pending[data-count="0"]').wait_for()
        page.locator("#scans li.done").wait_for()
        assert page.locator("#scan").is_visible()
    finally:
        context.close()
    assert _received() == before + 1
    # Signed in twice: at the start and after the 401 (a refused access token is retried too).
    assert [c["errcode"] for c in calls(sim, "/user/getuserinfo")].count(0) == 2


def test_the_simulator_page_sets_the_in_app_user_and_scan(phone, sim):
    phone.set_viewport_size({"width": 1024, "height": 800})
    phone.goto(f"{sim.url}/")
    phone.locator("#inapp summary").click()
    phone.locator("#inapp-user option[value=sunqi]").wait_for(state="attached")
    phone.select_option("#inapp-platform", "dingtalk")
    phone.select_option("#inapp-user", "sunqi")
    phone.fill("#inapp-scan", f"EAN_13,{DEMO_EAN}")
    phone.get_by_role("button", name="设置").click()
    phone.locator("#inapp-status:has-text('已设置')").wait_for()
    assert sim.state.inapp["dingtalk"] == {"user": "sunqi", "scan": f"EAN_13,{DEMO_EAN}"}


def test_the_simulators_phone_frame_opens_m_as_the_apps_browser(browser, chat_server, sim):
    """A desktop browser (its user agent names no app): the simulator page's phone frame opens
    /m/?app=wecom in a phone-sized window, which signs in through WeCom OAuth2 without a
    password and keeps playing WeCom after the authorize page's redirect."""
    admin(sim, "POST", "inapp", json={"platform": "wecom", "user": KEEPER})
    deliverer = sim.app.extensions["chat_simulator_deliverer"]
    kept, deliverer.gendan_url = deliverer.gendan_url, chat_server
    context = browser.new_context(viewport={"width": 1024, "height": 800}, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{sim.url}/")
        page.locator("#inapp summary").click()
        page.select_option("#inapp-platform", "wecom")
        with context.expect_page() as opened:
            page.get_by_role("button", name="在手机框中打开 /m/").click()
        phone = opened.value
        phone.get_by_role("heading", name="扫码入库").wait_for()
        assert phone.locator("#who").inner_text() == "周仓库"
        assert phone.evaluate("sessionStorage.getItem('gendan.m.app')") == "wecom"
        assert calls(sim, "/cgi-bin/auth/getuserinfo")[-1]["errcode"] == 0
    finally:
        context.close()
        deliverer.gendan_url = kept
