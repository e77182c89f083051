"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from server.errors import RateLimited, Unauthenticated
from server.web import csrf
from server.web.auth import (
    LOGIN_COOKIE,
    PARTICIPANT_COOKIE_PREFIX,
    OptionalPagePrincipal,
    ServicesDep,
    set_cookie,
)
from server.web.pages.rendering import render, safe_next

router = APIRouter(include_in_schema=False)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/")
async def home(principal: OptionalPagePrincipal) -> Response:
    return RedirectResponse("/dashboard" if principal else "/login", status_code=303)


@router.get("/login")
async def login_page(
    request: Request, svc: ServicesDep, principal: OptionalPagePrincipal, next: str | None = None
) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, svc, "login.html", {"next": safe_next(next), "email": "", "error": None})


@router.post("/login")
async def login(
    request: Request,
    svc: ServicesDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(alias=csrf.CSRF_FIELD, max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    client = _client(request)
    context = {"next": safe_next(next), "email": email}
    try:
        svc.login_throttle.check(client, email)
        _, token = await svc.accounts.login(email, password)
    except Unauthenticated as exc:
        svc.login_throttle.failed(client, email)
        return render(request, svc, "login.html", {**context, "error": exc.message}, status_code=401)
    except RateLimited as exc:
        return render(request, svc, "login.html", {**context, "error": exc.message}, status_code=429)
    svc.login_throttle.succeeded(client, email)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, svc.settings, LOGIN_COOKIE, token, max_age=svc.settings.login_ttl_hours * 3600)
    return response


@router.post("/logout")
async def logout(
    request: Request,
    svc: ServicesDep,
    csrf_token: Annotated[str, Form(alias=csrf.CSRF_FIELD, max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    token = request.cookies.get(LOGIN_COOKIE, "")
    if token:
        await svc.accounts.logout(token)  # and with it the pads it opened, on every node
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    for name in request.cookies:  # this browser's guest access goes with it
        if name.startswith(PARTICIPANT_COOKIE_PREFIX):
            response.delete_cookie(name, path="/")
    return response
