import re

import pytest

from app.services.orders import checklist, list_stages
from models.enums import Role
from tests.factories import PASSWORD, make_confirmed_order, make_order, make_user


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, username):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": _csrf(page)}
    )


def test_pages_redirect_to_login_when_signed_out(client):
    r = client.get("/orders")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_a_static_file_never_sets_the_session_cookie_so_it_cannot_undo_a_sign_out(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    _login(client, "li")
    page = client.get("/orders")
    assert page.status_code == 200 and "session=" in page.headers.get("Set-Cookie", "")
    signed_in_cookie = client.get_cookie("session").value
    # The stylesheet, asked for with the signed-in cookie, answers without Set-Cookie...
    for path in ("/static/web/gendan.css", "/static/web/m/icon.svg", "/static/no-such-file"):
        assert "Set-Cookie" not in client.get(path).headers, path
    # ...so one still in flight when the user signs out cannot put the old session back.
    csrf_page = client.get("/orders").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', csrf_page).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get_cookie("session") is None or client.get_cookie("session").value == ""
    assert (
        "Set-Cookie"
        not in client.get(
            "/static/web/gendan.css", headers={"Cookie": f"session={signed_in_cookie}"}
        ).headers
    )
    assert client.get("/orders").status_code == 302


def test_login_with_a_wrong_password_stays_on_the_page_with_a_chinese_error(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    page = client.get("/login").get_data(as_text=True)
    r = client.post(
        "/login", data={"username": "li", "password": "wrong-pass", "csrf_token": _csrf(page)}
    )
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)


def test_a_form_post_without_the_csrf_token_is_refused(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    r = client.post("/login", data={"username": "li", "password": PASSWORD})
    assert r.status_code == 400


def test_login_does_not_redirect_off_site(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    page = client.get("/login?next=//evil.example/x").get_data(as_text=True)
    r = client.post(
        "/login?next=//evil.example/x",
        data={"username": "li", "password": PASSWORD, "csrf_token": _csrf(page)},
    )
    assert r.headers["Location"].endswith("/overview")


# Raw query strings as an attacker sends them (percent-encoding intact).
HOSTILE_NEXT = [
    "/%09/evil.example",  # a tab: browsers drop it and read //evil.example
    "/%0d%0aSet-Cookie:x=1",  # header injection (was a 500)
    "%2F%2Fevil.example",
    "//evil.example/x",
    "/%5Cevil.example",  # /\evil.example: browsers read a backslash as a slash
    "%5C%5Cevil.example",
    "/%252F%252Fevil.example",  # //evil.example once decoded again
    "https://evil.example/",
    "https:/evil.example",
    "javascript:alert(1)",
    "/ /evil.example",
    "evil.example",
    "/orders%00",
]


@pytest.mark.parametrize("raw_next", HOSTILE_NEXT)
def test_login_never_redirects_off_site_or_fails_on_a_hostile_next(client, session, raw_next):
    make_user(session, Role.tracker, username="li")
    session.commit()
    page = client.get("/login").get_data(as_text=True)
    r = client.post(
        f"/login?next={raw_next}",
        data={"username": "li", "password": PASSWORD, "csrf_token": _csrf(page)},
    )
    if raw_next == "/orders%00":  # NUL is refused at the door for every request
        assert r.status_code == 422
        return
    assert r.status_code == 302
    assert r.headers["Location"] == "/overview"


def test_login_follows_a_local_next_with_its_query(client, session):
    make_user(session, Role.tracker, username="li")
    session.commit()
    page = client.get("/login").get_data(as_text=True)
    r = client.post(
        "/login?next=/orders%3Fstatus%3Dactive%26page%3D2",
        data={"username": "li", "password": PASSWORD, "csrf_token": _csrf(page)},
    )
    assert r.headers["Location"] == "/orders?status=active&page=2"


def test_a_tracker_lists_orders_signs_moves_a_stage_and_reads_the_change_log(client, session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_order(session, liaison=tracker, review_departments=["sales"], customer="华东化工")
    session.commit()
    assert _login(client, "li").status_code == 302
    listing = client.get("/orders").get_data(as_text=True)
    assert order.code in listing and "华东化工" in listing
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    token = _csrf(page)
    client.post(f"/orders/{order.id}/review/submit", data={"csrf_token": token})
    # The tracker sits in the sales department (see factories), so signs for sales.
    r = client.post(
        f"/orders/{order.id}/review/sign",
        data={"csrf_token": token, "department": "sales", "decision": "approve"},
        follow_redirects=True,
    )
    assert "已会签" in r.get_data(as_text=True)
    start = f"/orders/{order.id}/stages/procurement/start"
    r = client.post(start, data={"csrf_token": token}, follow_redirects=True)
    assert "上一阶段「订单评审」尚未完成" in r.get_data(as_text=True)
    review = list_stages(session=session, order_id=order.id)[0]
    items = [i.id for i in checklist(session=session, stage_id=review.id)]
    session.commit()  # no read transaction left open on SQLite while the app writes
    for item_id in items:
        data = {"csrf_token": token, "done": "1"}
        client.post(f"/orders/{order.id}/checklist/{item_id}", data=data)
    client.post(f"/orders/{order.id}/stages/review/close", data={"csrf_token": token})
    r = client.post(start, data={"csrf_token": token}, follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "阶段已开始" in html
    assert "自动判定 · 依据：BOM 入库数量" in html
    r = client.post(
        f"/orders/{order.id}/stages/procurement/close",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "以下必做检查项未完成" in html
    assert "变更日志" in html and "物料采购 · 阶段：状态 未开始 → 进行中" in html


def test_an_order_page_of_another_order_is_forbidden(client, session):
    make_user(session, Role.site_engineer, username="chen")
    other = make_order(session)
    session.commit()
    _login(client, "chen")
    r = client.get(f"/orders/{other.id}")
    assert r.status_code == 403


def test_a_stage_started_early_by_a_manager_shows_why_on_the_order_page(client, session):
    make_user(session, Role.manager, username="boss")
    order = make_confirmed_order(session)
    session.commit()
    _login(client, "boss")
    token = _csrf(client.get(f"/orders/{order.id}").get_data(as_text=True))
    r = client.post(
        f"/orders/{order.id}/stages/production/start",
        data={"csrf_token": token, "reason": "长周期件先行下料"},
        follow_redirects=True,
    )
    html = r.get_data(as_text=True)
    assert "阶段已开始" in html
    assert "提前开始（上一阶段未完成）：长周期件先行下料" in html


@pytest.mark.parametrize("path", ["/login", "/ack/not-a-token", "/accept/not-a-token"])
def test_every_page_names_its_icon_so_browsers_do_not_ask_for_a_missing_favicon(client, path):
    """Without a rel=icon link a browser asks for /favicon.ico, a 404 in every first visit's
    console (the login page, and the acknowledgement and acceptance pages opened from chat)."""
    html = client.get(path).get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon is not None
    served = client.get(icon.group(1))
    assert served.status_code == 200
    assert served.mimetype == "image/svg+xml"


@pytest.mark.parametrize(
    ("role", "may_open"),
    [
        (Role.manager, True),
        (Role.buyer, True),
        (Role.warehouse, False),
        (Role.site_engineer, False),
        (Role.customer, False),
    ],
)
def test_the_pages_link_only_what_the_person_may_open(client, session, role, may_open):
    """指标 in the navigation and 成本中心 on the order page are shown to those who may read
    KPIs and the order's money, and to them only (a site engineer used to get a 403 page)."""
    from tests.stage_factories import member

    order = make_confirmed_order(session)
    person = member(session, order, role)
    session.commit()
    assert _login(client, person.username).status_code == 302
    response = client.get(f"/orders/{order.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    links = dict(
        (path, re.search(rf'href="{re.escape(path)}"', page) is not None)
        for path in ("/kpis", f"/orders/{order.id}/costs")
    )
    assert links == {"/kpis": may_open, f"/orders/{order.id}/costs": may_open}
    # What is linked opens; what is not would be refused.
    for path, linked in links.items():
        assert client.get(path).status_code == (200 if linked else 403)
