from app.config import load_config
from app.launcher import processes


def test_make_run_starts_the_scheduler_beside_the_web_server():
    procs = {p.name: p for p in processes(5000)}
    assert {"web", "scheduler"} <= set(procs) and "deliver" not in procs
    assert procs["scheduler"].argv[-2:] == ["-m", "reminders"]
    assert "127.0.0.1:5000" in procs["web"].argv


def test_the_scheduler_is_a_flask_command(app):
    r = app.test_cli_runner().invoke(args=["scheduler", "--help"])
    assert r.exit_code == 0 and "one leader per database" in r.output


def test_make_run_gives_web_and_scheduler_the_simulators_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("GENDAN_ENV", raising=False)
    monkeypatch.setenv("WECOM_SECRET", "from-the-environment")
    procs = {p.name: p for p in processes(5000, 5101)}
    for name in ("web", "scheduler"):
        config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), **procs[name].env})
        assert config["WECHAT_TOKEN"] == "wechat-token" and config["WECOM_CORP_ID"].startswith("ww")
        assert config["DINGTALK_API_BASE"] == "http://127.0.0.1:5101"
        assert "WECOM_SECRET" not in procs[name].env  # the environment wins


def test_in_production_make_run_starts_no_simulator_and_injects_nothing(monkeypatch):
    monkeypatch.setenv("GENDAN_ENV", "production")
    procs = {p.name: p for p in processes(5000, 5101)}
    assert "simulator" not in procs and procs["web"].env == procs["scheduler"].env == {}


def test_make_run_with_dingtalk_stream_starts_chat_stream_and_a_stream_simulator(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("GENDAN_ENV", raising=False)
    monkeypatch.delenv("CHAT_TRANSPORT_DINGTALK", raising=False)
    monkeypatch.delenv("CHAT_TRANSPORT_WECOM", raising=False)
    assert "chat-stream" not in {p.name for p in processes(5000, 5101)}
    monkeypatch.setenv("CHAT_TRANSPORT_DINGTALK", "stream")
    procs = {p.name: p for p in processes(5000, 5101)}
    assert procs["chat-stream"].argv[-3:] == ["--app", "wsgi", "chat-stream"]
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), **procs["chat-stream"].env})
    assert config["DINGTALK_OPENAPI_BASE"] == "http://127.0.0.1:5101"
    assert procs["simulator"].argv[-2:] == ["--dingtalk-transport", "stream"]


def test_make_run_with_the_wecom_long_connection_starts_chat_stream_and_the_gateway(
    monkeypatch, tmp_path
):
    monkeypatch.delenv("GENDAN_ENV", raising=False)
    monkeypatch.delenv("CHAT_TRANSPORT_DINGTALK", raising=False)
    monkeypatch.setenv("CHAT_TRANSPORT_WECOM", "long_connection")
    procs = {p.name: p for p in processes(5000, 5101)}
    assert procs["chat-stream"].argv[-3:] == ["--app", "wsgi", "chat-stream"]
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), **procs["chat-stream"].env})
    assert config["WECOM_WS_URL"] == "ws://127.0.0.1:5102"
    assert config["WECOM_BOT_ID"] and config["WECOM_BOT_SECRET"]
    argv = procs["simulator"].argv
    assert argv[-4:] == ["--wecom-transport", "long_connection", "--wecom-ws-port", "5102"]


def test_the_wecom_long_connection_defaults_to_the_official_address(tmp_path):
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path)})
    assert config["CHAT_TRANSPORT_WECOM"] == "webhook"
    assert config["WECOM_WS_URL"] == "wss://openws.work.weixin.qq.com"


def test_chat_stream_needs_the_robots_credentials_for_the_long_connection(app):
    saved = dict(app.config)
    app.config.update(CHAT_TRANSPORT_WECOM="long_connection", WECOM_BOT_ID="", WECOM_BOT_SECRET="")
    try:
        r = app.test_cli_runner().invoke(args=["chat-stream"])
    finally:
        app.config.update(saved)
    assert r.exit_code != 0 and "WECOM_BOT_ID" in r.output


def test_chat_stream_refuses_to_run_in_webhook_mode(app):
    r = app.test_cli_runner().invoke(args=["chat-stream"])
    assert r.exit_code != 0 and "CHAT_TRANSPORT_DINGTALK 不是 stream" in r.output
