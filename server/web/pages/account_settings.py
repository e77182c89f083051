"""Settings pages: your API keys; the organization's members (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.responses import RedirectResponse, Response

from server.accounts.models import OrgRole, Principal
from server.accounts.permissions import can_manage_members, require
from server.errors import DuetError, InvalidInput
from server.web import csrf
from server.web.auth import PagePrincipal, ServicesDep, set_cookie
from server.web.pages.rendering import render
from server.web.services import Services

router = APIRouter(include_in_schema=False, prefix="/settings")

CsrfField = Annotated[str, Form(alias=csrf.CSRF_FIELD, max_length=128)]


NEW_KEY_COOKIE = "duet_new_key"
NEW_KEY_SECONDS = 120


def _new_key_signer(svc: Services) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(svc.settings.secret_key, salt="new-api-key")


@router.get("/api-keys")
async def api_keys(request: Request, svc: ServicesDep, principal: PagePrincipal) -> Response:
    """Lists keys; a key created a moment ago is shown once (then its one-shot cookie is dropped)."""
    new_key = ""
    flashed = request.cookies.get(NEW_KEY_COOKIE, "")
    if flashed:
        try:
            owner, new_key = _new_key_signer(svc).loads(flashed, max_age=NEW_KEY_SECONDS)
        except BadSignature:
            owner = None
        if owner != principal.user.id:
            new_key = ""
    keys = await svc.accounts.api_keys(principal.user)
    response = render(request, svc, "api_keys.html", {"keys": keys, "new_key": new_key}, principal=principal)
    if flashed:
        response.delete_cookie(NEW_KEY_COOKIE, path="/settings/api-keys")
    return response


@router.post("/api-keys")
async def create_api_key(
    request: Request,
    svc: ServicesDep,
    principal: PagePrincipal,
    csrf_token: CsrfField = "",
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    _, token = await svc.accounts.create_api_key(principal.user, name)
    # Post/Redirect/Get: a reload must not create a second key, so the new key rides along once
    # in a short-lived, signed, HttpOnly cookie scoped to this page.
    response = RedirectResponse("/settings/api-keys", status_code=303)
    set_cookie(
        response,
        svc.settings,
        NEW_KEY_COOKIE,
        _new_key_signer(svc).dumps([principal.user.id, token]),
        max_age=NEW_KEY_SECONDS,
        path="/settings/api-keys",
    )
    return response


@router.post("/api-keys/{key_id}/revoke")
async def revoke_api_key(
    request: Request, key_id: str, svc: ServicesDep, principal: PagePrincipal, csrf_token: CsrfField = ""
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    await svc.accounts.revoke_api_key(principal.user, key_id)
    return RedirectResponse("/settings/api-keys", status_code=303)


async def _members_page(
    request: Request, svc: Services, principal: Principal, *, error: str = "", status_code: int = 200
) -> Response:
    members = await svc.accounts.members(principal.org_id)
    return render(
        request,
        svc,
        "members.html",
        {"members": members, "roles": [r.value for r in OrgRole], "error": error},
        principal=principal,
        status_code=status_code,
    )


@router.get("/members")
async def members(request: Request, svc: ServicesDep, principal: PagePrincipal) -> Response:
    require(can_manage_members(principal.role), "manage members")
    return await _members_page(request, svc, principal)


@router.post("/members")
async def add_member(
    request: Request,
    svc: ServicesDep,
    principal: PagePrincipal,
    csrf_token: CsrfField = "",
    email: Annotated[str, Form(max_length=254)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "interviewer",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_manage_members(principal.role), "manage members")
    try:
        if role not in {r.value for r in OrgRole}:
            raise InvalidInput(f"unknown role {role!r}")
        await svc.accounts.create_user(
            org_id=principal.org_id,
            email=email,
            password=password,
            role=OrgRole(role),
            display_name=display_name,
        )
    except DuetError as exc:
        if exc.status not in {409, 422}:
            raise
        return await _members_page(request, svc, principal, error=exc.message, status_code=exc.status)
    return RedirectResponse("/settings/members", status_code=303)


@router.post("/members/{user_id}/role")
async def change_role(
    request: Request,
    user_id: str,
    svc: ServicesDep,
    principal: PagePrincipal,
    csrf_token: CsrfField = "",
    role: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_manage_members(principal.role), "manage members")
    if role not in {r.value for r in OrgRole}:
        raise InvalidInput(f"unknown role {role!r}")
    await svc.accounts.change_role(principal, user_id, OrgRole(role))
    return RedirectResponse("/settings/members", status_code=303)


@router.post("/members/{user_id}/disable")
async def disable_member(
    request: Request, user_id: str, svc: ServicesDep, principal: PagePrincipal, csrf_token: CsrfField = ""
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_manage_members(principal.role), "manage members")
    await svc.accounts.set_disabled(principal, user_id, True)
    return RedirectResponse("/settings/members", status_code=303)


@router.post("/members/{user_id}/enable")
async def enable_member(
    request: Request, user_id: str, svc: ServicesDep, principal: PagePrincipal, csrf_token: CsrfField = ""
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_manage_members(principal.role), "manage members")
    await svc.accounts.set_disabled(principal, user_id, False)
    return RedirectResponse("/settings/members", status_code=303)
