"""Shared cache for platform access tokens.

Every process must see the same token: a WeChat /cgi-bin/token call rotates the token, so
per-process caches invalidate each other (CHANNELS pitfall 8). `TokenStorage` plugs a tiny
key-value store into both SDKs: it has the get/set/delete of a wechatpy `SessionStorage` and
a dingtalk-sdk `BaseStorage` without subclassing them, so that a process which never talks to
a platform does not load the SDKs (bots.senders.clients wraps it for dingtalk-sdk, which checks
the base class). The database-backed KeyValueStore implements the same three methods.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from models import clock


class KeyValueStore(Protocol):
    def get(self, key: str) -> str | None:
        """The value, or None when absent or expired."""

    def set(self, key: str, value: str, expires_at: datetime | None) -> None:
        """Store `value` until `expires_at` (aware UTC; None: no expiry)."""

    def delete(self, key: str) -> None: ...

    def add(self, key: str, value: str, expires_at: datetime) -> str | None:
        """Store `value` unless `key` holds a live value; return that value (None: stored)."""


def utc_now() -> datetime:
    return clock.now()


class MemoryKeyValueStore:
    """In-process KeyValueStore for tests and single-process development."""

    def __init__(self, now: Callable[[], datetime] = utc_now):
        self._now = now
        self._data: dict[str, tuple[str, datetime | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            value, expires_at = item
            if expires_at is not None and expires_at <= self._now():
                del self._data[key]
                return None
            return value

    def set(self, key: str, value: str, expires_at: datetime | None) -> None:
        with self._lock:
            self._data[key] = (value, expires_at)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def add(self, key: str, value: str, expires_at: datetime) -> str | None:
        with self._lock:
            item = self._data.get(key)
            if item is not None and (item[1] is None or item[1] > self._now()):
                return item[0]
            self._data[key] = (value, expires_at)
            return None


class TokenStorage:
    """wechatpy / dingtalk-sdk storage on top of a KeyValueStore.

    Entries expire `margin` seconds before the platform says, so that every process refreshes
    early: wechatpy's own 60-second early refresh only works in the process that fetched.
    """

    def __init__(
        self,
        store: KeyValueStore,
        *,
        prefix: str = "chat-token:",
        margin: int = 300,
        now: Callable[[], datetime] = utc_now,
    ):
        self.store = store
        self.prefix = prefix
        self.margin = margin
        self._now = now

    def get(self, key, default=None):
        raw = self.store.get(self.prefix + key)
        return default if raw is None else json.loads(raw)

    def set(self, key, value, ttl=None):
        if value is None:
            return
        expires_at = None
        if ttl is not None:
            ttl = int(ttl)
            ttl = ttl - self.margin if ttl > 2 * self.margin else ttl
            expires_at = self._now() + timedelta(seconds=ttl)
        self.store.set(self.prefix + key, json.dumps(value), expires_at)

    def delete(self, key):
        self.store.delete(self.prefix + key)

    # Both base classes define these without returning the value.
    def __getitem__(self, key):
        return self.get(key)
