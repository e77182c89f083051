"""Unguessable tokens and how they are stored.

* Random secrets (login sessions, API keys) carry 256 bits from ``secrets``; only their SHA-256
  digest is stored. A high-entropy token needs no slow hash: nobody can brute-force 256 bits,
  and a fast digest keeps every request's lookup cheap.
* Join-link and participant tokens are derived: ``HMAC-SHA256(secret_key, purpose, id, nonce)``.
  Only the digest is stored, yet the server can show a link again to the people allowed to see
  it (the dashboard's copy buttons) by recomputing it. A database dump alone reveals no usable
  link; rotating the nonce revokes the old link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32  # 256 bits


def new_id() -> str:
    """A public identifier (sessions, participants, links): 64 random bits, lowercase hex."""
    return secrets.token_hex(8)


def new_secret_token(prefix: str = "") -> str:
    """A fresh random bearer token with 256 bits of entropy."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def new_nonce() -> str:
    return secrets.token_hex(16)


def digest(token: str) -> str:
    """What is stored for a token: its SHA-256, hex encoded."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derive_token(secret_key: str, purpose: str, object_id: str, nonce: str) -> str:
    """The token of one (purpose, object, nonce): 256 bits, URL-safe, reproducible with the key."""
    mac = hmac.new(secret_key.encode("utf-8"), f"{purpose}:{object_id}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
