"""The one settings object: typed fields read from the environment, refusals that name the
variable, production's refusals as validators, services reading the object create_app built,
and README's table generated from the fields."""

from __future__ import annotations

import logging
from datetime import time

import pytest

from app.cli.config_doc import README, documented_table, with_table
from app.config import load_config, settings_table
from app.services.core import SQLITE_REFUSED, ConfigError, Settings, configure, settings
from tests.factories import SECRET

SAFE = {
    "GENDAN_ENV": "production",
    "DATABASE_URL": "postgresql://gendan:pw@127.0.0.1/gendan",
    "SECRET_KEY": "k" * 40,
}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PORT": "abc"}, "PORT"),
        ({"SIM_PORT": "5001x"}, "SIM_PORT"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"TIMEZONE": ""}, "TIMEZONE"),
        ({"TOKEN_TTL_HOURS": "-1"}, "TOKEN_TTL_HOURS"),
        ({"PHOTO_MAX_MB": "0"}, "PHOTO_MAX_MB"),
        ({"MAX_UPLOAD_MB": "-20"}, "MAX_UPLOAD_MB"),
        ({"PROXY_HOPS": "-1"}, "PROXY_HOPS"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL"),
        ({"PASSWORD_HASH_PROFILE": "fast"}, "PASSWORD_HASH_PROFILE"),
        ({"CHAT_RATE_LIMIT": "lots"}, "CHAT_RATE_LIMIT"),
        ({"QUIET_HOURS": "22:00"}, "QUIET_HOURS"),
        ({"DINGTALK_AES_KEY": "short"}, "DINGTALK_AES_KEY"),
        ({"GENDAN_ENV": "staging"}, "GENDAN_ENV"),
    ],
)
def test_an_invalid_value_is_refused_naming_its_variable(tmp_path, env, named):
    with pytest.raises(ConfigError) as refused:
        Settings.load({"GENDAN_INSTANCE_DIR": str(tmp_path), **env})
    assert len(refused.value.problems) == 1 and refused.value.problems[0].startswith(named)


def test_every_refusal_is_reported_at_once():
    with pytest.raises(ConfigError) as refused:
        Settings.read({"PORT": "abc", "RULE_SWEEP_MINUTES": "0"})
    assert [p.split(":")[0] for p in refused.value.problems] == ["PORT", "RULE_SWEEP_MINUTES"]


def test_a_refused_secret_is_not_repeated_in_the_message(tmp_path):
    with pytest.raises(ConfigError) as refused:
        Settings.load({**SAFE, "SECRET_KEY": "hunter2-is-short", "UPLOAD_DIR": str(tmp_path)})
    assert "SECRET_KEY" in str(refused.value) and "hunter2" not in str(refused.value)


def test_a_bad_value_stops_create_app_with_a_log_line_naming_the_variable(
    monkeypatch, caplog, upload_dir
):
    from app import create_app

    before = settings()
    monkeypatch.setenv("SCHEDULER_POLL_SECONDS", "often")
    with caplog.at_level(logging.CRITICAL, logger="gendan"), pytest.raises(ConfigError):
        create_app({"SECRET_KEY": SECRET, "UPLOAD_DIR": str(upload_dir)})
    (record,) = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert "SCHEDULER_POLL_SECONDS" in record.getMessage() and "'often'" in record.getMessage()
    assert settings() is before  # the services' settings were not touched


def test_fields_are_typed_and_keep_todays_defaults():
    defaults = Settings.read({})
    assert defaults.port == 5000 and defaults.token_ttl_hours == 168
    assert defaults.standup_time == time(8, 45) and defaults.standup_days == (0, 1, 2, 3, 4, 5)
    assert defaults.quiet_hours == (time(22), time(7))
    assert defaults.report_roles == ("site_engineer", "production", "tracker")
    assert defaults.photo_max_bytes == 15 * 1024 * 1024 and defaults.photo_max_pixels == 20_000_000
    assert defaults.delay_warn_probability == 0.6 and defaults.secret_key == ""


