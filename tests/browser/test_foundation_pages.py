from tests.browser.conftest import login, shot


def test_a_tracker_logs_in_on_a_phone_and_reads_the_order_list(phone, live_server):
    login(phone, live_server, "li.gendan")
    phone.wait_for_url(f"{live_server}/overview")
    phone.goto(f"{live_server}/orders")
    assert phone.locator("li.card", has_text="GD-DEMO").count() == 4
    assert phone.get_by_text("GD-DEMO-03").is_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the order list must not scroll sideways on a phone"
    shot(phone, "orders-phone")


def test_the_order_page_shows_review_stages_and_change_log(phone, live_server):
    login(phone, live_server, "li.gendan")
    phone.get_by_text("GD-DEMO-02").click()
    phone.get_by_role("heading", name="订单评审").wait_for()
    assert phone.get_by_text("变更日志").is_visible()
    assert phone.locator(".signoffs li").count() == 5
    shot(phone, "order-phone")


def test_a_wrong_password_shows_the_chinese_error(phone, live_server):
    login(phone, live_server, "li.gendan", password="not-the-password")
    assert phone.get_by_text("用户名或密码错误").is_visible()
