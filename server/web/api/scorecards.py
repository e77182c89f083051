"""/api/v1/sessions/{id}/scorecards: one's own scorecard (draft, submit) and everyone's (after)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.accounts.models import Principal
from server.reviews.criteria import Criterion
from server.web.api.scorecard_schemas import ScorecardDraft, ScorecardList, ScorecardOut, blank, scorecard_out
from server.web.api.sessions import ERRORS, NOT_FOUND, SessionId
from server.web.auth import ApiPrincipal, ServicesDep
from server.web.problems import Problem
from server.web.services import Services

FINAL: dict[int | str, dict[str, Any]] = {
    409: {"model": Problem, "description": "Your scorecard was submitted (final) or is incomplete."}
}

router = APIRouter(prefix="/api/v1/sessions", tags=["scorecards"], responses=ERRORS | NOT_FOUND)


async def my_scorecard(svc: Services, principal: Principal, session_id: str) -> ScorecardOut:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    card = await svc.reviews.mine(session, principal)
    if card is None:
        return blank(session.id, principal.user.id, principal.user.display_name)
    return scorecard_out(card)


async def save_draft(
    svc: Services, principal: Principal, session_id: str, body: ScorecardDraft
) -> ScorecardOut:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    ratings = {criterion.value: rating for criterion, rating in body.ratings.items()}
    return scorecard_out(await svc.reviews.save_draft(session, principal, ratings=ratings, notes=body.notes))


async def submit(svc: Services, principal: Principal, session_id: str) -> ScorecardOut:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    return scorecard_out(await svc.reviews.submit(session, principal))


async def everyone(svc: Services, principal: Principal, session_id: str) -> ScorecardList:
    session = await svc.sessions.get(session_id, org_id=principal.org_id)
    cards = await svc.reviews.everyone(session, principal)
    return ScorecardList(criteria=list(Criterion), items=[scorecard_out(card) for card in cards])


@router.get("/{session_id}/scorecards/mine", summary="Your scorecard of a session (blank if none yet)")
async def get_mine(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> ScorecardOut:
    return await my_scorecard(svc, principal, session_id)


@router.put("/{session_id}/scorecards/mine", summary="Save your scorecard as a draft", responses=FINAL)
async def put_mine(
    session_id: SessionId, body: ScorecardDraft, principal: ApiPrincipal, svc: ServicesDep
) -> ScorecardOut:
    return await save_draft(svc, principal, session_id, body)


@router.post(
    "/{session_id}/scorecards/mine/submit",
    summary="Submit your scorecard (final; every criterion must be rated)",
    responses=FINAL,
)
async def submit_mine(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> ScorecardOut:
    return await submit(svc, principal, session_id)


@router.get(
    "/{session_id}/scorecards",
    summary="Every submitted scorecard of a session (403 until you submit yours)",
)
async def list_scorecards(session_id: SessionId, principal: ApiPrincipal, svc: ServicesDep) -> ScorecardList:
    return await everyone(svc, principal, session_id)
