"""CSRF protection for HTML forms: a signed double-submit token plus an Origin check.

The browser holds a random ``duet_csrf`` cookie; every form carries HMAC(secret, cookie). A
cross-site page can neither read the cookie nor compute the HMAC. Cookies are SameSite=Lax too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from server.errors import Forbidden
from server.settings import Settings

CSRF_COOKIE = "duet_csrf"
CSRF_FIELD = "csrf"


def _sign(settings: Settings, nonce: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def csrf_nonce(request: Request) -> tuple[str, bool]:
    """The browser's nonce, and whether it is new (then the response must set the cookie)."""
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 16 <= len(existing) <= 64:
        return existing, False
    return secrets.token_urlsafe(24), True


def form_token(settings: Settings, nonce: str) -> str:
    return _sign(settings, nonce)


def remember_nonce(response: Response, settings: Settings, nonce: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, nonce, httponly=True, secure=settings.secure_cookies, samesite="lax", path="/"
    )


def verify(request: Request, settings: Settings, submitted: str) -> None:
    """Reject a form post whose token does not match the cookie, or that comes from another origin."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise Forbidden("cross-origin form submission refused")
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if not nonce or not submitted or not hmac.compare_digest(_sign(settings, nonce), submitted):
        raise Forbidden("the form expired or was not sent by this site; reload the page and try again")
