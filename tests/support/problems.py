"""Duet's JSON problems (``{"error": {"code", "message", "details"}}``) as a test expects them."""

from __future__ import annotations

from typing import Any

import httpx


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the problem ``code`` with ``status`` and a message; returns its ``error``."""
    body = response.json()
    assert response.status_code == status, body
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error
