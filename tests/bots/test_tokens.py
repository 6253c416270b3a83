"""TokenStorage: one cache that both SDKs accept, shared by every client and process."""

from datetime import UTC, datetime, timedelta

from bots.platforms.tokens import MemoryKeyValueStore, TokenStorage
from bots.senders.clients import WeChatApiClient, dingtalk_client


class Clock:
    def __init__(self):
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self):
        return self.now


def test_both_sdk_clients_keep_their_tokens_in_the_storage():
    """TokenStorage subclasses neither SDK's storage (so that importing it loads neither SDK);
    both clients still read and write their access token through it."""
    storage = TokenStorage(MemoryKeyValueStore())
    wechat = WeChatApiClient("wxapp", "secret", session=storage)
    wechat.session.set(wechat.access_token_key, "WX-TOKEN", 7200)
    assert storage.get(wechat.access_token_key) == "WX-TOKEN"
    assert wechat.access_token == "WX-TOKEN"
    dingtalk = dingtalk_client("corp", "key", "secret", storage=storage)
    dingtalk.cache.access_token.set(value="DT-TOKEN", ttl=7200)
    assert dingtalk.cache.access_token.get() == "DT-TOKEN"
    assert "DT-TOKEN" in [storage.get(key) for key in storage_keys(storage)]


def storage_keys(storage: TokenStorage) -> list[str]:
    return [key.removeprefix(storage.prefix) for key in storage.store._data]


def test_values_round_trip_and_expire_early_by_the_margin():
    clock = Clock()
    storage = TokenStorage(MemoryKeyValueStore(now=clock), now=clock, margin=300)
    storage.set("wx_access_token", "T1", ttl=7200)
    assert storage.get("wx_access_token") == "T1" and storage["wx_access_token"] == "T1"
    clock.now += timedelta(seconds=6899)
    assert storage.get("wx_access_token") == "T1"
    clock.now += timedelta(seconds=1)
    assert storage.get("wx_access_token", "gone") == "gone"


def test_short_ttls_are_not_shortened_and_none_ttl_never_expires():
    clock = Clock()
    storage = TokenStorage(MemoryKeyValueStore(now=clock), now=clock, margin=300)
    storage.set("short", {"a": 1}, ttl=60)
    storage.set("forever", "x")
    clock.now += timedelta(seconds=59)
    assert storage.get("short") == {"a": 1}
    clock.now += timedelta(days=365)
    assert storage.get("short") is None and storage.get("forever") == "x"


def test_delete_and_none_values():
    storage = TokenStorage(MemoryKeyValueStore())
    storage.set("k", None, ttl=10)
    assert storage.get("k") is None
    storage.set("k", "v", ttl=10)
    storage.delete("k")
    assert storage.get("k") is None


def test_two_storages_on_one_store_share_entries_under_the_prefix():
    store = MemoryKeyValueStore()
    TokenStorage(store).set("corp_access_token", "T", ttl=100)
    assert TokenStorage(store).get("corp_access_token") == "T"
    assert store.get("chat-token:corp_access_token") == '"T"'
