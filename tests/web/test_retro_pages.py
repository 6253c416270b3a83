import re

from models.enums import Role
from models.people import User
from models.retro import RetroFeedback, RetroImprovement
from tests.factories import bearer, count, make_user
from tests.services.field.test_acceptance import Site
from tests.web.test_pages import _csrf, _login


def _accepted(session):
    site = Site(session).ready()
    site.accept(satisfaction=5)
    username = session.get(User, site.order.liaison_id).username
    session.commit()
    return site, username


def test_retro_page_before_acceptance_says_why_in_chinese(client, session):
    site = Site(session).ready()
    username = session.get(User, site.order.liaison_id).username
    session.commit()
    _login(client, username)
    r = client.get(f"/orders/{site.order.id}/retro")
    assert r.status_code == 409 and "订单尚未验收，验收后才能复盘" in r.get_data(as_text=True)


def test_retro_page_takes_feedback_improvements_and_the_conclusion(client, session):
    site, username = _accepted(session)
    _login(client, username)
    url = f"/orders/{site.order.id}/retro"
    page = client.get(url).get_data(as_text=True)
    assert "供应商表现" in page and "延误：按阶段" in page and "5 / 5" in page
    token = _csrf(page)
    client.post(
        f"{url}/feedback",
        data={"csrf_token": token, "source": "tracker", "content": "图纸版本未同步导致返工"},
    )
    client.post(
        f"{url}/improvements",
        data={
            "csrf_token": token,
            "title": "开工前核对图纸版本",
            "stage_kind": "production",
            "required": "1",
        },
    )
    client.post(f"{url}/draft", data={"csrf_token": token, "conclusion": "整体顺利"})
    page = client.get(url).get_data(as_text=True)
    assert "图纸版本未同步导致返工" in page and "开工前核对图纸版本" in page and "整体顺利" in page
    assert "草稿保存于" in page
    client.post(f"{url}/feedback", data={"csrf_token": token, "source": "tracker", "content": ""})
    assert count(session, RetroFeedback) == 1 and count(session, RetroImprovement) == 1


def test_retro_api_and_an_admin_adopts_an_improvement(client, session):
    site, _ = _accepted(session)
    h = bearer(session.get(User, site.order.liaison_id))
    admin = bearer(make_user(session, Role.admin))
    session.commit()
    url = f"/api/orders/{site.order.id}/retro"
    assert client.get(url, headers=h).get_json()["saved"] is False
    r = client.post(
        f"{url}/improvements",
        json={"title": "到货前三天确认", "stage_kind": "procurement"},
        headers=h,
    )
    assert r.status_code == 201
    iid = r.get_json()["id"]
    assert client.post(f"{url}/improvements/{iid}/adopt", headers=h).status_code == 403
    r = client.post(f"{url}/improvements/{iid}/adopt", headers=admin)
    assert r.status_code == 200 and r.get_json()["adopted"] is True
    templates = client.get("/api/checklist-templates?stage_kind=procurement", headers=admin)
    assert "到货前三天确认" in [t["title"] for t in templates.get_json()["items"]]
    r = client.post(f"{url}/feedback", json={"source": "nobody", "content": "x"}, headers=h)
    assert r.status_code == 422
    r = client.post(f"{url}/draft", json={"conclusion": "ok"}, headers=h)
    assert r.status_code == 200 and r.get_json()["saved"] is True
    assert re.match(r"\d{4}-", r.get_json()["draft"]["delivery"]["accepted_on"])
    assert client.get("/api/orders/999999/retro", headers=admin).status_code == 404


def test_the_order_page_links_the_retro_once_the_order_is_accepted(client, session):
    site = Site(session).ready()
    username = session.get(User, site.order.liaison_id).username
    session.commit()
    _login(client, username)
    order_url, retro_url = f"/orders/{site.order.id}", f"/orders/{site.order.id}/retro"
    page = client.get(order_url).get_data(as_text=True)
    assert f'href="{retro_url}"' not in page and "项目复盘（验收后可用）" in page
    site.accept(satisfaction=5)
    session.commit()
    page = client.get(order_url).get_data(as_text=True)
    assert f'href="{retro_url}"' in page and "验收后可用" not in page
    assert client.get(retro_url).status_code == 200
