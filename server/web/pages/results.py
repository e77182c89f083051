"""Reviewers' pages (sign-in cookie): an assessment's results list (sort, filter, CSV) and one
attempt's result (final code, every test, answers and their scoring, integrity signals, similar
submissions, playback, approve or reject). The same code as the REST API builds them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from server.accounts.models import Principal
from server.accounts.permissions import can_create_sessions, require
from server.errors import InvalidInput, PayloadTooLarge
from server.hiring.invitation_csv import parse_invitations
from server.hiring.invitation_model import AttemptState, Decision, InvitationRequest
from server.hiring.results import SortKey, results_csv, sorted_results
from server.web import csrf
from server.web.api.invitations import ObjectId, Slug, result_of
from server.web.auth import PagePrincipal, ServicesDep
from server.web.pages.rendering import render
from server.web.services import Services

router = APIRouter(include_in_schema=False)

MAX_CSV_BYTES = 512 * 1024
Label = Annotated[str | None, Query(max_length=40)]
Order = Annotated[str, Query(pattern="^(asc|desc)$")]


@router.get("/assessments")
async def assessments_page(request: Request, principal: PagePrincipal, svc: ServicesDep) -> Response:
    items = await svc.invitations.assessments(principal.org_id)
    return render(request, svc, "assessments.html", {"items": items}, principal=principal)


def _form_request(
    email: str, name: str, labels: str, message: str, minutes: str, days: str
) -> InvitationRequest:
    try:
        limit = int(minutes) if minutes.strip() else None
        expiry_days = int(days) if days.strip() else None
    except ValueError:
        raise InvalidInput("the time limit and the expiry are whole numbers") from None
    if expiry_days is not None and not 0 < expiry_days <= 365:
        raise InvalidInput("the expiry is between 1 and 365 days", details={"field": "expires_in_days"})
    return InvitationRequest(
        email=email,
        name=name,
        labels=tuple(part for part in labels.split(",") if part.strip()),
        message=message,
        time_limit_minutes=limit,
        expires_at=datetime.now(UTC) + timedelta(days=expiry_days) if expiry_days else None,
    )


async def _with_flash(
    request: Request, svc: Services, principal: Principal, slug: str, *, notice: str, url: str | None = None
) -> Response:
    return await _results(request, svc, principal, slug, notice=notice, new_url=url)


@router.post("/assessments/{slug}/invite")
async def invite_page(
    request: Request,
    slug: Slug,
    principal: PagePrincipal,
    svc: ServicesDep,
    email: Annotated[str, Form(max_length=254)],
    name: Annotated[str, Form(max_length=120)],
    labels: Annotated[str, Form(max_length=900)] = "",
    message: Annotated[str, Form(max_length=4000)] = "",
    time_limit_minutes: Annotated[str, Form(max_length=4)] = "",
    expires_in_days: Annotated[str, Form(max_length=4)] = "",
    csrf_token: Annotated[str, Form(alias="csrf", max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_create_sessions(principal.role), "invite candidates")
    one = _form_request(email, name, labels, message, time_limit_minutes, expires_in_days)
    [(inv, url)] = await svc.invitations.invite(principal.org_id, principal.user.id, slug, [one])
    return await _with_flash(
        request, svc, principal, slug, notice=f"Invited {inv.name}; the mail is queued.", url=url
    )


@router.post("/assessments/{slug}/invite-csv")
async def invite_csv_page(
    request: Request,
    slug: Slug,
    principal: PagePrincipal,
    svc: ServicesDep,
    file: Annotated[UploadFile, File()],
    labels: Annotated[str, Form(max_length=900)] = "",
    message: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form(alias="csrf", max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_create_sessions(principal.role), "invite candidates")
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise PayloadTooLarge(f"a CSV is at most {MAX_CSV_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is not UTF-8 text", details={"field": "csv"}) from None
    defaults = _form_request("", "", labels, message, "", "")
    made = await svc.invitations.invite(
        principal.org_id, principal.user.id, slug, parse_invitations(text, defaults)
    )
    return await _with_flash(
        request, svc, principal, slug, notice=f"Invited {len(made)} candidates; their mail is queued."
    )


@router.post("/assessments/{slug}/public-link")
async def public_link_page(
    request: Request,
    slug: Slug,
    principal: PagePrincipal,
    svc: ServicesDep,
    csrf_token: Annotated[str, Form(alias="csrf", max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    require(can_create_sessions(principal.role), "create public links")
    link = await svc.invitations.create_public_link(
        principal.org_id, principal.user.id, slug, labels=(), expires_at=None, time_limit_minutes=None
    )
    return await _with_flash(request, svc, principal, slug, notice="A public link was made.", url=link.url)


@router.get("/assessments/{slug}/results")
async def results_page(
    request: Request,
    slug: Slug,
    principal: PagePrincipal,
    svc: ServicesDep,
    state: AttemptState | None = None,
    label: Label = None,
    sort: SortKey = "created_at",
    order: Order = "desc",
) -> Response:
    return await _results(request, svc, principal, slug, state=state, label=label, sort=sort, order=order)


async def _results(
    request: Request,
    svc: Services,
    principal: Principal,
    slug: str,
    *,
    state: AttemptState | None = None,
    label: str | None = None,
    sort: SortKey = "created_at",
    order: str = "desc",
    notice: str = "",
    new_url: str | None = None,
) -> Response:
    version = await svc.content.current_assessment(principal.org_id, slug)
    found = await svc.invitations.search(principal.org_id, slug, state=state, label=label or None)
    context = {
        "slug": slug,
        "title": version.spec.title,
        "items": sorted_results(found, sort, order == "desc"),
        "states": [s.value for s in AttemptState],
        "state": state.value if state else "",
        "label": label or "",
        "sort": sort,
        "order": order,
        "notice": notice,
        "new_url": new_url,
        "may_invite": can_create_sessions(principal.role),
    }
    return render(request, svc, "results.html", context, principal=principal)


@router.get("/assessments/{slug}/results.csv")
async def results_csv_page(
    slug: Slug,
    principal: PagePrincipal,
    svc: ServicesDep,
    state: AttemptState | None = None,
    label: Label = None,
    sort: SortKey = "created_at",
    order: Order = "desc",
) -> Response:
    await svc.content.current_assessment(principal.org_id, slug)
    found = await svc.invitations.search(principal.org_id, slug, state=state, label=label or None)
    return Response(
        results_csv(sorted_results(found, sort, order == "desc")),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-results.csv"'},
    )


@router.get("/results/{invitation_id}")
async def result_page(
    request: Request, invitation_id: ObjectId, principal: PagePrincipal, svc: ServicesDep
) -> Response:
    result = await result_of(svc, principal, invitation_id)
    context = {"result": result.model_dump(mode="json"), "inv": result.invitation}
    return render(request, svc, "result.html", context, principal=principal)


@router.post("/results/{invitation_id}/decision")
async def decide_page(
    request: Request,
    invitation_id: ObjectId,
    principal: PagePrincipal,
    svc: ServicesDep,
    decision: Annotated[Decision, Form()],
    csrf_token: Annotated[str, Form(alias="csrf", max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    await svc.invitations.decide(principal.org_id, principal.user.id, invitation_id, decision)
    return RedirectResponse(f"/results/{invitation_id}", status_code=303)
