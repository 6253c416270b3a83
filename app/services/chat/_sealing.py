"""Secrets at rest (group robot keys and signing secrets): Fernet, keyed from SECRET_KEY.

The Fernet key is derived with HKDF so that SECRET_KEY itself is never used as a cipher key
and other uses of it (token signing) stay independent. Changing SECRET_KEY makes the sealed
values unreadable: the groups must then be bound again, which `unseal` says in Chinese.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from typing import TYPE_CHECKING

from app.services.core import settings
from models.errors import Unavailable

if TYPE_CHECKING:  # cryptography loads on first use (issue 18: memory of an idle worker)
    from cryptography.fernet import Fernet

_SALT = b"gendan.sealed-secrets.v1"


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.hashes import SHA256
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if not secret_key:
        raise RuntimeError("SECRET_KEY is not configured: cannot seal or unseal secrets")
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=_SALT, info=b"fernet")
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))


def seal(text: str) -> str:
    """Encrypt a secret for storage."""
    return _fernet(settings().secret_key).encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    """Decrypt a stored secret; a clear Unavailable error when it cannot be read any more."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(settings().secret_key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        raise Unavailable(
            "无法读取保存的机器人密钥（SECRET_KEY 可能已更换），请重新绑定该群",
            code="secret_unreadable",
        ) from None


def mask(text: str) -> str:
    """Enough of a secret to recognise it, never enough to use it: `wec…ey-1` (len ≥ 12)."""
    if len(text) < 12:
        return "****"
    return f"{text[:3]}…{text[-4:]}"
