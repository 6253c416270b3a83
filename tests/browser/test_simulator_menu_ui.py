"""The simulator's page: the app menu under a WeCom / WeChat private chat sends 扫一扫 to a
running Gendan (typed code, or a label image the simulator decodes) and shows the reply."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import expect

from scanning.labels import LabelSpec, Symbology, render_label
from scanning.payload import GendanLabel, LabelKind
from tests.bots.test_menu_events import _received, _setup
from tests.bots.test_simulator_menu import MENU, _create
from tests.browser.conftest import shot


def test_scan_buttons_of_the_simulator_page_receive_in_gendan(
    desktop, sim, gendan, session, tmp_path
):
    line = _setup(session)
    _create(sim, "wecom", MENU)
    page = desktop
    page.goto(f"{sim.url}/#{quote('wecom:user:sunqi')}")
    expect(page.locator("#app-menu")).to_be_visible()
    page.select_option("#scan-key", "scan_receive")
    page.once("dialog", lambda dialog: dialog.accept("EAN_13,6901234567892"))
    page.click("#scan-code")
    messages = page.locator("#messages")
    expect(messages).to_contain_text("请在 10 分钟内回复入库数量")
    page.fill("#text", "3")
    page.press("#text", "Enter")
    expect(messages).to_contain_text("已入库 3件：法兰（FL-100）")
    label = GendanLabel(
        LabelKind.LOT, material_code="FL-100", lot="A240502", quantity=2, order_code="GD-PRO-1"
    )
    image = tmp_path / "label.png"
    image.write_bytes(render_label(LabelSpec(label, Symbology.QR)))
    page.set_input_files("#scan-image", str(image))
    expect(messages).to_contain_text("已入库 2件")
    shot(page, "simulator-scan")
    assert _received(session, line) == 5
    # DingTalk robots have no menu.
    page.goto(f"{sim.url}/#{quote('dingtalk:user:sunqi')}")
    page.reload()
    expect(page.locator("#app-menu")).to_be_hidden()


def test_the_composer_shows_only_once_a_conversation_is_chosen(desktop, sim):
    page = desktop
    page.goto(sim.url)
    expect(page.locator("#chat-title")).to_have_text("请选择左侧的会话")
    expect(page.locator("#composer")).to_be_hidden()
    page.goto(f"{sim.url}/#{quote('wecom:user:wangwu')}")
    page.reload()
    expect(page.locator("#composer")).to_be_visible()
