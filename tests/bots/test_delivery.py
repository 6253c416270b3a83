"""Round trips: the simulator signs/encrypts like the platform, our adapters verify and reply."""

import pytest

from bots.simulator.deliver import WECHAT_FAILURE
from bots.simulator.seed import DEMO_CONFIG
from tests.bots.conftest import admin, serve
from tests.bots.receiver import create_receiver


@pytest.fixture
def gendan(sim):
    receiver = create_receiver(DEMO_CONFIG, sim.url)
    with serve(receiver) as url:
        for section in ("wechat_apps", "wecom_apps", "dingtalk_apps"):
            app = {**DEMO_CONFIG[section][0], "callback_url": f"{url}/bots/{section.split('_')[0]}"}
            admin(sim, "POST", f"config/{section}", json=app)
        yield receiver


def say(sim, conversation, user, text):
    return admin(
        sim, "POST", "say", json={"conversation": conversation, "user": user, "text": text}
    )


def test_wechat_safe_mode_round_trip(sim, gendan):
    result = say(sim, "wechat:user:o-zhangsan", "zhangsan", "查订单 A-001")
    assert result["ok"] and result["reply"]["payload"]["text"]["content"] == "收到：查订单 A-001"
    (msg,) = gendan.extensions["received"]
    assert (msg.platform, msg.sender_id, msg.reply.encrypted) == ("wechat", "o-zhangsan", True)


def test_wechat_plain_mode_round_trip(sim, gendan):
    gendan_app = {**sim.state.config["wechat_apps"][0], "encoding_aes_key": ""}
    admin(sim, "POST", "config/wechat_apps", json=gendan_app)
    receiver = create_receiver({**DEMO_CONFIG, "wechat_apps": [gendan_app]}, sim.url)
    with serve(receiver) as url:
        admin(
            sim,
            "POST",
            "config/wechat_apps",
            json={**gendan_app, "callback_url": f"{url}/bots/wechat"},
        )
        result = say(sim, "wechat:user:o-lisi", "lisi", "日报")
    assert result["reply"]["payload"]["text"]["content"] == "收到：日报"
    assert not receiver.extensions["received"][0].reply.encrypted


def test_wecom_round_trip(sim, gendan):
    result = say(sim, "wecom:user:lisi", "lisi", " 进度 ")
    assert result["reply"]["payload"]["text"]["content"] == "收到：进度"
    assert gendan.extensions["received"][0].reply.agent_id == "1000002"


def test_dingtalk_group_round_trip_through_the_session_webhook(sim, gendan):
    result = say(sim, "dingtalk:cid-project-a001", "wangwu", "缺料")
    assert result == {"ok": True, "status": 200}
    (msg,) = gendan.extensions["received"]
    assert (msg.text, msg.conversation_type, msg.sender_id) == ("缺料", "group", "wangwu")
    replies = admin(sim, "GET", "messages", params={"api": "sessionWebhook"})
    assert replies[0]["conversation"] == "dingtalk:cid-project-a001"
    assert replies[0]["payload"]["text"]["content"] == "收到：缺料"


@pytest.mark.parametrize("platform", ["wechat", "wecom", "dingtalk"])
def test_url_verification_round_trip(sim, gendan, platform):
    assert admin(sim, "POST", f"verify/{platform}")["ok"]


def test_wrong_credentials_on_the_gendan_side_are_refused(sim, gendan):
    admin(
        sim, "POST", "config/wecom_apps", json={**sim.state.config["wecom_apps"][0], "token": "x"}
    )
    result = say(sim, "wecom:user:lisi", "lisi", "hi")
    assert not result["ok"] and result["status"] == 403
    assert gendan.extensions["refused"] == ["bad_signature"]


def test_unreachable_gendan_shows_the_wechat_failure_after_three_tries(sim):
    app = {**DEMO_CONFIG["wechat_apps"][0], "callback_url": "http://127.0.0.1:9/bots/wechat"}
    admin(sim, "POST", "config/wechat_apps", json=app)
    result = say(sim, "wechat:user:o-zhangsan", "zhangsan", "hi")
    assert (result["ok"], result["attempts"]) == (False, 3)
    rows = admin(sim, "GET", "messages", params={"direction": "system"})
    assert rows[-1]["payload"]["text"]["content"] == WECHAT_FAILURE


def test_say_needs_a_known_user(sim):
    assert not say(sim, "wecom:user:x", "nobody", "hi")["ok"]
