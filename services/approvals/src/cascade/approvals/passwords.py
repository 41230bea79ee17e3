"""The admin's password, checked against an argon2 hash (never stored in clear)."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pydantic import SecretStr

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash with the library's current parameters."""
    return _HASHER.hash(password)


def configured_hash(value: SecretStr | None) -> str | None:
    """The hash, or None when unset or blank: then the UI is closed."""
    if value is None or not value.get_secret_value().strip():
        return None
    return value.get_secret_value().strip()


def verify_sync(stored_hash: str, password: str) -> bool:
    """Whether `password` matches; a malformed hash never matches."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify(stored_hash: str, password: str) -> bool:
    """`verify_sync` off the event loop: argon2 is deliberately slow."""
    return await asyncio.to_thread(verify_sync, stored_hash, password)
