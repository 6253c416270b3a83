"""The loopback guard itself: other hosts fail at once and are recorded; loopback works."""

from __future__ import annotations

import socket

import pytest
import requests

from tests import loopback


def test_a_lookup_of_another_host_fails_and_is_recorded():
    with pytest.raises(requests.ConnectionError):
        requests.get("https://api.dingtalk.com/v1.0/gateway/connections/open", timeout=2)
    assert loopback.take() == ["api.dingtalk.com"]


def test_loopback_names_and_addresses_resolve():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert socket.getaddrinfo(host, 80)
    assert not loopback.take()


@pytest.mark.parametrize(
    ("host", "ok"),
    [("127.9.9.9", True), ("0.0.0.0", True), ("10.0.0.1", False), ("qyapi.weixin.qq.com", False)],
)
def test_what_counts_as_loopback(host, ok):
    assert loopback.is_loopback(host) is ok
