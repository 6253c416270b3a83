"""Secrets at rest (group robot keys and signing secrets): Fernet tokens, keyed from SECRET_KEY.

The key is derived with HKDF-SHA256 so that SECRET_KEY itself is never used as a cipher key and
other uses of it (token signing) stay independent. Changing SECRET_KEY makes the sealed values
unreadable: the groups must then be bound again, which `unseal` says in Chinese.

The tokens follow the Fernet specification (github.com/fernet/spec): version 0x80, a big-endian
timestamp, a random IV, AES-128-CBC with PKCS#7 padding, then HMAC-SHA256 over all of it. They
are built here from pycryptodome's AES and the standard library's HMAC rather than with
cryptography's Fernet: the scheduler unseals a robot secret at its first send, and cryptography's
Rust module put 8.4 MiB into that process (issue 18: the scheduler at most 110 MiB), where
pycryptodome's AES costs 1.8 MiB. The bytes are the same: tests/services/chat/test_sealing.py
checks that cryptography's Fernet reads our tokens and that we read its tokens.
"""

from __future__ import annotations

import base64
import hmac
import os
from functools import lru_cache

from app.services.core import settings
from models import clock
from models.errors import Unavailable

_SALT = b"gendan.sealed-secrets.v1"
_VERSION = 0x80
_BLOCK = 16
_MAC = 32
# version, timestamp, IV, at least one cipher block, HMAC
_SHORTEST = 1 + 8 + _BLOCK + _BLOCK + _MAC


def hkdf_sha256(material: bytes, *, salt: bytes, info: bytes) -> bytes:
    """RFC 5869 HKDF with SHA-256 for one 32-byte output block: extract, then expand."""
    pseudo_random_key = hmac.digest(salt, material, "sha256")
    return hmac.digest(pseudo_random_key, info + b"\x01", "sha256")


@lru_cache(maxsize=4)
def _keys(secret_key: str) -> tuple[bytes, bytes]:
    """The signing key and the encryption key (the two halves of a Fernet key)."""
    if not secret_key:
        raise RuntimeError("SECRET_KEY is not configured: cannot seal or unseal secrets")
    key = hkdf_sha256(secret_key.encode(), salt=_SALT, info=b"fernet")
    return key[:16], key[16:]


def seal(text: str) -> str:
    """Encrypt a secret for storage."""
    from Crypto.Cipher import AES
    from Crypto.Util.Padding import pad

    signing_key, encryption_key = _keys(settings().secret_key)
    iv = os.urandom(_BLOCK)
    ciphertext = AES.new(encryption_key, AES.MODE_CBC, iv=iv).encrypt(pad(text.encode(), _BLOCK))
    stamp = int(clock.now().timestamp()).to_bytes(8, "big")
    body = bytes([_VERSION]) + stamp + iv + ciphertext
    return base64.urlsafe_b64encode(body + hmac.digest(signing_key, body, "sha256")).decode()


def unseal(token: str) -> str:
    """Decrypt a stored secret; a clear Unavailable error when it cannot be read any more."""
    signing_key, encryption_key = _keys(settings().secret_key)
    try:
        return _open(token, signing_key, encryption_key)
    except ValueError:
        raise Unavailable(
            "无法读取保存的机器人密钥（SECRET_KEY 可能已更换），请重新绑定该群",
            code="secret_unreadable",
        ) from None


def _open(token: str, signing_key: bytes, encryption_key: bytes) -> str:
    """The plain text of a token; ValueError for anything that is not one of ours, intact."""
    data = base64.urlsafe_b64decode(token)  # binascii.Error is a ValueError
    if len(data) < _SHORTEST or data[0] != _VERSION or (len(data) - _SHORTEST) % _BLOCK:
        raise ValueError("not a sealed secret")
    body, mac = data[:-_MAC], data[-_MAC:]
    if not hmac.compare_digest(hmac.digest(signing_key, body, "sha256"), mac):
        raise ValueError("the seal does not match")

    from Crypto.Cipher import AES
    from Crypto.Util.Padding import unpad

    iv, ciphertext = body[9 : 9 + _BLOCK], body[9 + _BLOCK :]
    padded = AES.new(encryption_key, AES.MODE_CBC, iv=iv).decrypt(ciphertext)
    return unpad(padded, _BLOCK).decode()  # bad padding and UnicodeDecodeError: ValueError


def mask(text: str) -> str:
    """Enough of a secret to recognise it, never enough to use it: `wec…ey-1` (len ≥ 12)."""
    if len(text) < 12:
        return "****"
    return f"{text[:3]}…{text[-4:]}"
