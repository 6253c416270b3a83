"""Password hashing with argon2 (argon2-cffi)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

_HASHERS = {
    "default": PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY),
    # Only for the test suite, where hundreds of users are created.
    "testing": PasswordHasher.from_parameters(profiles.CHEAPEST),
}
_profile = "default"


@cache
def _dummy_hash(profile: str) -> str:
    """Compared against when the user does not exist, so timing does not reveal usernames.
    Made on first use (not at import: every process would pay a full hash to start)."""
    return _HASHERS[profile].hash("gendan-not-a-password")


def use_profile(name: str) -> None:
    """Select the hashing cost profile ('default' or 'testing')."""
    global _profile
    if name not in _HASHERS:
        raise ValueError(f"unknown password hash profile {name!r}")
    _profile = name


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHERS[_profile].hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; always spends the time of one verification."""
    try:
        return _HASHERS[_profile].verify(password_hash or _dummy_hash(_profile), password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False
