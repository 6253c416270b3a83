from sqlmodel import select

from app.launcher import banner, processes
from models.chat import ChatGroup, ChatIdentity
from models.outbox import Outbox
from tests.chat import admin
from tests.factories import count, make_order, make_user


def test_bind_group_stores_the_robot_sealed_and_greets_the_group(chat_app, session, sim):
    make_order(session, code="GD-CLI-1")
    session.commit()
    runner = chat_app.test_cli_runner()
    r = runner.invoke(
        args=[
            "bind-group",
            "--platform",
            "dingtalk",
            "--name",
            "现场群",
            "--webhook",
            "https://oapi.dingtalk.com/robot/send?access_token=dingtalk-robot-token-1",
            "--secret",
            "SECdingtalk-robot-secret-1",
            "--conversation-id",
            "cid-project-a001",
            "--order",
            "gd-cli-1",
        ]
    )
    assert r.exit_code == 0, r.output
    assert "dingtalk-robot-token-1" not in r.output and "din…en-1" in r.output
    assert count(session, Outbox) == 1
    r = runner.invoke(args=["deliver"])
    assert r.exit_code == 0 and "已发送 1" in r.output
    (message,) = admin(sim, "GET", "messages", params={"api": "robot/send"})
    assert "GD-CLI-1" in message["payload"]["markdown"]["text"]


def test_bind_group_refuses_an_unknown_order_and_stores_nothing(chat_app, session):
    r = chat_app.test_cli_runner().invoke(
        args=[
            "bind-group",
            "--platform",
            "wecom",
            "--name",
            "x",
            "--webhook",
            "k",
            "--order",
            "NO-1",
        ]
    )
    assert r.exit_code != 0 and "订单 NO-1 不存在" in r.output
    assert count(session, ChatGroup) == 0


def test_bind_chat_binds_an_account_to_a_user(chat_app, session):
    make_user(session, username="chen")
    session.commit()
    runner = chat_app.test_cli_runner()
    r = runner.invoke(args=["bind-chat", "chen", "--platform", "wecom", "--id", "chenxc"])
    assert r.exit_code == 0, r.output
    (identity,) = session.exec(select(ChatIdentity)).all()
    session.commit()
    assert (identity.platform, identity.external_id, identity.bound_via) == (
        "wecom",
        "chenxc",
        "admin",
    )
    r = runner.invoke(args=["bind-chat", "ghost", "--platform", "wecom", "--id", "x"])
    assert r.exit_code != 0 and "不存在" in r.output


def test_demo_data_binds_the_simulator_people_and_two_groups(chat_app, session):
    assert chat_app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    session.commit()
    ids = {(i.platform, i.external_id) for i in session.exec(select(ChatIdentity))}
    assert {("wechat", "o-lisi"), ("wecom", "lisi"), ("dingtalk", "lisi")} <= ids
    groups = session.exec(select(ChatGroup).order_by(ChatGroup.id)).all()
    assert [(g.platform, g.conversation_id) for g in groups] == [
        ("wecom", None),
        ("dingtalk", "cid-project-a001"),
    ]
    assert count(session, Outbox, Outbox.kind == "group_bound") == 2


def test_make_run_starts_the_simulator_and_the_scheduler_that_delivers(monkeypatch):
    monkeypatch.setenv("GENDAN_ENV", "development")
    names = [p.name for p in processes(5000, 5001)]
    assert names == ["web", "scheduler", "simulator"]
    simulator = processes(5000, 5101)[-1].argv
    assert "5101" in simulator and "http://127.0.0.1:5000" in simulator
    assert "http://127.0.0.1:5101" in banner(5000, 5101)
    monkeypatch.setenv("GENDAN_ENV", "production")
    assert [p.name for p in processes(5000)] == ["web", "scheduler"]
