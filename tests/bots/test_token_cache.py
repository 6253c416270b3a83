"""Platform access tokens live in the database: every process uses the one token fetched."""

from datetime import timedelta

from app import create_app
from app.services.chat import DatabaseKeyValueStore
from bots.simulator.seed import gendan_env
from models.base import utcnow
from models.messages import OutboundMessage
from tests.bots.conftest import calls


def _second_instance(db, sim, tmp_path):
    """Another process's app: its own engine, runtime and SDK clients, the same database."""
    return create_app(
        {
            "DATABASE_URL": db.url,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "INSTANCE_DIR": str(tmp_path),
            **gendan_env(sim.url),
        }
    )


def test_two_app_instances_fetch_one_token_per_platform(chat_app, db, sim, tmp_path):
    other = _second_instance(db, sim, tmp_path)
    first, second = chat_app.extensions["gendan.chat"], other.extensions["gendan.chat"]
    assert first.wechat_client.access_token == second.wechat_client.access_token
    assert first.wecom_client.access_token == second.wecom_client.access_token
    assert first.dingtalk_client.access_token == second.dingtalk_client.access_token
    assert len(calls(sim, "/cgi-bin/stable_token")) == 1
    assert len(calls(sim, "/cgi-bin/gettoken")) == 1
    assert len(calls(sim, "/gettoken")) == 1
    for runtime in (first, second):
        result = runtime.wechat_custom.send("o-lisi", OutboundMessage.plain("你好"))
        assert result.ok, result
    assert len(calls(sim, "/cgi-bin/stable_token")) == 1
    other.extensions["gendan.db"].dispose()


def test_a_token_refused_by_the_platform_is_fetched_again_once_for_everyone(
    chat_app, db, sim, tmp_path
):
    runtime = chat_app.extensions["gendan.chat"]
    assert runtime.wecom_app.send("lisi", OutboundMessage.plain("一")).ok
    sim.state.expire_tokens()
    other = _second_instance(db, sim, tmp_path).extensions["gendan.chat"]
    assert other.wecom_app.send("lisi", OutboundMessage.plain("二")).ok
    assert runtime.wecom_app.send("lisi", OutboundMessage.plain("三")).ok
    assert len(calls(sim, "/cgi-bin/gettoken")) == 2


def test_the_key_value_table_expires_and_replaces(db):
    now = [utcnow()]
    store = DatabaseKeyValueStore(db.engine, now=lambda: now[0])
    store.set("k", "v1", now[0] + timedelta(seconds=60))
    store.set("k", "v2", now[0] + timedelta(seconds=60))
    assert store.get("k") == "v2" and store.get("missing") is None
    now[0] += timedelta(seconds=61)
    assert store.get("k") is None
    store.set("k", "v3", None)
    assert store.get("k") == "v3"
    store.delete("k")
    assert store.get("k") is None


def test_add_takes_an_expired_key_and_purges_other_keys_once_a_minute(db):
    from sqlalchemy import func, select

    from models.outbox import KeyValue

    def rows() -> int:
        with db.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(KeyValue.__table__)).scalar()

    now = [utcnow()]
    store = DatabaseKeyValueStore(db.engine, now=lambda: now[0])
    soon = timedelta(seconds=5)
    assert store.add("a", "1", now[0] + soon) is None  # the first add purges (nothing yet)
    assert store.add("a", "2", now[0] + soon) == "1"  # live: refused, the stored value back
    assert store.add("b", "1", now[0] + soon) is None
    now[0] += timedelta(seconds=10)  # both expired; the last purge was 10 s ago
    assert store.add("a", "3", now[0] + soon) is None  # its own expired row makes way
    assert rows() == 2 and store.get("b") is None  # b's expired row waits for the purge
    now[0] += timedelta(minutes=1)
    assert store.add("c", "1", now[0] + soon) is None
    assert rows() == 1  # a minute on: a and b purged with c's add
    store.set("n", "kept", None)  # never expires: add leaves it alone
    assert store.add("n", "2", now[0] + soon) == "kept" and store.get("n") == "kept"
