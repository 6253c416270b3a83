import pytest

from app.config import ConfigError, load_config


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"GENDAN_ENV": "production", "GENDAN_INSTANCE_DIR": str(tmp_path)})


def test_production_refuses_a_short_secret_key(tmp_path):
    with pytest.raises(ConfigError):
        load_config(
            {
                "GENDAN_ENV": "production",
                "SECRET_KEY": "short",
                "GENDAN_INSTANCE_DIR": str(tmp_path),
            }
        )


def test_development_generates_one_key_and_keeps_it(tmp_path):
    env = {"GENDAN_INSTANCE_DIR": str(tmp_path)}
    first, second = load_config(env), load_config(env)
    assert len(first["SECRET_KEY"]) >= 32 and first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_safe_and_environment_wins(tmp_path):
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path)})
    assert config["TIMEZONE"] == "Asia/Shanghai"
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'gendan.db'}"
    assert config["UPLOAD_DIR"] == str(tmp_path / "uploads")
    config = load_config(
        {
            "GENDAN_INSTANCE_DIR": str(tmp_path),
            "TIMEZONE": "Asia/Urumqi",
            "DATABASE_URL": "postgresql://x@127.0.0.1/db",
        }
    )
    assert config["TIMEZONE"] == "Asia/Urumqi"
    assert config["DATABASE_URL"].startswith("postgresql://")


@pytest.mark.parametrize(
    "env",
    [
        {"TIMEZONE": "Mars/Olympus"},
        {"GENDAN_ENV": "staging"},
        {"TOKEN_TTL_HOURS": "a week"},
        {"DAILY_REPORT_ROLES": "site_engineer,welder"},
        {"ISSUE_LIMIT_HOURS": "high=2,medium=24"},
        {"ISSUE_LIMIT_HOURS": "high=0,medium=24,low=72"},
        {"ISSUE_LIMIT_HOURS": "high=two,medium=24,low=72"},
        {"ISSUE_LIMIT_HOURS": "urgent=1,high=2,medium=24,low=72"},
        {"DOCUMENT_MAX_MB": "big"},
    ],
)
def test_bad_settings_are_startup_errors(tmp_path, env):
    with pytest.raises(ConfigError):
        load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), **env})


def test_field_work_settings_have_defaults_and_can_be_changed(tmp_path):
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path)})
    assert config["DAILY_REPORT_ROLES"] == "site_engineer,production,tracker"
    assert config["ISSUE_LIMIT_HOURS"] == {"high": 2, "medium": 24, "low": 72}
    assert config["ACCEPTANCE_LINK_HOURS"] == 168
    config = load_config(
        {
            "GENDAN_INSTANCE_DIR": str(tmp_path),
            "DAILY_REPORT_ROLES": " site_engineer , quality ",
            "ISSUE_LIMIT_HOURS": "low=48, high=0.5, medium=8",
        }
    )
    assert config["DAILY_REPORT_ROLES"] == "site_engineer,quality"
    assert config["ISSUE_LIMIT_HOURS"] == {"high": 0.5, "medium": 8, "low": 48}


def test_chat_apis_default_to_the_local_simulator_outside_production(tmp_path):
    # The simulator's credentials come from `make run` (tests/test_launcher.py), not from here.
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path)})
    assert config["WECHAT_TOKEN"] == config["WECOM_CORP_ID"] == ""
    assert config["DINGTALK_API_BASE"] == "http://127.0.0.1:5001"
    moved = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), "SIM_PORT": "5101"})
    assert moved["WECHAT_API_BASE"] == "http://127.0.0.1:5101"


def test_in_production_chat_credentials_have_no_default_and_the_environment_wins(tmp_path):
    env = {
        "GENDAN_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "GENDAN_INSTANCE_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql://gendan@127.0.0.1/gendan",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    config = load_config(env)
    assert config["WECHAT_TOKEN"] == config["DINGTALK_APP_SECRET"] == config["WECOM_SECRET"] == ""
    assert config["WECHAT_API_BASE"] == "https://api.weixin.qq.com"
    config = load_config({**env, "WECHAT_TOKEN": "t0ken", "DINGTALK_API_BASE": "http://x/"})
    assert config["WECHAT_TOKEN"] == "t0ken" and config["DINGTALK_API_BASE"] == "http://x"


def test_a_malformed_encoding_aes_key_is_a_startup_error(tmp_path):
    with pytest.raises(ConfigError, match="WECOM_AES_KEY"):
        load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), "WECOM_AES_KEY": "too-short"})


def test_kpi_targets_default_to_95_percent_2_hours_and_4_5_and_can_be_changed(tmp_path):
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path)})
    assert config["KPI_TARGETS"] == {
        "on_time": 95,
        "response_hours": 2,
        "resolution_hours": 24,
        "satisfaction": 4.5,
    }
    config = load_config(
        {"GENDAN_INSTANCE_DIR": str(tmp_path), "KPI_TARGETS": "satisfaction=4.8, on_time=90"}
    )
    assert config["KPI_TARGETS"]["satisfaction"] == 4.8
    assert config["KPI_TARGETS"]["on_time"] == 90
    assert config["KPI_TARGETS"]["response_hours"] == 2


@pytest.mark.parametrize(
    "raw", ["on_time=101", "satisfaction=6", "speed=3", "on_time=-1", "on_time", "response_hours=x"]
)
def test_a_bad_kpi_target_refuses_to_start(tmp_path, raw):
    with pytest.raises(ConfigError, match="KPI_TARGETS"):
        load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), "KPI_TARGETS": raw})
