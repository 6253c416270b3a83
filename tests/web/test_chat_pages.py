import re

from sqlmodel import select

from models.chat import BindingCode, ChatGroup, ChatGroupOrder
from models.enums import Role
from tests.factories import count, make_order, make_user
from tests.web.test_pages import _csrf, _login


def test_a_user_gets_a_binding_code_on_the_chat_page(client, session):
    make_user(session, Role.warehouse, username="zhou")
    session.commit()
    _login(client, "zhou")
    page = client.get("/chat").get_data(as_text=True)
    assert "获取绑定码" in page and "还没有绑定聊天账号" in page and "绑定新的群机器人" not in page
    r = client.post("/chat/binding-code", data={"csrf_token": _csrf(page)})
    html = r.get_data(as_text=True)
    code = re.search(r"绑定 (\d{6})", html).group(1)
    assert r.status_code == 200 and f"在聊天中发送：<strong>绑定 {code}" in html
    assert count(session, BindingCode) == 1


def test_a_tracker_binds_a_group_robot_and_an_order_on_the_pages(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_order(session, tracker, code="GD-WEB-1")
    session.commit()
    _login(client, "li")
    page = client.get("/chat").get_data(as_text=True)
    r = client.post(
        "/chat/groups",
        data={
            "csrf_token": _csrf(page),
            "platform": "dingtalk",
            "name": "钉钉项目群",
            "webhook": "dingtalk-robot-token-1",
            "secret": "SECdingtalk-robot-secret-1",
            "orders": "",
        },
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "已绑定群「钉钉项目群」" in html and "din…en-1" in html
    assert "dingtalk-robot-token-1" not in html and "SECdingtalk-robot-secret-1" not in html
    order_page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "还没有关联聊天群" in order_page and "关联到本订单" in order_page
    group_id = session.exec(select(ChatGroup.id)).one()
    session.commit()
    r = client.post(
        f"/orders/{order.id}/chat-groups",
        data={"csrf_token": _csrf(order_page), "group_id": str(group_id)},
        follow_redirects=True,
    )
    assert "已关联聊天群" in r.get_data(as_text=True)
    assert count(session, ChatGroupOrder) == 1


def test_a_bad_group_form_shows_the_reason_and_stores_nothing(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    _login(client, "li")
    page = client.get("/chat").get_data(as_text=True)
    r = client.post(
        "/chat/groups",
        data={"csrf_token": _csrf(page), "platform": "dingtalk", "name": "x", "webhook": "a b"},
        follow_redirects=True,
    )
    assert "格式不正确" in r.get_data(as_text=True)
    assert count(session, ChatGroup) == 0
