"""The scorecard JSON for the browser (the scorecard bundle): the same as the API's, opened with
the sign-in cookie. Writes carry the CSRF token in an ``X-CSRF-Token`` header; the reads hand it
out (a cross-site page cannot read a same-origin response, so it never learns it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from starlette.responses import JSONResponse, Response

from server.web import csrf
from server.web.api.scorecard_schemas import ScorecardDraft
from server.web.api.scorecards import everyone, my_scorecard, save_draft, submit
from server.web.api.sessions import SessionId
from server.web.auth import PagePrincipal, ServicesDep
from server.web.services import Services

router = APIRouter(include_in_schema=False)

CSRF_HEADER = "X-CSRF-Token"
CsrfHeader = Annotated[str, Header(alias=CSRF_HEADER, max_length=128)]


def _json(request: Request, svc: Services, content: object) -> Response:
    nonce, is_new = csrf.csrf_nonce(request)
    response = JSONResponse(
        content,
        headers={"Cache-Control": "no-store", CSRF_HEADER: csrf.form_token(svc.settings, nonce)},
    )
    if is_new:
        csrf.remember_nonce(response, svc.settings, nonce)
    return response


@router.get("/s/{session_id}/scorecards/mine")
async def page_get_mine(
    request: Request, session_id: SessionId, principal: PagePrincipal, svc: ServicesDep
) -> Response:
    card = await my_scorecard(svc, principal, session_id)
    return _json(request, svc, card.model_dump(mode="json"))


@router.put("/s/{session_id}/scorecards/mine")
async def page_put_mine(
    request: Request,
    session_id: SessionId,
    body: ScorecardDraft,
    principal: PagePrincipal,
    svc: ServicesDep,
    token: CsrfHeader = "",
) -> Response:
    csrf.verify(request, svc.settings, token)
    card = await save_draft(svc, principal, session_id, body)
    return _json(request, svc, card.model_dump(mode="json"))


@router.post("/s/{session_id}/scorecards/mine/submit")
async def page_submit_mine(
    request: Request,
    session_id: SessionId,
    principal: PagePrincipal,
    svc: ServicesDep,
    token: CsrfHeader = "",
) -> Response:
    csrf.verify(request, svc.settings, token)
    card = await submit(svc, principal, session_id)
    return _json(request, svc, card.model_dump(mode="json"))


@router.get("/s/{session_id}/scorecards")
async def page_list(
    request: Request, session_id: SessionId, principal: PagePrincipal, svc: ServicesDep
) -> Response:
    cards = await everyone(svc, principal, session_id)
    return _json(request, svc, cards.model_dump(mode="json"))