def test_an_empty_variable_means_the_default_unless_empty_is_a_value(tmp_path):
    loaded = Settings.load(
        {
            "GENDAN_INSTANCE_DIR": str(tmp_path),
            "PORT": "",
            "QUIET_HOURS": "",
            "DAILY_REPORT_ROLES": "",
        }
    )
    assert loaded.port == 5000 and loaded.quiet_hours == (time(22), time(7))
    assert loaded.daily_report_roles == ()


def test_the_environment_mapping_replaces_the_process_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PORT", "6000")
    assert Settings.load({"GENDAN_INSTANCE_DIR": str(tmp_path)}).port == 5000
    assert Settings.load().port == 6000


def test_production_accepts_safe_values_and_creates_the_upload_dir(tmp_path):
    upload = tmp_path / "shared" / "uploads"
    loaded = Settings.load({**SAFE, "UPLOAD_DIR": str(upload)})
    assert upload.is_dir() and loaded.upload_dir == str(upload)
    assert loaded.wechat_api_base == "https://api.weixin.qq.com"


def test_production_refuses_every_unsafe_value_as_a_validator():
    with pytest.raises(ConfigError) as refused:
        Settings.read({"GENDAN_ENV": "production", "DATABASE_URL": "sqlite:////tmp/x.db"})
    problems = refused.value.problems
    assert problems[0] == SQLITE_REFUSED
    assert problems[1].startswith("SECRET_KEY") and problems[2].startswith("UPLOAD_DIR")


def test_services_read_the_object_create_app_built(upload_dir, tmp_path):
    from app import create_app

    before = settings()
    try:
        app = create_app(
            {
                "SECRET_KEY": SECRET,
                "UPLOAD_DIR": str(upload_dir),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                "PUBLIC_BASE_URL": "http://gendan.example/",
                "TESTING": True,
            }
        )
        current = settings()
        assert current.public_base_url == app.config["PUBLIC_BASE_URL"] == "http://gendan.example"
        assert current.secret_key == app.config["SECRET_KEY"] and app.config["TESTING"] is True
        assert current.upload_dir == app.config["UPLOAD_DIR"] == str(upload_dir)
    finally:
        configure(before)


def test_an_invalid_override_is_refused_like_the_environment(upload_dir):
    from app import create_app

    with pytest.raises(ConfigError, match="TOKEN_TTL_HOURS"):
        create_app({"SECRET_KEY": SECRET, "UPLOAD_DIR": str(upload_dir), "TOKEN_TTL_HOURS": 0})


def test_configure_replaces_fields_by_name_and_refuses_unknown_names():
    before = settings()
    try:
        assert configure(acceptance_link_hours=1).acceptance_link_hours == 1
        with pytest.raises(TypeError, match="photo_max_bytes"):
            configure(photo_max_bytes=1)
    finally:
        configure(before)
    assert settings().acceptance_link_hours == before.acceptance_link_hours


def test_the_flask_config_keeps_todays_keys(tmp_path):
    config = load_config({"GENDAN_INSTANCE_DIR": str(tmp_path), "MAX_UPLOAD_MB": "5"})
    assert config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024
    assert config["INSTANCE_DIR"] == str(tmp_path) and config["SESSION_COOKIE_SECURE"] is False
    assert config["REVIEW_DEPARTMENTS"] == "sales,engineering,production,procurement,quality"
    assert config["OUTBOX_DRAIN_SECONDS"] == 2 and config["PROXY_HOPS"] == 0


def test_every_setting_is_documented():
    undocumented = [n for n, f in Settings.model_fields.items() if not f.description]
    assert undocumented == []


def test_the_readme_table_is_the_one_generated_from_the_fields():
    table = settings_table()
    assert documented_table(README.read_text()) == table, (
        "README.md is out of date: run `flask --app wsgi config-doc --write`"
    )
    for name in Settings.model_fields:
        assert f"| `{name.upper()}` |" in table


def test_config_doc_prints_the_table_and_writes_it_between_the_markers(app):
    r = app.test_cli_runner().invoke(args=["config-doc"])
    assert r.exit_code == 0 and r.output == settings_table()
    text = README.read_text()
    stale = with_table(text, "| stale |\n")
    assert documented_table(stale) == "| stale |\n"
    assert with_table(stale, settings_table()) == text
