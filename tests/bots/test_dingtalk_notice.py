"""DingTalk work notices, user lookups and login, through dingtalk-sdk against the simulator."""

import pytest
import requests
from dingtalk.core.exceptions import DingTalkClientException

from bots.login import dingtalk_userid
from bots.senders.clients import dingtalk_client
from bots.senders.dingtalk_notice import DingTalkWorkNoticeSender, notice_body
from models.errors import NotAuthenticated
from models.messages import Button, OutboundMessage
from tests.bots.conftest import admin, calls

APPKEY, SECRET, AGENT = "dingsimulator0001", "dingtalk-app-secret", "2000001"


@pytest.fixture
def client(sim, storage):
    return dingtalk_client("dingcorpsimulator", APPKEY, SECRET, storage=storage, api_base=sim.url)


@pytest.fixture
def notices(client):
    return DingTalkWorkNoticeSender(client, AGENT)


def test_work_notice_goes_to_each_user_through_the_oapi_endpoint(sim, notices):
    result = notices.send(["zhangsan", "lisi"], OutboundMessage.markdown("缺料", "**A-001** 缺料"))
    assert result.ok and result.data["task_id"]
    rows = admin(sim, "GET", "messages", params={"api": "asyncsend_v2"})
    assert [r["conversation"] for r in rows] == ["dingtalk:user:zhangsan", "dingtalk:user:lisi"]
    assert rows[0]["payload"]["markdown"]["title"] == "缺料"
    assert calls(sim, "/router") == []  # never the TOP gateway


def test_token_is_fetched_once_and_cached_in_the_shared_storage(sim, notices, client, storage):
    notices.send("zhangsan", OutboundMessage.plain("一"))
    other = dingtalk_client("dingcorpsimulator", APPKEY, SECRET, storage=storage, api_base=sim.url)
    DingTalkWorkNoticeSender(other, AGENT).send("zhangsan", OutboundMessage.plain("二"))
    assert len(calls(sim, "/gettoken")) == 1


def test_expired_token_is_refetched_once_and_the_notice_sent(sim, notices):
    notices.send("zhangsan", OutboundMessage.plain("一"))
    admin(sim, "POST", "tokens/expire")
    assert notices.send("zhangsan", OutboundMessage.plain("二")).ok
    assert len(calls(sim, "/gettoken")) == 2


def test_a_token_refused_twice_is_retryable_after_exactly_one_refetch(sim, notices):
    path = "/topapi/message/corpconversation/asyncsend_v2"
    admin(
        sim, "POST", "faults", json={"path": path, "kind": "errcode", "errcode": 40014, "count": 5}
    )
    result = notices.send("zhangsan", OutboundMessage.plain("x"))
    assert (result.status, result.errcode) == ("retryable", 40014)
    assert len(calls(sim, path)) == 2 and len(calls(sim, "/gettoken")) == 2


def test_same_content_to_the_same_user_is_accepted_but_not_delivered_twice_a_day(sim, notices):
    for _ in range(2):
        assert notices.send("zhangsan", OutboundMessage.plain("同样的内容")).ok
    rows = admin(sim, "GET", "messages", params={"api": "asyncsend_v2"})
    assert [r["delivered"] for r in rows] == [True, False]


def test_wrong_agent_id_is_permanent(sim, client):
    result = DingTalkWorkNoticeSender(client, "999").send("zhangsan", OutboundMessage.plain("x"))
    assert (result.status, result.errcode) == ("permanent", 400002)


def test_wrong_app_secret_is_permanent(sim, storage):
    client = dingtalk_client("c", APPKEY, "wrong", storage=storage, api_base=sim.url)
    result = DingTalkWorkNoticeSender(client, AGENT).send("zhangsan", OutboundMessage.plain("x"))
    assert (result.status, result.errcode) == ("permanent", 40089)


def test_work_notice_card_type_is_action_card():
    body = notice_body(
        OutboundMessage(
            kind="action_card", title="会签", text="请会签", buttons=(Button("去处理", "http://x"),)
        )
    )
    assert body["msgtype"] == "action_card"
    assert body["action_card"]["single_url"] == "http://x"


def test_simulator_refuses_camel_case_action_card_and_list_userids(sim, client):
    token = client.access_token
    url = f"{sim.url}/topapi/message/corpconversation/asyncsend_v2?access_token={token}"
    card = {"msgtype": "actionCard", "actionCard": {"title": "t", "markdown": "m"}}
    body = {"agent_id": AGENT, "userid_list": "zhangsan", "msg": card}
    assert requests.post(url, json=body, timeout=5).json()["errcode"] == 400002
    body = {
        "agent_id": AGENT,
        "userid_list": ["zhangsan"],
        "msg": notice_body(OutboundMessage.plain("x")),
    }
    assert requests.post(url, json=body, timeout=5).json()["errcode"] == 400002


def test_user_lookup_by_mobile(sim, client):
    path = "/topapi/v2/user/getbymobile"
    assert client.post(path, {"mobile": "13800000002"})["result"]["userid"] == "lisi"
    for mobile, errcode in (("13900000000", 60121), ("12ab", 40104)):
        with pytest.raises(DingTalkClientException) as caught:
            client.post(path, {"mobile": mobile})
        assert caught.value.errcode == errcode


def test_auth_code_gives_the_userid_once(sim, client):
    assert dingtalk_userid(client, "dt-code-lisi") == "lisi"
    with pytest.raises(NotAuthenticated) as caught:
        dingtalk_userid(client, "dt-code-lisi")
    assert caught.value.code == "dt_code_invalid"


def test_auth_code_lookup_survives_an_expired_token(sim, client):
    client.access_token  # noqa: B018 - fetch and cache a token
    admin(sim, "POST", "tokens/expire")
    assert dingtalk_userid(client, "dt-code-lisi") == "lisi"
    assert len(calls(sim, "/gettoken")) == 2
