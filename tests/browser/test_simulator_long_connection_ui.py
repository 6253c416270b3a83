"""The simulator's page sends a WeCom private message over the intelligent robot's long
connection (chat-stream holding it) and shows the reply frame's text."""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import expect

from tests.bots.test_stream_e2e import _StreamProcess, _until
from tests.bots.test_wecom_long_connection_e2e import BOT, _gateway, _use_long_connection


def test_the_simulator_page_chats_over_the_wecom_long_connection(desktop, sim, long_connection_app):
    _use_long_connection(sim)
    with _StreamProcess(long_connection_app, settings={}):
        _until(lambda: _gateway(sim).live(BOT["bot_id"]) == 1, "the long connection")
        page = desktop
        page.goto(f"{sim.url}/#{quote('wecom:user:wangwu')}")
        # The composer shows once the conversation is chosen (it was shown before, and a line
        # typed then was dropped without a word).
        expect(page.locator("#composer")).to_be_visible()
        page.fill("#text", "帮助")
        page.press("#text", "Enter")
        expect(page.locator("#status")).to_contain_text("已通过长连接推送")
        expect(page.locator("#messages")).to_contain_text("进度")
