"""The simulator's in-app browser pieces: OAuth authorize pages, code -> user, jsapi tickets and
the fake JS-SDK's JSONP checks, answering as the platforms do."""

from __future__ import annotations

import json
import re

import requests

from bots import jsapi
from tests.chat import admin

WECOM, WECHAT, DING_CORP = "wwsimulator000001", "wxsimulator000001", "dingcorpsimulator"


def _get(sim, path: str, **params):
    return requests.get(f"{sim.url}{path}", params=params, timeout=10, allow_redirects=False)


def _token(sim, platform: str) -> str:
    if platform == "wecom":
        r = _get(sim, "/cgi-bin/gettoken", corpid=WECOM, corpsecret="wecom-secret")
    elif platform == "wechat":
        r = requests.post(
            f"{sim.url}/cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": WECHAT, "secret": "wechat-secret"},
            timeout=10,
        )
    else:
        r = _get(sim, "/gettoken", appkey="dingsimulator0001", appsecret="dingtalk-app-secret")
    return r.json()["access_token"]


def _authorize(sim, appid: str = WECOM, **extra):
    params = {
        "appid": appid,
        "redirect_uri": "http://gendan.test/m/?x=1",
        "response_type": "code",
        "scope": "snsapi_base",
        "state": "s1",
        **extra,
    }
    return _get(sim, "/connect/oauth2/authorize", **params)


def _jsonp(response) -> dict:
    match = re.fullmatch(r"(\w+)\((.*)\);", response.text, re.S)
    assert match, response.text
    return json.loads(match.group(2))


def test_the_authorize_page_asks_for_a_user_then_redirects_with_a_code(sim):
    page = _authorize(sim)
    assert page.status_code == 200 and "张三" in page.text and "sim_user=zhangsan" in page.text
    r = _authorize(sim, sim_user="zhangsan")
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith("http://gendan.test/m/?x=1&code=wecom-") and "state=s1" in location


def test_the_authorize_page_refuses_bad_requests(sim):
    assert _authorize(sim, appid="nobody").status_code == 400
    assert _authorize(sim, scope="openid").status_code == 400
    assert _authorize(sim, redirect_uri="javascript:alert(1)").status_code == 400
    assert _authorize(sim, sim_user="nobody").status_code == 400


def test_wecom_codes_give_the_userid_once_and_outsiders_an_openid(sim):
    token = _token(sim, "wecom")
    admin(sim, "POST", "inapp", json={"platform": "wecom", "user": "lisi"})
    code = _authorize(sim).headers["Location"].split("code=")[1].split("&")[0]
    answer = _get(sim, "/cgi-bin/auth/getuserinfo", access_token=token, code=code).json()
    assert answer["errcode"] == 0 and answer["userid"] == "lisi"
    again = _get(sim, "/cgi-bin/auth/getuserinfo", access_token=token, code=code).json()
    assert again["errcode"] == 40029
    bad = _get(sim, "/cgi-bin/auth/getuserinfo", access_token="wrong", code=code).json()
    assert bad["errcode"] == 40014
    admin(sim, "POST", "config/login_codes", json={"platform": "wecom", "code": "c-x", "user": "x"})
    outsider = _get(sim, "/cgi-bin/auth/getuserinfo", access_token=token, code="c-x").json()
    assert "userid" not in outsider and outsider["openid"]


def test_wechat_web_codes_give_the_openid_once(sim):
    code = _authorize(sim, appid=WECHAT, sim_user="zhangsan").headers["Location"]
    code = code.split("code=")[1].split("&")[0]
    params = {"appid": WECHAT, "secret": "wechat-secret", "grant_type": "authorization_code"}
    first = _get(sim, "/sns/oauth2/access_token", code=code, **params).json()
    assert first["openid"] == "o-zhangsan" and "errcode" not in first
    assert _get(sim, "/sns/oauth2/access_token", code=code, **params).json()["errcode"] == 40163
    assert _get(sim, "/sns/oauth2/access_token", code="x", **params).json()["errcode"] == 40029
    wrong = {**params, "secret": "nope"}
    assert _get(sim, "/sns/oauth2/access_token", code="x", **wrong).json()["errcode"] == 40125


def test_tickets_stay_the_same_until_they_expire_and_need_a_good_token(sim):
    for platform, path, extra, bad in (
        ("wechat", "/cgi-bin/ticket/getticket", {"type": "jsapi"}, 40001),
        ("wecom", "/cgi-bin/get_jsapi_ticket", {}, 40014),
        ("wecom", "/cgi-bin/ticket/get", {"type": "agent_config"}, 40014),
        ("dingtalk", "/get_jsapi_ticket", {}, 40014),
    ):
        token = _token(sim, platform)
        first = _get(sim, path, access_token=token, **extra).json()
        second = _get(sim, path, access_token=token, **extra).json()
        assert first["errcode"] == 0 and first["expires_in"] == 7200
        assert first["ticket"] == second["ticket"]
        assert _get(sim, path, access_token="wrong", **extra).json()["errcode"] == bad
        assert _get(sim, path, **extra).json()["errcode"] in (41001, 40035)
    token = _token(sim, "wechat")
    assert _get(sim, "/cgi-bin/ticket/getticket", access_token=token, type="x").json()["errcode"]


def test_the_fake_sdk_checks_signatures_against_its_tickets(sim):
    token = _token(sim, "wechat")
    ticket = _get(sim, "/cgi-bin/ticket/getticket", access_token=token, type="jsapi").json()
    url = "http://gendan.test/m/"
    good = jsapi.signature(ticket["ticket"], "n1", 1700000000, url)
    params = {"platform": "wechat", "app": WECHAT, "url": url, "noncestr": "n1", "cb": "cb1"}
    ok = _jsonp(_get(sim, "/jssdk/verify", timestamp="1700000000", signature=good, **params))
    assert ok == {"ok": True, "errMsg": "jsapi:ok"}
    bad = _jsonp(_get(sim, "/jssdk/verify", timestamp="1700000001", signature=good, **params))
    assert bad["ok"] is False and "invalid signature" in bad["errMsg"]
    assert _get(sim, "/jssdk/verify", cb="alert(1)//").status_code == 400


def test_the_fake_sdk_scans_what_the_admin_set_and_gives_dingtalk_codes(sim):
    assert _jsonp(_get(sim, "/jssdk/scan", platform="wecom", cb="c"))["ok"] is False
    admin(sim, "POST", "inapp", json={"platform": "wecom", "scan": "EAN_13,6901234567892"})
    assert _jsonp(_get(sim, "/jssdk/scan", platform="wecom", cb="c"))["result"] == (
        "EAN_13,6901234567892"
    )
    assert _jsonp(_get(sim, "/jssdk/authcode", corpId=DING_CORP, cb="c"))["ok"] is False
    admin(sim, "POST", "inapp", json={"platform": "dingtalk", "user": "lisi"})
    code = _jsonp(_get(sim, "/jssdk/authcode", corpId=DING_CORP, cb="c"))["code"]
    token = _token(sim, "dingtalk")
    assert _get(sim, "/user/getuserinfo", access_token=token, code=code).json()["userid"] == "lisi"


def test_the_fake_sdk_scripts_are_served_per_platform(sim):
    for platform in ("wechat", "wecom", "dingtalk"):
        r = _get(sim, f"/jssdk/{platform}.js")
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/javascript")
        assert json.dumps(sim.url) in r.text and json.dumps(platform) in r.text
    assert _get(sim, "/jssdk/qq.js").status_code == 404
    assert admin(sim, "POST", "inapp", json={"platform": "qq"}) == {
        "error": "platform must be wechat, wecom or dingtalk"
    }
