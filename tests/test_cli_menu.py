"""`flask --app wsgi chat-menu sync`: the app menu created on WeCom and WeChat (the simulator)."""

from __future__ import annotations

import json

import pytest

from app.services.core import configure
from tests.chat import admin, calls

BASE = "http://gendan.test"


def _sync(chat_app, *args):
    return chat_app.test_cli_runner().invoke(args=["chat-menu", "sync", *args])


def _stored(sim, platform):
    return [m["menu"] for m in admin(sim, "GET", "menus") if m["platform"] == platform]


@pytest.mark.parametrize("platform", ["wecom", "wechat"])
def test_sync_creates_the_menu_on_the_platform(chat_app, sim, platform):
    r = _sync(chat_app, "--platform", platform)
    assert r.exit_code == 0, r.output
    assert f"{platform} menu created" in r.output and f"{BASE}/m/" in r.output
    (menu,) = _stored(sim, platform)
    scan, photo, view = menu["button"]
    assert [(b["type"], b["name"], b["key"]) for b in scan["sub_button"]] == [
        ("scancode_waitmsg", "扫码入库", "scan_receive"),
        ("scancode_waitmsg", "扫码领料", "scan_issue"),
        ("scancode_waitmsg", "扫码盘点", "scan_count"),
    ]
    assert (photo["type"], photo["name"], photo["key"]) == (
        "pic_photo_or_album",
        "拍照报问题",
        "photo_issue",
    )
    assert (view["type"], view["name"], view["url"]) == ("view", "现场应用", f"{BASE}/m/")
    if platform == "wecom":
        (call,) = calls(sim, "/cgi-bin/menu/create")
        assert call.get("errcode", 0) == 0
    # Syncing again replaces the menu (a token the simulator forgot is fetched anew).
    admin(sim, "POST", "reset")
    assert _sync(chat_app, "--platform", platform).exit_code == 0
    assert len(_stored(sim, platform)) == 1


def test_dry_run_prints_the_json_and_calls_nothing(chat_app, sim):
    r = _sync(chat_app, "--platform", "wechat", "--dry-run")
    assert r.exit_code == 0, r.output
    menu = json.loads(r.output)
    assert menu["button"][2]["url"] == f"{BASE}/m/"
    assert calls(sim, "/cgi-bin/menu") == [] and _stored(sim, "wechat") == []


@pytest.mark.parametrize("platform", ["wecom", "wechat"])
def test_a_platform_errcode_ends_with_a_clear_message_and_exit_code_1(chat_app, sim, platform):
    configure(public_base_url=BASE + "/" + "x" * 1100)  # a view URL over 1024 bytes
    try:
        r = _sync(chat_app, "--platform", platform)
    finally:
        configure(public_base_url=BASE)
    assert r.exit_code == 1
    assert f"{platform} menu create failed (errcode 40020): invalid button url size" in r.output
    assert _stored(sim, platform) == []
    fault = {"path": "/cgi-bin/menu", "kind": "errcode", "errcode": 45009}
    admin(sim, "POST", "faults", json=fault)
    r = _sync(chat_app, "--platform", platform)
    assert r.exit_code == 1 and "(errcode 45009)" in r.output


def test_an_unreachable_platform_ends_with_exit_code_1(chat_app, sim):
    admin(sim, "POST", "faults", json={"path": "/cgi-bin/menu", "kind": "status", "status": 503})
    r = _sync(chat_app, "--platform", "wecom")
    assert r.exit_code == 1
    assert "wecom menu create failed (no answer): the platform could not be reached" in r.output
