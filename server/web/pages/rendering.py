"""Render a page with what every template needs: the CSRF token, the signed-in member, the version."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from server import __version__
from server.accounts.models import Principal
from server.web import csrf
from server.web.services import Services


def render(
    request: Request,
    svc: Services,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
) -> Response:
    nonce, is_new = csrf.csrf_nonce(request)
    full: dict[str, Any] = {
        "csrf_field": csrf.CSRF_FIELD,
        "csrf_token": csrf.form_token(svc.settings, nonce),
        "principal": principal,
        "version": __version__,
    }
    full.update(context or {})
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, full, status_code=status_code, headers={"Cache-Control": "no-store"}
    )
    if is_new:
        csrf.remember_nonce(response, svc.settings, nonce)
    return response


def safe_next(target: str | None, default: str = "/dashboard") -> str:
    """Only same-site relative paths: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
