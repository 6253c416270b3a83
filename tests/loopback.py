"""Tests stay on 127.0.0.0/8: a name lookup of any other host fails at once and is recorded,
and the test during which it happened fails (`tests/conftest.py`), so a test or a leaked
background thread that would reach a real chat platform is caught, not retried quietly."""

from __future__ import annotations

import ipaddress
import socket

_real_getaddrinfo = socket.getaddrinfo
attempts: list[str] = []


def is_loopback(host) -> bool:
    if host is None:
        return True
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not is_loopback(host):
        attempts.append(str(host))
        raise socket.gaierror(socket.EAI_NONAME, f"tests stay on 127.0.0.0/8, not {host}")
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    socket.getaddrinfo = _guarded_getaddrinfo


def take() -> list[str]:
    """The hosts asked for since the last call."""
    taken = list(attempts)
    attempts.clear()
    return taken
