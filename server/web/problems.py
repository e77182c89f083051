"""The one place errors become responses: a JSON problem for API clients, a page for browsers."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match

from server.errors import DuetError

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}


class ProblemBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class Problem(BaseModel):
    """Every error answer of the API: ``{"error": {"code", "message", "details"}}``."""

    error: ProblemBody


def problem(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return JSONResponse(body, status_code=status, headers=headers)


def wants_html(request: Request) -> bool:
    """Browser pages get HTML errors; the API, health checks and scripts get JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/healthz")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _html_error(request: Request, status: int, code: str, message: str) -> Response:
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    templates = request.app.state.templates
    return templates.TemplateResponse(  # type: ignore[no-any-return]
        request,
        "error.html",
        {"status": status, "code": code, "message": message},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _respond(request: Request, status: int, code: str, message: str, details: dict[str, Any]) -> Response:
    if wants_html(request):
        return _html_error(request, status, code, message)
    return problem(status, code, message, details)


async def duet_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DuetError)
    if exc.status >= 500:
        logger.error("request failed: %r", exc)
    return _respond(request, exc.status, exc.code, exc.message, exc.details)


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "location": [str(part) for part in err.get("loc", ())],
            "message": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"location": [], "message": "invalid request"}
    where = ".".join(first["location"][1:] if len(first["location"]) > 1 else first["location"])
    message = f"{where}: {first['message']}" if where else str(first["message"])
    return _respond(request, 422, "invalid_input", message, {"errors": errors})


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    response = _respond(request, exc.status_code, code, message, {})
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


def allowed_methods(request: Request) -> list[str]:
    """Every method any route accepts on this path (the framework registers one route per method)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


async def unexpected_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _respond(request, 500, "internal_error", "something went wrong on our side", {})


def install(app: FastAPI) -> None:
    app.add_exception_handler(DuetError, duet_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
