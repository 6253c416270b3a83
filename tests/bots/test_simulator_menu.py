"""The simulator's app menus: menu/create and menu/get with the platforms' limits, and the
phone's 扫一扫 / 拍照 buttons that deliver the menu events to a running Gendan."""

from __future__ import annotations

import base64
import copy

import pytest
import requests
from sqlmodel import select

from bots.menus import build_menu
from bots.simulator.seed import DEMO_CONFIG
from models.issues import SiteIssue
from scanning.labels import LabelSpec, Symbology, render_label
from scanning.payload import GendanLabel, LabelKind
from tests.bots.conftest import admin
from tests.bots.test_menu_events import LABEL, _received, _setup
from tests.images import jpeg

WX = DEMO_CONFIG["wechat_apps"][0]
WC = DEMO_CONFIG["wecom_apps"][0]
MENU = build_menu("http://gendan.test")


def _token(sim, platform) -> str:
    if platform == "wechat":
        body = {"grant_type": "client_credential", "appid": WX["appid"], "secret": WX["secret"]}
        answer = requests.post(f"{sim.url}/cgi-bin/stable_token", json=body, timeout=10).json()
    else:
        params = {"corpid": WC["corpid"], "corpsecret": WC["corpsecret"]}
        answer = requests.get(f"{sim.url}/cgi-bin/gettoken", params=params, timeout=10).json()
    return answer["access_token"]


def _menu_call(sim, platform, method, action, menu=None, **params):
    params = {"access_token": _token(sim, platform), **params}
    if platform == "wecom":
        params.setdefault("agentid", WC["agentid"])
    url = f"{sim.url}/cgi-bin/menu/{action}"
    return requests.request(method, url, params=params, json=menu, timeout=10).json()


def _create(sim, platform, menu, **params):
    return _menu_call(sim, platform, "POST", "create", menu, **params)


def _changed(change) -> dict:
    menu = copy.deepcopy(MENU)
    change(menu["button"])
    return menu


VIOLATIONS = {
    "four top buttons": (lambda b: b.append({"type": "click", "name": "多", "key": "k"}), 40016),
    "no buttons": (lambda b: b.clear(), 40016),
    "six sub buttons": (
        lambda b: b[0]["sub_button"].extend(
            {"type": "click", "name": f"子{i}", "key": f"k{i}"} for i in range(3)
        ),
        40023,
    ),
    "top name over 16 bytes": (lambda b: b[1].update(name="拍照报告现场问题"), 40018),
    "sub name over 60 bytes": (lambda b: b[0]["sub_button"][0].update(name="码" * 21), 40025),
    "unknown top type": (lambda b: b[1].update(type="scan_everything"), 40017),
    "unknown sub type": (lambda b: b[0]["sub_button"][0].update(type="nope"), 40024),
    "top key missing": (lambda b: b[1].pop("key"), 40019),
    "sub key over 128 bytes": (lambda b: b[0]["sub_button"][1].update(key="k" * 129), 40026),
    "view url not http": (lambda b: b[2].update(url="ftp://gendan.test/m/"), 40020),
    "view url over 1024 bytes": (lambda b: b[2].update(url="http://g.test/" + "x" * 1024), 40020),
}


@pytest.mark.parametrize("platform", ["wechat", "wecom"])
@pytest.mark.parametrize("case", list(VIOLATIONS))
def test_menu_create_refuses_what_the_platform_refuses(sim, platform, case):
    change, errcode = VIOLATIONS[case]
    answer = _create(sim, platform, _changed(change))
    assert answer["errcode"] == errcode, answer
    assert _menu_call(sim, platform, "GET", "get")["errcode"] == 46003  # nothing stored


@pytest.mark.parametrize("platform", ["wechat", "wecom"])
def test_menu_create_stores_the_menu_that_get_returns(sim, platform):
    assert _create(sim, platform, MENU) == {"errcode": 0, "errmsg": "ok"}
    got = _menu_call(sim, platform, "GET", "get")
    buttons = got["menu"]["button"] if platform == "wechat" else got["button"]
    assert buttons == MENU["button"]


def test_menu_calls_need_a_token_and_wecom_the_apps_agentid(sim):
    url = f"{sim.url}/cgi-bin/menu/create"
    assert requests.post(url, json=MENU, timeout=10).json()["errcode"] == 41001
    assert _create(sim, "wecom", MENU, agentid="999")["errcode"] == 40056
    bad_json = requests.post(
        url, params={"access_token": _token(sim, "wechat")}, data=b"[1]", timeout=10
    ).json()
    assert bad_json["errcode"] == 47001


