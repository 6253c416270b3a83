"""The order page shows what the review signed against the order now, and change orders."""

import re
from datetime import timedelta

from app.services.orders import revise_order
from models.enums import Role
from models.orders import OrderUpdate
from models.people import User
from tests.factories import PASSWORD, act, make_confirmed_order, make_user


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, username):
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page)}
    )


def test_a_manager_approves_a_change_order_on_the_page_and_the_diff_is_shown(client, session):
    order = make_confirmed_order(session, tech_params={"材质": "Q235"})
    make_user(session, Role.manager, username="boss")
    tracker = act(session, session.get(User, order.liaison_id))
    _, change = revise_order(
        session=session,
        actor=tracker,
        order_id=order.id,
        data=OrderUpdate(tech_params={"材质": "Q345R"}),
    )
    session.commit()
    _login(client, "boss")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "变更单" in page and "待审批" in page and "材质：Q345R" in page
    url = f"/orders/{order.id}/change-orders/{change.id}/approve"
    r = client.post(url, data={"csrf_token": _csrf(page)}, follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "变更单已批准" in page and "已批准" in page
    assert "会签后评审内容有变更" in page and "材质：Q235" in page


def test_rejecting_on_the_page_without_a_reason_flashes_the_chinese_error(client, session):
    order = make_confirmed_order(session)
    make_user(session, Role.manager, username="boss")
    _, change = revise_order(
        session=session,
        actor=act(session, session.get(User, order.liaison_id)),
        order_id=order.id,
        data=OrderUpdate(delivery_date=order.delivery_date + timedelta(days=1)),
    )
    session.commit()
    _login(client, "boss")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    url = f"/orders/{order.id}/change-orders/{change.id}/reject"
    r = client.post(url, data={"csrf_token": _csrf(page)}, follow_redirects=True)
    assert "驳回变更单时必须填写原因" in r.get_data(as_text=True)
