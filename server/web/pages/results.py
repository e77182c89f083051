"""Reviewers' pages (sign-in cookie): an assessment's results list (sort, filter, CSV) and one
attempt's result (final code, every test, answers and their scoring, integrity signals, similar
submissions, playback, approve or reject). The same code as the REST API builds them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from server.hiring.invitation_model import AttemptState, Decision
from server.hiring.results import SortKey, results_csv, sorted_results
from server.web import csrf
from server.web.api.invitations import ObjectId, Slug, result_of
from server.web.auth import PagePrincipal, ServicesDep
from server.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

Label = Annotated[str | None, Query(max_length=40)]
Order = Annotated[str, Query(pattern="^(asc|desc)$")]


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