def test_scan_needs_a_synced_scan_button(sim):
    body = {"conversation": "wecom:user:sunqi", "user": "sunqi", "key": "scan_receive"}
    answer = requests.post(f"{sim.url}/admin/scan", json={**body, "code": "X"}, timeout=10)
    assert answer.status_code == 400 and "sync" in answer.json()["error"]
    _create(sim, "wecom", MENU)
    no_code = requests.post(f"{sim.url}/admin/scan", json=body, timeout=10)
    assert no_code.status_code == 400
    ding = {**body, "conversation": "dingtalk:user:sunqi", "code": "X"}
    assert requests.post(f"{sim.url}/admin/scan", json=ding, timeout=10).status_code == 400
    blank = {**body, "image": base64.b64encode(jpeg()).decode()}
    answer = requests.post(f"{sim.url}/admin/scan", json=blank, timeout=10)
    assert answer.status_code == 422 and "no code" in answer.json()["error"]


def _label_png() -> str:
    label = GendanLabel(
        LabelKind.LOT, material_code="FL-100", lot="A240501", quantity=4, order_code="GD-PRO-1"
    )
    return base64.b64encode(render_label(LabelSpec(label, Symbology.QR))).decode()


@pytest.mark.parametrize("platform", ["wechat", "wecom"])
def test_scanning_a_label_image_receives_it_in_gendan(sim, gendan, session, platform):
    line = _setup(session)
    _create(sim, platform, MENU)
    conversation = f"{platform}:user:{'o-sunqi' if platform == 'wechat' else 'sunqi'}"
    body = {"conversation": conversation, "user": "sunqi", "key": "scan_receive"}
    result = admin(sim, "POST", "scan", json={**body, "image": _label_png()})
    assert result["ok"], result
    card = result["reply"]["payload"]["text"]["content"]
    assert card.startswith("已入库 4件：法兰（FL-100），订单 GD-PRO-1")
    assert _received(session, line) == 4
    (event,) = admin(sim, "GET", "messages", params={"api": "menu"})
    assert event["payload"]["event"]["ScanCodeInfo"] == {"ScanType": "qrcode", "ScanResult": LABEL}
    typed = admin(sim, "POST", "scan", json={**body, "code": "EAN_13,6901234567892"})
    assert "请在 10 分钟内回复入库数量" in typed["reply"]["payload"]["text"]["content"]
    say = {"conversation": conversation, "user": "sunqi", "text": "2"}
    done = admin(sim, "POST", "say", json=say)
    assert done["reply"]["payload"]["text"]["content"].startswith("已入库 2件")
    assert _received(session, line) == 6


def test_the_photo_button_sends_the_event_then_the_images(sim, gendan, session):
    _setup(session)
    _create(sim, "wecom", MENU)
    images = [base64.b64encode(jpeg(seed=n)).decode() for n in (1, 2)]
    body = {"conversation": "wecom:user:sunqi", "user": "sunqi", "key": "photo_issue"}
    result = admin(sim, "POST", "photo", json={**body, "images": images})
    assert result["ok"], result
    replies = [r["reply"]["payload"]["text"]["content"] for r in result["results"]]
    assert "订单 GD-PRO-1 的现场问题" in replies[0]
    session.commit()
    (issue,) = session.exec(select(SiteIssue)).all()
    assert replies[1].startswith(f"已登记现场问题 #{issue.id}")
    assert replies[2] == f"图片已收到，正在附加到问题 #{issue.id}。"


def test_the_photo_button_refuses_bad_input(sim):
    url = f"{sim.url}/admin/photo"
    body = {"conversation": "wechat:user:o-sunqi", "user": "sunqi", "key": "photo_issue"}
    image = base64.b64encode(jpeg()).decode()
    assert requests.post(url, json={**body, "images": [image]}, timeout=10).status_code == 400
    _create(sim, "wechat", MENU)
    for images in (None, [], ["not base64!"], [1]):
        answer = requests.post(url, json={**body, "images": images}, timeout=10)
        assert answer.status_code == 400, images
    assert requests.post(url, json={"key": "photo_issue"}, timeout=10).status_code == 400
