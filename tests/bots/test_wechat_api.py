"""WeChat tokens, mini-program login and subscribe messages against the simulator."""

import pytest
import requests

from bots.login import code_to_session
from bots.senders.clients import WeChatApiClient
from bots.senders.wechat_subscribe import SubscribeTarget, WeChatSubscribeSender, clip
from models.errors import NotAuthenticated, RateLimited, Unavailable
from models.messages import OutboundMessage
from tests.bots.conftest import admin, calls

APPID, SECRET = "wxsimulator000001", "wechat-secret"
TARGET = SubscribeTarget("o-zhangsan", "tmpl-overdue", page="pages/order/detail?id=1")


@pytest.fixture
def client(sim, storage):
    return WeChatApiClient(APPID, SECRET, session=storage, api_base=sim.url, timeout=3)


@pytest.fixture
def subscribe(client):
    return WeChatSubscribeSender(client, miniprogram_state="developer", lang="zh_CN")


def token(sim, **params):
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, **params}
    return requests.get(f"{sim.url}/cgi-bin/token", params=params, timeout=5).json()


def custom_send(sim, access_token):
    body = {"touser": "o-zhangsan", "msgtype": "text", "text": {"content": "hi"}}
    url = f"{sim.url}/cgi-bin/message/custom/send"
    return requests.post(url, params={"access_token": access_token}, json=body, timeout=5).json()


def test_fetching_a_token_again_kills_the_previous_one_after_the_overlap(sim):
    first = token(sim)["access_token"]
    second = token(sim)["access_token"]
    assert custom_send(sim, first)["errcode"] == 0
    sim.state.clock.advance(301)
    assert custom_send(sim, first)["errcode"] == 40001
    assert custom_send(sim, second)["errcode"] == 0
    sim.state.clock.advance(7200)
    assert custom_send(sim, second)["errcode"] == 42001


def test_token_errors(sim):
    assert token(sim, appid="wxnope")["errcode"] == 40013
    assert token(sim, secret="nope")["errcode"] == 40125
    assert token(sim, grant_type="x")["errcode"] == 40002
    assert custom_send(sim, "")["errcode"] == 41001


def test_stable_token_does_not_rotate_unless_forced(sim):
    url = f"{sim.url}/cgi-bin/stable_token"
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    first = requests.post(url, json=body, timeout=5).json()["access_token"]
    assert requests.post(url, json=body, timeout=5).json()["access_token"] == first
    forced = requests.post(url, json={**body, "force_refresh": True}, timeout=5).json()
    assert forced["access_token"] != first


def test_subscribe_message_is_sent_with_state_lang_and_clipped_thing(sim, subscribe):
    fields = {"thing1": "焊接工序逾期，请尽快处理并反馈原因及新的完成时间", "number2": "3"}
    assert subscribe.send(TARGET, OutboundMessage(fields=fields)).ok
    (row,) = admin(sim, "GET", "messages", params={"api": "subscribe/send"})
    payload = row["payload"]
    assert (payload["miniprogram_state"], payload["lang"], payload["page"]) == (
        "developer",
        "zh_CN",
        TARGET.page,
    )
    assert len(payload["data"]["thing1"]["value"]) == 20
    assert payload["data"]["thing1"]["value"].endswith("…")
    assert len(calls(sim, "/cgi-bin/stable_token")) == 1 and calls(sim, "/cgi-bin/token") == []


def test_one_time_subscriptions_run_out_with_43101(sim, subscribe):
    results = [subscribe.send(TARGET, OutboundMessage(fields={"thing1": "x"})) for _ in range(4)]
    assert [r.ok for r in results] == [True, True, True, False]
    assert (results[3].status, results[3].errcode) == ("permanent", 43101)


@pytest.mark.parametrize(
    "target, fields, errcode",
    [
        (SubscribeTarget("o-nobody", "tmpl-overdue"), {"thing1": "x"}, 40003),
        (SubscribeTarget("o-zhangsan", "tmpl-nope"), {"thing1": "x"}, 40037),
        (TARGET, {"number1": "1" * 33}, 47003),
    ],
)
def test_refusals_are_permanent(sim, subscribe, target, fields, errcode):
    result = subscribe.send(target, OutboundMessage(fields=fields))
    assert (result.status, result.errcode) == ("permanent", errcode)


def test_bad_miniprogram_state_is_47003(sim, client):
    sender = WeChatSubscribeSender(client, miniprogram_state="beta")
    assert sender.send(TARGET, OutboundMessage(fields={"thing1": "x"})).errcode == 47003


def test_expired_token_is_refetched_once(sim, subscribe):
    assert subscribe.send(TARGET, OutboundMessage(fields={"thing1": "一"})).ok
    admin(sim, "POST", "tokens/expire")
    assert subscribe.send(TARGET, OutboundMessage(fields={"thing1": "二"})).ok
    assert len(calls(sim, "/cgi-bin/stable_token")) == 2


def test_classic_token_endpoint_can_be_chosen(sim, storage):
    client = WeChatApiClient(APPID, SECRET, session=storage, api_base=sim.url, stable_token=False)
    assert WeChatSubscribeSender(client).send(TARGET, OutboundMessage(fields={"thing1": "x"})).ok
    assert len(calls(sim, "/cgi-bin/token")) == 1


def test_clip_only_cuts_thing_values():
    assert clip("thing3", "一" * 21) == "一" * 19 + "…"
    assert clip("number1", "1" * 40) == "1" * 40


def test_login_code_gives_openid_and_never_the_session_key(sim):
    identity = code_to_session(APPID, SECRET, "wx-code-zhangsan", api_base=sim.url)
    assert identity.openid == "o-zhangsan"
    assert "session_key" not in vars(identity) and calls(sim, "/cgi-bin") == []


def test_reused_and_unknown_login_codes_are_clear_errors(sim):
    code_to_session(APPID, SECRET, "wx-code-zhangsan", api_base=sim.url)
    for code, expected in (("wx-code-zhangsan", "wx_code_used"), ("bogus", "wx_code_invalid")):
        with pytest.raises(NotAuthenticated) as caught:
            code_to_session(APPID, SECRET, code, api_base=sim.url)
        assert caught.value.code == expected


@pytest.mark.parametrize("errcode, error", [(45011, RateLimited), (-1, Unavailable)])
def test_login_rate_limit_and_busy_are_mapped(sim, errcode, error):
    admin(sim, "POST", "faults", json={"path": "/sns", "kind": "errcode", "errcode": errcode})
    with pytest.raises(error):
        code_to_session(APPID, SECRET, "wx-code-zhangsan", api_base=sim.url)


def test_login_with_the_platform_down_is_unavailable(sim):
    admin(sim, "POST", "faults", json={"path": "/sns", "kind": "status", "status": 502})
    with pytest.raises(Unavailable):
        code_to_session(APPID, SECRET, "wx-code-zhangsan", api_base=sim.url)
