"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from server.errors import InvalidInput

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None

    def hash(self, password: str) -> str:
        check_strength(password)
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        if len(password) > MAX_PASSWORD:
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def dummy_verify(self, password: str) -> None:
        """Spend the time a real verification would, so unknown emails are not told apart by timing."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash("not-a-password-of-anyone")
        self.verify(self._dummy_hash, password)


def check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"password must be at least {MIN_PASSWORD} characters", details={"field": "password"}
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            f"password must be at most {MAX_PASSWORD} characters", details={"field": "password"}
        )
