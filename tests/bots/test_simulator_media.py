"""The simulator's media side: users send images, Gendan downloads them like on the platforms."""

import base64

import requests

from tests.chat import admin
from tests.images import png


def _say_image(sim, conversation, user):
    body = {"conversation": conversation, "user": user, "image": base64.b64encode(png()).decode()}
    return admin(sim, "POST", "say", json=body)


def _media_ids(sim):
    return list(sim.state.media)


def test_a_sent_image_is_recorded_and_downloadable_with_a_token(sim):
    _say_image(sim, "wecom:user:lisi", "lisi")  # no Gendan behind: delivery fails, media stays
    (row,) = admin(sim, "GET", "messages", params={"direction": "to_gendan"})
    assert (
        row["msgtype"] == "image" and base64.b64decode(row["payload"]["image"]["base64"]) == png()
    )
    (media_id,) = _media_ids(sim)
    token = requests.get(
        f"{sim.url}/cgi-bin/gettoken",
        params={"corpid": "wwsimulator000001", "corpsecret": "wecom-secret"},
        timeout=5,
    ).json()["access_token"]
    url = f"{sim.url}/cgi-bin/media/get"
    ok = requests.get(url, params={"access_token": token, "media_id": media_id}, timeout=5)
    assert ok.headers["Content-Type"] == "image/png" and ok.content == png()
    missing = requests.get(url, params={"access_token": token, "media_id": "nope"}, timeout=5)
    assert missing.json()["errcode"] == 40007
    bad = requests.get(url, params={"access_token": "bogus", "media_id": media_id}, timeout=5)
    assert bad.json()["errcode"] == 40001


def test_dingtalk_download_codes_become_urls_for_a_valid_token_and_robot(sim):
    _say_image(sim, "dingtalk:cid-project-a001", "wangwu")
    (code,) = _media_ids(sim)
    token = requests.get(
        f"{sim.url}/gettoken",
        params={"appkey": "dingsimulator0001", "appsecret": "dingtalk-app-secret"},
        timeout=5,
    ).json()["access_token"]
    url = f"{sim.url}/v1.0/robot/messageFiles/download"

    def download(body, token=token):
        return requests.post(
            url, json=body, headers={"x-acs-dingtalk-access-token": token}, timeout=5
        )

    answer = download({"downloadCode": code, "robotCode": "dingsimulator0001"})
    assert requests.get(answer.json()["downloadUrl"], timeout=5).content == png()
    assert download({"downloadCode": "nope", "robotCode": "dingsimulator0001"}).status_code == 400
    assert download({"downloadCode": code, "robotCode": "other"}).status_code == 400
    assert (
        download({"downloadCode": code, "robotCode": "dingsimulator0001"}, "x").status_code == 401
    )


def test_say_refuses_an_image_that_is_not_base64(sim):
    body = {"conversation": "wecom:user:lisi", "user": "lisi", "image": "***"}
    response = requests.post(f"{sim.url}/admin/say", json=body, timeout=5)
    assert response.status_code == 400
