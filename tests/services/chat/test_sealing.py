"""Sealed robot secrets are Fernet tokens: cryptography's Fernet, the reference implementation,
reads what `seal` writes, and `unseal` reads what it writes (the tokens stored before the
switch to pycryptodome among them)."""

from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from app.services.chat._sealing import hkdf_sha256, seal, unseal
from app.services.core import configure
from app.services.core import settings as deployment
from models.errors import Unavailable
from tests.factories import SECRET

# Sealed by the previous implementation (cryptography's Fernet) with the test SECRET_KEY: a
# group bound before the switch keeps working.
STORED = (
    "gAAAAABpMjygivgpP9MBaaPQxNVkPW8hFQaDFF82jMdNVIJGzFr53rtCEJjn6Ob1RSrrMR6fKrzq-Si5bEUEkS_XAj"
    "-i5Q1mpJ7v5qFTyhtHH61AszEKuIA="
)


@pytest.fixture(autouse=True)
def sealing_key():
    """The tokens here are sealed under the test SECRET_KEY. Building an app sets the process's
    key to the app's (the browser tests' live servers bring keys of their own), so each test
    sets it, and puts back the key it found."""
    found = deployment().secret_key
    configure(secret_key=SECRET)
    yield
    configure(secret_key=found)


def _reference(secret_key: str = SECRET) -> Fernet:
    """The Fernet key the previous implementation derived, with cryptography's own HKDF."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=b"gendan.sealed-secrets.v1", info=b"fernet")
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())))


def test_a_token_sealed_before_the_switch_still_opens():
    assert unseal(STORED) == "SEC钉钉-robot-secret-0123"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_cryptography_reads_our_tokens_and_we_read_its_tokens(text):
    ours = seal(text)
    assert _reference().decrypt(ours.encode()).decode() == text
    assert unseal(_reference().encrypt(text.encode()).decode()) == text
    assert unseal(ours) == text


def test_each_seal_is_fresh_and_carries_the_time():
    first, second = seal("SECsame"), seal("SECsame")
    assert first != second  # a new IV each time
    stamp = _reference().extract_timestamp(first.encode())
    from models import clock

    assert abs(stamp - clock.now().timestamp()) < 60


def test_hkdf_matches_rfc_5869_test_case_1():
    okm = hkdf_sha256(bytes([0x0B] * 22), salt=bytes(range(13)), info=bytes(range(0xF0, 0xFA)))
    assert okm.hex() == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[index] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).decode()


def test_any_changed_byte_is_refused_with_the_chinese_hint():
    token = seal("SECabcdefghijklmnop0123")
    length = len(base64.urlsafe_b64decode(token))
    for index in range(length):
        with pytest.raises(Unavailable, match="重新绑定") as caught:
            unseal(_flip(token, index))
        assert caught.value.code == "secret_unreadable"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64 at all!",
        "密钥",
        base64.urlsafe_b64encode(b"\x80" + bytes(40)).decode(),  # too short
        base64.urlsafe_b64encode(b"\x81" + bytes(72)).decode(),  # another version
        base64.urlsafe_b64encode(b"\x80" + bytes(80)).decode(),  # not whole cipher blocks
    ],
)
def test_what_is_not_a_sealed_secret_is_refused(token):
    with pytest.raises(Unavailable, match="重新绑定"):
        unseal(token)


def test_a_truncated_token_is_refused():
    token = seal("SECabcdefghijklmnop0123")
    raw = base64.urlsafe_b64decode(token)
    for cut in (1, 16, 32):
        with pytest.raises(Unavailable):
            unseal(base64.urlsafe_b64encode(raw[:-cut]).decode())


def test_another_secret_key_cannot_open_the_token():
    token = seal("SECabcdefghijklmnop0123")
    configure(secret_key="another-secret-key-that-is-long-enough-0123")
    try:
        with pytest.raises(Unavailable, match="SECRET_KEY"):
            unseal(token)
        # and what the other key seals, the reference reads with that key
        assert (
            _reference("another-secret-key-that-is-long-enough-0123").decrypt(seal("SECx").encode())
            == b"SECx"
        )
    finally:
        configure(secret_key=SECRET)
