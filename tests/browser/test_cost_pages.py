import pytest

from tests.browser.conftest import fits_smallest_phone, login, shot

# Dates and times of day matter here: `make test-clock` runs these again around midnight.
pytestmark = pytest.mark.clock


def _order_url(page, base: str, code: str) -> str:
    page.goto(f"{base}/orders")
    page.get_by_text(code).click()
    page.get_by_role("heading", name="订单评审").wait_for()
    return page.url.split("?")[0]


def test_the_costs_page_draws_budget_against_actual_on_a_phone(phone, live_server):
    login(phone, live_server, "li.gendan")
    phone.wait_for_url(f"{live_server}/overview")
    url = _order_url(phone, live_server, "GD-DEMO-03")
    phone.goto(f"{url}/costs")
    phone.locator("#cost-chart canvas").wait_for()
    assert phone.get_by_text("超预算：材料").is_visible()
    assert phone.get_by_role("heading", name="回款节点").is_visible()
    assert phone.locator(".payments li").count() == 3
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the costs page must not scroll sideways on a phone"
    shot(phone, "costs-phone")
    assert fits_smallest_phone(phone), "the chart scrolls inside its box, never the page"


def test_the_retro_page_explains_it_waits_for_acceptance(phone, live_server):
    login(phone, live_server, "li.gendan")
    phone.wait_for_url(f"{live_server}/overview")
    url = _order_url(phone, live_server, "GD-DEMO-03")
    phone.goto(f"{url}/retro")
    assert phone.get_by_text("订单尚未验收，验收后才能复盘").is_visible()
    shot(phone, "retro-phone")
