"""Who is calling: API keys (Bearer) for /api/v1, login cookies for pages, participant cookies for pads."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.responses import Response

from server.accounts.models import Principal
from server.errors import Unauthenticated
from server.settings import Settings
from server.web.services import Services

LOGIN_COOKIE = "duet_login"
PARTICIPANT_COOKIE_PREFIX = "duet_p_"

_bearer = HTTPBearer(auto_error=False, description="An API key created with `duet apikey create`.")


async def services(request: Request) -> Services:
    """async: FastAPI would run a plain function in its thread pool, a thread hop per request."""
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(services)]


async def api_principal(
    svc: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The member behind the request's API key. Only API keys open /api/v1: never cookies,
    never participant tokens, so a candidate link can never reach the API."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("an API key is required: send `Authorization: Bearer <key>`")
    return await svc.accounts.principal_for_api_key(credentials.credentials)


async def optional_page_principal(request: Request, svc: ServicesDep) -> Principal | None:
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not token:
        return None
    try:
        return await svc.accounts.principal_for_login(token)
    except Unauthenticated:
        return None


async def page_principal(
    principal: Annotated[Principal | None, Depends(optional_page_principal)],
) -> Principal:
    """The signed-in member; browsers without a login are sent to the sign-in page."""
    if principal is None:
        raise Unauthenticated("please sign in")
    return principal


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
PagePrincipal = Annotated[Principal, Depends(page_principal)]
OptionalPagePrincipal = Annotated[Principal | None, Depends(optional_page_principal)]


def set_cookie(
    response: Response, settings: Settings, name: str, value: str, *, max_age: int, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )


def participant_cookie(session_id: str) -> str:
    return PARTICIPANT_COOKIE_PREFIX + session_id
