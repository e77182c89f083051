"""The error root and its table: error -> HTTP status / websocket close code.

Every expected failure is a ``DuetError`` subclass with a stable machine-readable ``code``.
``web/`` maps it once to a JSON problem ``{"error": {"code", "message", "details"}}`` or to a
websocket close code of 4000 + the HTTP status (4401, 4403, 4404, 4413, 4429...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DuetError(Exception):
    """Root of every error Duet raises on purpose."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    @property
    def close_code(self) -> int:
        """The websocket close code for this error: 4000 + HTTP status."""
        return 4000 + self.status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ConfigurationError(DuetError):
    code = "configuration_error"


class InvalidInput(DuetError):
    status = 422
    code = "invalid_input"


class BadRequest(DuetError):
    status = 400
    code = "bad_request"


class Unauthenticated(DuetError):
    status = 401
    code = "unauthenticated"


class Forbidden(DuetError):
    status = 403
    code = "forbidden"


class NotFound(DuetError):
    status = 404
    code = "not_found"


class Conflict(DuetError):
    status = 409
    code = "conflict"


class Gone(DuetError):
    status = 410
    code = "gone"


class PayloadTooLarge(DuetError):
    status = 413
    code = "payload_too_large"


class RateLimited(DuetError):
    status = 429
    code = "rate_limited"


class Unavailable(DuetError):
    status = 503
    code = "unavailable"
