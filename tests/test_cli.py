from sqlmodel import select

from app.services.people import user_for_token
from models.people import User
from tests.factories import SECRET


def test_create_user_and_print_a_token_that_works(app, session):
    runner = app.test_cli_runner()
    r = runner.invoke(
        args=[
            "create-user",
            "wang",
            "--role",
            "manager",
            "--role",
            "tracker",
            "--password",
            "long-password-1",
            "--department",
            "management",
        ]
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(args=["token", "wang"])
    assert r.exit_code == 0, r.output
    session.commit()
    user = user_for_token(session=session, token=r.output.strip(), secret=SECRET, ttl_hours=24)
    assert user.username == "wang"


def test_create_user_refuses_bad_input_with_a_clear_message(app, session):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["create-user", "x", "--role", "tracker", "--password", "short"])
    assert r.exit_code != 0 and "输入有误" in r.output
    r = runner.invoke(args=["create-user", "x", "--role", "pilot"])
    assert r.exit_code != 0
    r = runner.invoke(args=["create-user", "x", "--role", "tracker", "--department", "nope"])
    assert r.exit_code != 0 and "部门代码 nope 不存在" in r.output
    session.commit()
    assert session.exec(select(User).where(User.username == "x")).first() is None


def test_token_for_an_unknown_user_fails(app):
    r = app.test_cli_runner().invoke(args=["token", "ghost"])
    assert r.exit_code != 0 and "不存在" in r.output


def test_demo_data_loads_once_with_orders_in_several_stages(app, client):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "跳过" in again.output
    token = client.post(
        "/api/auth/token", json={"username": "wang.zong", "password": "gendan2026"}
    ).get_json()["token"]
    orders = client.get("/api/orders", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {o["status"] for o in orders["items"]} >= {"draft", "in_review", "in_progress"}


def test_demo_data_has_yesterdays_reports_and_site_issues_in_every_state(app, client):
    assert app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"]).exit_code == 0
    token = client.post(
        "/api/auth/token", json={"username": "li.gendan", "password": "gendan2026"}
    ).get_json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    orders = {o["code"]: o["id"] for o in client.get("/api/orders", headers=h).get_json()["items"]}
    for code in ("GD-DEMO-03", "GD-DEMO-04"):
        reports = client.get(f"/api/orders/{orders[code]}/daily-reports", headers=h).get_json()
        assert len(reports["items"]) == 2
    issues = client.get(f"/api/issues?order_id={orders['GD-DEMO-04']}", headers=h).get_json()
    assert {i["state"] for i in issues["items"]} == {"open", "in_progress", "resolved", "verified"}
    open_high = [i for i in issues["items"] if i["risk"] == "high" and i["state"] == "open"]
    assert len(open_high) == 1 and open_high[0]["overdue"]
