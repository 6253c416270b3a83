"""In-app sign-in for /m/ (WeCom OAuth2, WeChat web OAuth, DingTalk 免登), the platform config the
page reads, and the JS-SDK config signatures, against the chat simulator on both engines."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from app.services.chat import bind_identity
from app.services.core import Actor
from bots import jsapi
from models import clock
from models.enums import Channel, ChatPlatform
from tests.chat import admin as sim_admin
from tests.chat import calls
from tests.factories import bearer, make_user

PAGE = "http://gendan.test/m/"


@pytest.fixture
def api(chat_app):
    return chat_app.test_client()


def _bound(session, platform: ChatPlatform, external_id: str):
    user = make_user(session)
    session.commit()
    bind_identity(
        session=session,
        actor=Actor.system(Channel.api),
        user_id=user.id,
        platform=platform,
        external_id=external_id,
    )
    session.commit()
    return user


def _code(sim, platform: str, user: str) -> str:
    """A code from the simulator's authorize page, as the page's redirect brings it back."""
    sim_admin(sim, "POST", "inapp", json={"platform": platform, "user": user})
    app = "wwsimulator000001" if platform == "wecom" else "wxsimulator000001"
    r = requests.get(
        f"{sim.url}/connect/oauth2/authorize",
        params={
            "appid": app,
            "redirect_uri": PAGE,
            "response_type": "code",
            "scope": "snsapi_base",
            "state": platform,
        },
        allow_redirects=False,
        timeout=10,
    )
    assert r.status_code == 302, r.text
    location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == PAGE
    query = parse_qs(location.query)
    assert query["state"] == [platform]
    return query["code"][0]


@pytest.mark.parametrize(
    ("platform", "path", "external_id"),
    [
        ("wecom", "/api/auth/wecom", "zhangsan"),
        ("wechat", "/api/auth/wechat-web", "o-zhangsan"),
    ],
)
def test_an_oauth_code_signs_a_bound_user_in_once(api, session, sim, platform, path, external_id):
    user = _bound(session, ChatPlatform(platform), external_id)
    code = _code(sim, platform, "zhangsan")
    r = api.post(path, json={"code": code})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["user"]["id"] == user.id and body["token_type"] == "Bearer"
    me = api.get("/api/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.get_json()["id"] == user.id
    r = api.post(path, json={"code": code})  # codes are single-use
    assert r.status_code == 401 and "登录凭证" in r.get_json()["error"]["message"]
    r = api.post(path, json={"code": "never-issued"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "chat_code_invalid"


@pytest.mark.parametrize(
    ("platform", "path"), [("wecom", "/api/auth/wecom"), ("wechat", "/api/auth/wechat-web")]
)
def test_an_unbound_account_gets_403_with_the_binding_hint(api, session, sim, platform, path):
    r = api.post(path, json={"code": _code(sim, platform, "lisi")})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "chat_not_bound"
    assert "绑定码" in r.get_json()["error"]["message"]


def test_an_unbound_account_binds_with_a_binding_code_at_sign_in(api, session, sim):
    user = make_user(session)
    session.commit()
    bind_code = api.post("/api/chat/binding-codes", headers=bearer(user)).get_json()["code"]
    r = api.post(
        "/api/auth/wecom", json={"code": _code(sim, "wecom", "lisi"), "bind_code": bind_code}
    )
    assert r.status_code == 200 and r.get_json()["user"]["id"] == user.id


def test_bad_sign_in_bodies_are_refused_in_chinese(api, sim):
    for path in ("/api/auth/wecom", "/api/auth/wechat-web"):
        for body in ({}, {"code": ""}, {"code": "x" * 129}):
            r = api.post(path, json=body)
            assert r.status_code == 422, (path, body)
            assert r.get_json()["error"]["message"]


def test_a_used_dingtalk_code_is_401(api, session, sim):
    user = _bound(session, ChatPlatform.dingtalk, "lisi")
    assert api.post("/api/auth/dingtalk", json={"code": "dt-code-lisi"}).status_code == 200
    r = api.post("/api/auth/dingtalk", json={"code": "dt-code-lisi"})
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "dt_code_invalid"
    assert user.id


def test_platform_config_names_the_configured_platforms(api, sim):
    body = api.get("/api/auth/platform-config").get_json()
    assert body["wecom"]["app_id"] == "wwsimulator000001"
    assert body["wecom"]["agent_id"] == "1000002"
    assert body["wecom"]["authorize_url"] == f"{sim.url}/connect/oauth2/authorize"
    assert body["wecom"]["jssdk_url"] == f"{sim.url}/jssdk/wecom.js"
    assert body["wechat"]["app_id"] == "wxsimulator000001"
    assert body["dingtalk"] == {
        "app_id": "dingcorpsimulator",
        "agent_id": "2000001",
        "authorize_url": "",
        "jssdk_url": f"{sim.url}/jssdk/dingtalk.js",
    }


def test_without_chat_settings_nothing_is_configured_and_the_csp_stays_strict(client):
    body = client.get("/api/auth/platform-config").get_json()
    assert body == {"wechat": None, "wecom": None, "dingtalk": None}
    csp = client.get("/m/").headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp


def test_the_m_page_allows_the_configured_js_sdk_origin_only(api, sim):
    csp = api.get("/m/").headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split("; ") if p.startswith("script-src"))
    assert script_src == f"script-src 'self' 'wasm-unsafe-eval' {sim.url}"
    assert "connect-src 'self'" in csp


def test_the_signature_matches_the_official_vector():
    # WeChat JS-SDK documentation, appendix 1 (JS-SDK使用权限签名算法).
    ticket = (
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    )
    assert (
        jsapi.signature(
            ticket, "Wm3WZYTPz0wzccnW", 1414587457, "http://mp.weixin.qq.com?params=value"
        )
        == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    )


def _sign(api, user, platform: str, url: str = PAGE + "?x=1#scan"):
    return api.post(
        "/api/jsapi/signature", json={"platform": platform, "url": url}, headers=bearer(user)
    )


def _live_ticket(sim, platform: str, app: str, kind: str = "jsapi") -> str:
    (ticket,) = sim.state.live_tickets(platform, app, kind)
    return ticket


def test_wechat_config_is_signed_with_the_platforms_ticket_and_the_ticket_is_cached(
    api, session, sim
):
    user = make_user(session)
    session.commit()
    first, second = _sign(api, user, "wechat").get_json(), _sign(api, user, "wechat").get_json()
    ticket = _live_ticket(sim, "wechat", "wxsimulator000001")
    for body in (first, second):
        assert body["url"] == PAGE + "?x=1"  # the #fragment is not signed
        assert body["app_id"] == "wxsimulator000001"
        expected = jsapi.signature(ticket, body["nonce_str"], body["timestamp"], body["url"])
        assert body["signature"] == expected
    assert first["nonce_str"] != second["nonce_str"]
    assert len(calls(sim, "/cgi-bin/ticket/getticket")) == 1


def test_wecom_signs_config_and_agent_config(api, session, sim):
    user = make_user(session)
    session.commit()
    body = _sign(api, user, "wecom").get_json()
    corp = _live_ticket(sim, "wecom", "wwsimulator000001")
    agent = _live_ticket(sim, "wecom", "wwsimulator000001", "agent_config")
    assert corp != agent and body["agent_id"] == "1000002"
    assert body["signature"] == jsapi.signature(
        corp, body["nonce_str"], body["timestamp"], body["url"]
    )
    a = body["agent"]
    assert a["signature"] == jsapi.signature(agent, a["nonce_str"], a["timestamp"], body["url"])
    _sign(api, user, "wecom")
    assert len(calls(sim, "/cgi-bin/get_jsapi_ticket")) == 1
    assert len(calls(sim, "/cgi-bin/ticket/get")) == 1


def test_dingtalk_signs_dd_config_with_a_millisecond_timestamp(api, session, sim):
    user = make_user(session)
    session.commit()
    body = _sign(api, user, "dingtalk").get_json()
    ticket = _live_ticket(sim, "dingtalk", "dingsimulator0001")
    assert body["app_id"] == "dingcorpsimulator" and body["timestamp"] > 10**12
    assert body["signature"] == jsapi.signature(
        ticket, body["nonce_str"], body["timestamp"], body["url"]
    )


def test_a_refused_token_is_fetched_again_once(api, session, sim):
    user = make_user(session)
    session.commit()
    assert _sign(api, user, "wechat").status_code == 200
    sim_admin(sim, "POST", "tokens/expire")
    sim.state.tickets.clear()  # the cached ticket would hide the token: a new one is needed
    api.application.extensions["gendan.chat"].storage.delete(
        "wechat:wxsimulator000001:jsapi_ticket"
    )
    r = _sign(api, user, "wechat")
    assert r.status_code == 200, r.get_json()


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/m/",
        "http://gendan.test/admin/",
        "http://gendan.test.evil.example/m/",
        "javascript:alert(1)",
        "/m/",
    ],
)
def test_only_pages_of_this_servers_m_are_signed(api, session, sim, url):
    user = make_user(session)
    session.commit()
    r = _sign(api, user, "wechat", url)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "jsapi_url_refused"
    assert "只能为本站" in r.get_json()["error"]["message"]


def test_signing_needs_a_signed_in_user_and_a_known_platform(api, session, sim):
    r = api.post("/api/jsapi/signature", json={"platform": "wechat", "url": PAGE})
    assert r.status_code == 401
    user = make_user(session)
    session.commit()
    for body in (
        {"platform": "qq", "url": PAGE},
        {},
        {"platform": "wechat"},
        {"platform": "wechat", "url": PAGE + "x" * 2048},
    ):
        r = api.post("/api/jsapi/signature", json=body, headers=bearer(user))
        assert r.status_code == 422 and r.get_json()["error"]["message"], body


def test_signing_an_unconfigured_platform_is_503(client, session):
    user = make_user(session)
    session.commit()
    r = client.post(
        "/api/jsapi/signature",
        json={"platform": "wecom", "url": "http://localhost/m/"},
        headers=bearer(user),
    )
    assert r.status_code == 503 and "未配置" in r.get_json()["error"]["message"]


def test_somebody_outside_the_wecom_corp_is_refused(api, sim):
    sim_admin(
        sim, "POST", "config/login_codes", json={"platform": "wecom", "code": "c-out", "user": "x"}
    )
    r = api.post("/api/auth/wecom", json={"code": "c-out"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "wecom_not_member"
    assert "不是本企业的成员" in r.get_json()["error"]["message"]


def test_the_sign_in_endpoints_are_in_the_openapi_document(api):
    paths = api.get("/api/openapi.json").get_json()["paths"]
    for path in (
        "/api/auth/wecom",
        "/api/auth/wechat-web",
        "/api/auth/platform-config",
        "/api/jsapi/signature",
    ):
        assert path in paths


def test_the_ticket_is_fetched_again_shortly_before_it_expires(api, session, sim):
    user = make_user(session)
    session.commit()
    with clock.frozen(clock.now()) as advance:
        assert _sign(api, user, "wechat").status_code == 200
        advance(timedelta(seconds=7200 - 300 - 60))  # the platform says 7200 s; kept 300 s less
        assert _sign(api, user, "wechat").status_code == 200
        assert len(calls(sim, "/cgi-bin/ticket/getticket")) == 1
        advance(timedelta(seconds=61))
        assert _sign(api, user, "wechat").status_code == 200
        assert len(calls(sim, "/cgi-bin/ticket/getticket")) == 2
