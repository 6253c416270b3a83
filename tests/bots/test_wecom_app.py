"""The simulator's WeCom app API: gettoken and message/send."""

import pytest
import requests

from tests.bots.conftest import admin

CORP, SECRET, AGENT = "wwsimulator000001", "wecom-secret", "1000002"


def gettoken(sim, **params):
    params = {"corpid": CORP, "corpsecret": SECRET, **params}
    return requests.get(f"{sim.url}/cgi-bin/gettoken", params=params, timeout=5).json()


def send(sim, token, **body):
    body = {
        "touser": "zhangsan",
        "msgtype": "text",
        "agentid": AGENT,
        "text": {"content": "逾期提醒"},
        **body,
    }
    url = f"{sim.url}/cgi-bin/message/send"
    return requests.post(url, params={"access_token": token}, json=body, timeout=5).json()


def test_token_is_reused_until_it_expires(sim):
    first = gettoken(sim)
    assert first["expires_in"] == 7200 and gettoken(sim)["access_token"] == first["access_token"]


def test_gettoken_errors(sim):
    assert gettoken(sim, corpid="nope")["errcode"] == 40013
    assert gettoken(sim, corpsecret="nope")["errcode"] == 40001


def test_app_message_reaches_known_users_and_lists_the_others(sim):
    answer = send(sim, gettoken(sim)["access_token"], touser="zhangsan|ghost")
    assert (answer["errcode"], answer["invaliduser"]) == (0, "ghost")
    (row,) = admin(sim, "GET", "messages", params={"api": "message/send"})
    assert row["conversation"] == "wecom:user:zhangsan"


@pytest.mark.parametrize(
    "body, errcode",
    [({"touser": "ghost"}, 81013), ({"agentid": "1"}, 40056), ({"msgtype": "video"}, 40008)],
)
def test_app_message_refusals(sim, body, errcode):
    assert send(sim, gettoken(sim)["access_token"], **body)["errcode"] == errcode


def test_bad_and_expired_tokens(sim):
    assert send(sim, "bogus")["errcode"] == 40014
    assert send(sim, "")["errcode"] == 41001
    token = gettoken(sim)["access_token"]
    sim.state.clock.advance(7201)
    assert send(sim, token)["errcode"] == 42001
