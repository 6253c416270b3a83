"""The simulator's admin API, web page and command line."""

import subprocess
import sys

import requests

from tests.bots.conftest import admin


def test_config_sections_can_be_added_replaced_and_reset(sim):
    admin(sim, "POST", "config/users", json=[{"userid": "zhaoliu", "name": "赵六"}])
    assert any(u["userid"] == "zhaoliu" for u in admin(sim, "GET", "config")["users"])
    admin(sim, "POST", "config/users", json={"userid": "zhaoliu", "name": "赵六六"})
    names = [u["name"] for u in admin(sim, "GET", "config")["users"] if u["userid"] == "zhaoliu"]
    assert names == ["赵六六"]
    admin(sim, "POST", "reset", json={"config": True})
    assert admin(sim, "GET", "config")["users"] == []


def test_bad_admin_requests_are_refused(sim):
    response = requests.post(f"{sim.url}/admin/config/nope", json={}, timeout=5)
    assert response.status_code == 404
    response = requests.put(f"{sim.url}/admin/config", json={"robots": []}, timeout=5)
    assert response.status_code == 400
    assert requests.post(f"{sim.url}/admin/say", json={}, timeout=5).status_code == 400


def test_messages_can_be_read_after_a_sequence_number(sim):
    url = f"{sim.url}/cgi-bin/webhook/send?key=wecom-robot-key-1"
    for i in range(3):
        requests.post(url, json={"msgtype": "text", "text": {"content": str(i)}}, timeout=5)
    rows = admin(sim, "GET", "messages")
    later = admin(sim, "GET", "messages", params={"after": rows[0]["seq"]})
    assert [r["payload"]["text"]["content"] for r in later] == ["1", "2"]


def test_clock_can_be_moved(sim):
    before = admin(sim, "GET", "clock")["now"]
    assert admin(sim, "POST", "clock", json={"advance": 3600})["now"] >= before + 3600


def test_conversations_list_groups_and_private_chats(sim):
    rows = {r["id"]: r for r in admin(sim, "GET", "conversations")}
    assert rows["dingtalk:cid-project-a001"]["can_type"]
    assert not rows["wecom-robot:wecom-robot-key-1"]["can_type"]
    assert rows["wechat:user:o-zhangsan"]["title"] == "张三（微信）"


def test_web_page_and_assets_are_served_without_a_cdn(sim):
    page = requests.get(sim.url + "/", timeout=5)
    assert page.status_code == 200 and "跟单" in page.text
    assert "http" not in page.text.replace(sim.url, "")
    for asset in ("app.js", "style.css"):
        assert requests.get(f"{sim.url}/static/{asset}", timeout=5).status_code == 200


def test_command_line_help_runs():
    out = subprocess.run(
        [sys.executable, "-m", "bots.simulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--gendan-url" in out.stdout
