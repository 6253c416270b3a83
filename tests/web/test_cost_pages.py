import re
from decimal import Decimal

from models.costs import OrderBudget
from models.enums import Role
from models.people import User
from tests.factories import count, make_procuring_order, make_user
from tests.web.test_pages import _csrf, _login

TERMS = "30%预付，60%发货后，10%质保金验收后一年"


def _order(session):
    tracker = make_user(session, Role.tracker, username="li")
    order = make_procuring_order(session, liaison=tracker, payment_terms=TERMS)
    session.commit()
    return order


def test_the_costs_page_sets_a_budget_enters_a_cost_and_plans_payments(client, session):
    order = _order(session)
    _login(client, "li")
    url = f"/orders/{order.id}/costs"
    page = client.get(url).get_data(as_text=True)
    assert "预算与实际" in page and "echarts.min.js" in page and 'name="viewport"' in page
    token = _csrf(page)
    r = client.post(f"{url}/budget", data={"csrf_token": token, "other": "10", "labour": ""})
    assert r.status_code == 302 and r.headers["Location"].endswith(url)
    client.post(
        f"{url}/entries",
        data={"csrf_token": token, "category": "other", "amount": "12.5", "description": "差旅"},
    )
    page = client.get(url).get_data(as_text=True)
    assert "费用已登记" in page and "超预算：其他" in page and "12.50" in page
    client.post(
        f"/orders/{order.id}/payments/generate",
        data={"csrf_token": token, "contract_amount": "1000"},
    )
    page = client.get(url).get_data(as_text=True)
    assert "回款节点已生成" in page and "300.00" in page
    mid = re.search(r"/payments/(\d+)/receipts", page).group(1)
    client.post(
        f"/orders/{order.id}/payments/{mid}/receipts", data={"csrf_token": token, "amount": "300"}
    )
    assert "回款已登记" in client.get(url).get_data(as_text=True)
    client.post(
        f"/orders/{order.id}/payments/{mid}/edit",
        data={"csrf_token": token, "name": "预付款", "due_date": "2030-02-01", "note": "已开票"},
    )
    page = client.get(url).get_data(as_text=True)
    assert "回款节点已修改" in page and "2030-02-01" in page and "已开票" in page


def test_bad_form_input_is_shown_in_chinese_and_nothing_stored(client, session):
    order = _order(session)
    _login(client, "li")
    url = f"/orders/{order.id}/costs"
    token = _csrf(client.get(url).get_data(as_text=True))
    client.post(f"{url}/budget", data={"csrf_token": token, "material": "-3"})
    page = client.get(url).get_data(as_text=True)
    assert "material" in page or "数值过小" in page
    assert count(session, OrderBudget) == 0
    client.post(
        f"/orders/{order.id}/payments/generate", data={"csrf_token": token, "contract_amount": "x"}
    )
    assert "金额应为不小于 0 的数字" in client.get(url).get_data(as_text=True)


def test_the_costs_page_of_an_order_one_cannot_see_is_refused(client, session):
    order = _order(session)
    make_user(session, Role.tracker, username="wang")
    session.commit()
    _login(client, "wang")
    assert client.get(f"/orders/{order.id}/costs").status_code == 403
    assert client.get("/orders/999999/costs").status_code == 404
    assert session.get(User, order.liaison_id) is not None
    assert Decimal(1)
