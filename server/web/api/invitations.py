"""/api/v1/assessments/{slug}/invitations, public links, results, decisions and the mail outbox.

Inviting takes an admin or an interviewer; reading results and deciding, any member of the
organization (reviewers included). Candidates never reach /api/v1: it only opens with API keys."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from server.accounts.models import Principal
from server.accounts.permissions import can_create_sessions, require
from server.hiring.invitation_csv import parse_invitations
from server.hiring.invitation_model import AttemptState, Invitation, InvitationRequest
from server.hiring.results import SortKey, results_csv, similar_to, sorted_results
from server.web.api.invitation_schemas import (
    BulkInvitationIn,
    DecisionIn,
    InvitationIn,
    InvitationList,
    InvitationOut,
    MailList,
    MailOut,
    PublicLinkIn,
    PublicLinkOut,
    ResultOut,
    SimilarPair,
    invitation_out,
)
from server.web.api.sessions import ERRORS
from server.web.auth import ApiPrincipal, ServicesDep
from server.web.problems import Problem
from server.web.services import Services

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such assessment, invitation or link."}
}
CONFLICT: dict[int | str, dict[str, Any]] = {409: {"model": Problem, "description": "Not submitted yet."}}

router = APIRouter(prefix="/api/v1", tags=["invitations"], responses=ERRORS | NOT_FOUND)

Slug = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
ObjectId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]
MAX_INTEGRITY = 500


def _may_invite(principal: Principal) -> None:
    require(can_create_sessions(principal.role), "invite candidates")


async def _out(svc: Services, principal: Principal, inv: Invitation) -> InvitationOut:
    url = (
        await svc.invitations.link(principal.org_id, inv.id) if can_create_sessions(principal.role) else None
    )
    return invitation_out(inv, url)


def _request(body: InvitationIn | BulkInvitationIn, email: str = "", name: str = "") -> InvitationRequest:
    return InvitationRequest(
        email=getattr(body, "email", email),
        name=getattr(body, "name", name),
        labels=tuple(body.labels),
        message=body.message,
        expires_at=body.expires_at,
        window_start=body.window_start,
        window_end=body.window_end,
        time_limit_minutes=body.time_limit_minutes,
    )


@router.post(
    "/assessments/{slug}/invitations",
    status_code=status.HTTP_201_CREATED,
    summary="Invite one candidate by email (the mail is queued in the outbox)",
)
async def invite(slug: Slug, body: InvitationIn, principal: ApiPrincipal, svc: ServicesDep) -> InvitationOut:
    _may_invite(principal)
    [(inv, url)] = await svc.invitations.invite(principal.org_id, principal.user.id, slug, [_request(body)])
    return invitation_out(inv, url)


@router.post(
    "/assessments/{slug}/invitations/bulk",
    status_code=status.HTTP_201_CREATED,
    summary="Invite the candidates of a CSV (all or none)",
)
async def invite_bulk(
    slug: Slug, body: BulkInvitationIn, principal: ApiPrincipal, svc: ServicesDep
) -> InvitationList:
    _may_invite(principal)
    requests = parse_invitations(body.csv, _request(body))
    made = await svc.invitations.invite(principal.org_id, principal.user.id, slug, requests)
    return InvitationList(items=[invitation_out(inv, url) for inv, url in made])


@router.get("/assessments/{slug}/invitations", summary="An assessment's attempts (the results list)")
async def list_invitations(
    slug: Slug,
    principal: ApiPrincipal,
    svc: ServicesDep,
    state: AttemptState | None = None,
    label: Annotated[str | None, Query(max_length=40)] = None,
    sort: SortKey = "created_at",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
) -> InvitationList:
    await svc.content.current_assessment(principal.org_id, slug)  # 404 for an unknown one
    found = await svc.invitations.search(principal.org_id, slug, state=state, label=label)
    items = sorted_results(found, sort, order == "desc")
    return InvitationList(items=[await _out(svc, principal, inv) for inv in items])


@router.get(
    "/assessments/{slug}/results.csv",
    summary="The results list as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per attempt."}},
)
async def results_as_csv(
    slug: Slug,
    principal: ApiPrincipal,
    svc: ServicesDep,
    state: AttemptState | None = None,
    label: Annotated[str | None, Query(max_length=40)] = None,
    sort: SortKey = "created_at",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
) -> Response:
    await svc.content.current_assessment(principal.org_id, slug)
    found = await svc.invitations.search(principal.org_id, slug, state=state, label=label)
    return Response(
        results_csv(sorted_results(found, sort, order == "desc")),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-results.csv"'},
    )


@router.post(
    "/assessments/{slug}/public-links",
    status_code=status.HTTP_201_CREATED,
    summary="A public link: anyone with it can start an attempt (rate-limited)",
)
async def create_public_link(
    slug: Slug, body: PublicLinkIn, principal: ApiPrincipal, svc: ServicesDep
) -> PublicLinkOut:
    _may_invite(principal)
    link = await svc.invitations.create_public_link(
        principal.org_id,
        principal.user.id,
        slug,
        labels=body.labels,
        expires_at=body.expires_at,
        time_limit_minutes=body.time_limit_minutes,
    )
    return PublicLinkOut(
        id=link.id,
        assessment=link.assessment_slug,
        labels=list(link.labels),
        time_limit_minutes=link.time_limit_minutes,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked=link.revoked,
        url=link.url,
    )


@router.delete(
    "/public-links/{link_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke a public link"
)
async def revoke_public_link(link_id: ObjectId, principal: ApiPrincipal, svc: ServicesDep) -> Response:
    _may_invite(principal)
    await svc.invitations.revoke_public_link(principal.org_id, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def result_of(svc: Services, principal: Principal, invitation_id: str) -> ResultOut:
    inv, stored = await svc.invitations.get(principal.org_id, invitation_id)
    challenges: dict[str, Any] = {}
    missed: list[str] = []
    similar: list[SimilarPair] = []
    if stored is not None:
        data = json.loads(stored)
        challenges, missed = data.get("challenges", {}), data.get("deal_breakers_missed", [])
        others = await svc.invitations.scored_results(principal.org_id, inv.assessment_id)
        names = {other_id: name for other_id, name, _ in others}
        similar = [
            SimilarPair(
                challenge=s.challenge,
                other_invitation_id=s.other,
                other_name=names.get(s.other, ""),
                similarity=round(s.similarity, 3),
            )
            for s in similar_to(inv.id, [(i, text) for i, _, text in others])
        ]
    integrity: list[dict[str, Any]] = []
    base = svc.settings.effective_base_url
    if inv.session_id is not None:
        for event in await svc.recording.read_latest(inv.session_id, kinds=["signal"], limit=MAX_INTEGRITY):
            integrity.append({"ts_ms": event.ts_ms, **json.loads(event.data)})
    ended = inv.session_id is not None and inv.state is AttemptState.SUBMITTED
    return ResultOut(
        invitation=await _out(svc, principal, inv),
        deal_breakers_missed=missed,
        challenges=challenges,
        integrity=integrity,
        similar=similar,
        playback_url=f"{base}/s/{inv.session_id}/playback" if ended else None,
        scorecards_url=f"{base}/api/v1/sessions/{inv.session_id}/scorecards" if ended else None,
    )


@router.get("/invitations/{invitation_id}", summary="One attempt's result, hidden tests included")
async def get_result(invitation_id: ObjectId, principal: ApiPrincipal, svc: ServicesDep) -> ResultOut:
    return await result_of(svc, principal, invitation_id)


@router.post(
    "/invitations/{invitation_id}/decision",
    summary="Approve or reject a submitted attempt",
    responses=CONFLICT,
)
async def decide(
    invitation_id: ObjectId, body: DecisionIn, principal: ApiPrincipal, svc: ServicesDep
) -> InvitationOut:
    inv = await svc.invitations.decide(principal.org_id, principal.user.id, invitation_id, body.decision)
    return await _out(svc, principal, inv)


@router.get("/mail", summary="The mail outbox: each message's status and last error")
async def list_mail(
    principal: ApiPrincipal,
    svc: ServicesDep,
    status: Annotated[str | None, Query(pattern="^(queued|sent|failed)$")] = None,
) -> MailList:
    _may_invite(principal)
    items = await svc.outbox.list(principal.org_id, status=status)
    return MailList(
        items=[
            MailOut(
                id=m.id,
                invitation_id=m.invitation_id,
                recipient=m.recipient,
                subject=m.subject,
                status=m.status,
                attempts=m.attempts,
                next_attempt_at=m.next_attempt_at,
                last_error=m.last_error,
                created_at=m.created_at,
                sent_at=m.sent_at,
            )
            for m in items
        ]
    )
