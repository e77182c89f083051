"""The candidate's side of an assessment: ``/take/{token}`` (the page) and its JSON endpoints.

The invitation token in the path is the candidate's only credential (it is unguessable, and
only its digest is stored), so no cookie is involved and no other site can act for them. What
these endpoints send comes from ``CandidateAttempt`` and ``candidate_view``: never a score, a
hidden test, a hidden file or a reference solution."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import RedirectResponse, Response

from server.hiring.attempts import CandidateAttempt
from server.hiring.candidate_view import CandidateChallenge
from server.web import csrf
from server.web.auth import ServicesDep
from server.web.pages.rendering import render

router = APIRouter(include_in_schema=False)

Token = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
ChallengeId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AnswerIn(_Strict):
    choices: list[Annotated[str, Field(max_length=64)]] = Field(default=[], max_length=50)
    text: str = Field(default="", max_length=40_000)


class WorkIn(_Strict):
    language: str | None = Field(default=None, max_length=32)
    files: dict[str, str] = Field(default={}, max_length=50)
    answers: dict[str, AnswerIn] = Field(default={}, max_length=200)


class RunIn(_Strict):
    language: str = Field(max_length=32)
    files: dict[str, str] = Field(max_length=50)


def attempt_json(attempt: CandidateAttempt) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "name": attempt.name,
        "title": attempt.title,
        "description": attempt.description,
        "state": attempt.state.value,
        "time_limit_minutes": attempt.time_limit_minutes,
        "window_start": iso(attempt.window_start),
        "deadline": iso(attempt.deadline),
        "now": iso(attempt.now),
        "session_id": attempt.session_id,
        "pad_token": attempt.pad_token,
        "challenges": [
            {
                "id": c.id,
                "title": c.title,
                "type": c.type,
                "languages": list(c.languages),
                "time_limit_minutes": c.time_limit_minutes,
            }
            for c in attempt.challenges
        ],
    }


def challenge_json(view: CandidateChallenge, saved: dict[str, Any] | None) -> dict[str, Any]:
    return {"challenge": view.model_dump(mode="json"), "saved": saved}


@router.get("/take/{token}")
async def take_page(request: Request, token: Token, svc: ServicesDep) -> Response:
    attempt = await svc.attempts.open(token)
    context = {"attempt": attempt_json(attempt), "token": token}
    response = render(request, svc, "take.html", context)
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@router.get("/take/{token}/attempt")
async def attempt_state(token: Token, svc: ServicesDep) -> dict[str, Any]:
    return attempt_json(await svc.attempts.open(token))


@router.post("/take/{token}/start")
async def start(token: Token, svc: ServicesDep) -> dict[str, Any]:
    return attempt_json(await svc.attempts.start(token))


@router.get("/take/{token}/challenges/{challenge_id}")
async def challenge(
    token: Token,
    challenge_id: ChallengeId,
    svc: ServicesDep,
    language: Annotated[str | None, Field(max_length=32)] = None,
) -> dict[str, Any]:
    view, work, part_deadline = await svc.attempts.view(token, challenge_id, language)
    saved = None
    if work is not None:
        saved = {
            "language": work.language,
            "files": dict(work.files),
            "answers": {q: {"choices": list(a.choices), "text": a.text} for q, a in work.answers.items()},
        }
    body = challenge_json(view, saved)
    body["deadline"] = part_deadline.isoformat() if part_deadline is not None else None
    return body


@router.put("/take/{token}/challenges/{challenge_id}/work")
async def save_work(
    token: Token, challenge_id: ChallengeId, body: WorkIn, svc: ServicesDep
) -> dict[str, Any]:
    saved_at = await svc.attempts.save(
        token,
        challenge_id,
        language=body.language,
        files=body.files,
        answers={q: a.model_dump() for q, a in body.answers.items()},
    )
    return {"saved_at": saved_at.isoformat()}


@router.post("/take/{token}/challenges/{challenge_id}/run")
async def run_samples(
    token: Token, challenge_id: ChallengeId, body: RunIn, svc: ServicesDep
) -> dict[str, Any]:
    run = await svc.attempts.run_samples(token, challenge_id, body.language, body.files)
    return {
        "status": run.status,
        "tests": [{"name": n, "status": s, "message": m} for n, s, m in run.tests],
        "output": run.output,
    }


@router.post("/take/{token}/submit")
async def submit(token: Token, svc: ServicesDep) -> dict[str, Any]:
    return attempt_json(await svc.attempts.submit(token))


@router.get("/take/public/{token}")
async def public_page(request: Request, token: Token, svc: ServicesDep) -> Response:
    _, version = await svc.invitations.public_link_title(token)
    context = {
        "title": version.spec.title,
        "description": version.spec.description,
        "minutes": version.spec.total_minutes,
    }
    response = render(request, svc, "take_public.html", context)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.post("/take/public/{token}")
async def public_start(
    request: Request,
    token: Token,
    svc: ServicesDep,
    name: Annotated[str, Form(max_length=120)],
    email: Annotated[str, Form(max_length=254)],
    csrf_token: Annotated[str, Form(alias="csrf", max_length=128)] = "",
) -> Response:
    csrf.verify(request, svc.settings, csrf_token)
    own = await svc.invitations.start_from_public_link(token, name=name, email=email)
    response = RedirectResponse(f"/take/{own}", status_code=303)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
