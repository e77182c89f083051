"""Inviting candidates to an assessment: by email (one or many: the mail is queued in the same
transaction) or through a public link; listing them; the reviewers' decision.

Invitation and public-link tokens are derived (``HMAC(secret, purpose, id, nonce)``) and only
their SHA-256 is stored, as join links are (``server.tokens``): a database dump reveals no link,
and the people allowed to see one can be shown it again."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server import tokens
from server.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound, RateLimited
from server.hiring.content_repository import AssessmentVersion, ContentRepository
from server.hiring.invitation_model import (
    INVITATION_PURPOSE,
    MAX_EMAIL_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_NAME_CHARS,
    MAX_TIME_LIMIT_MINUTES,
    PUBLIC_LINK_PURPOSE,
    AttemptState,
    Decision,
    Invitation,
    InvitationRequest,
    clean_labels,
    effective_state,
)
from server.hiring.outbox import enqueue
from server.store.attempt_tables import InvitationRow, PublicLinkRow
from server.store.database import Database
from server.store.hiring_tables import AssessmentRow

#: At most this many invitations in one request (a CSV upload).
MAX_BULK = 500
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PublicLink:
    id: str
    assessment_slug: str
    labels: tuple[str, ...]
    time_limit_minutes: int | None
    created_at: datetime
    expires_at: datetime
    revoked: bool
    url: str


def clean_email(email: str) -> str:
    text = email.strip()
    if len(text) > MAX_EMAIL_CHARS or not _EMAIL.match(text):
        raise InvalidInput("not an email address", details={"field": "email"})
    return text


def clean_name(name: str) -> str:
    text = " ".join("".join(ch for ch in name if ch.isprintable()).split())
    if not text:
        raise InvalidInput("the candidate's name must not be empty", details={"field": "name"})
    if len(text) > MAX_NAME_CHARS:
        raise InvalidInput(f"the name is longer than {MAX_NAME_CHARS} characters", details={"field": "name"})
    return text


def check_time_limit(minutes: int | None) -> None:
    if minutes is not None and not 0 < minutes <= MAX_TIME_LIMIT_MINUTES:
        raise InvalidInput(
            f"the time limit is between 1 and {MAX_TIME_LIMIT_MINUTES} minutes",
            details={"field": "time_limit_minutes"},
        )


def invitation_of(row: InvitationRow, slug: str, now: datetime) -> Invitation:
    return Invitation(
        id=row.id,
        org_id=row.org_id,
        assessment_id=row.assessment_id,
        assessment_slug=slug,
        assessment_version_id=row.assessment_version_id,
        email=row.email,
        name=row.name,
        labels=tuple(json.loads(row.labels)),
        message=row.message,
        state=effective_state(
            AttemptState(row.state), now=now, expires_at=row.expires_at, window_end=row.window_end
        ),
        decision=Decision(row.decision) if row.decision else None,
        created_at=row.created_at,
        expires_at=row.expires_at,
        window_start=row.window_start,
        window_end=row.window_end,
        time_limit_minutes=row.time_limit_minutes,
        opened_at=row.opened_at,
        started_at=row.started_at,
        deadline=row.deadline,
        submitted_at=row.submitted_at,
        session_id=row.session_id,
        score=row.score,
        passed=row.passed,
        public_link_id=row.public_link_id,
    )


class _StartLimiter:
    """Attempts one public link may start per hour, on this node (a sliding window)."""

    def __init__(self, per_hour: int) -> None:
        self._per_hour = per_hour
        self._starts: defaultdict[str, deque[float]] = defaultdict(deque)

    def take(self, link_id: str) -> None:
        now = time.monotonic()
        starts = self._starts[link_id]
        while starts and now - starts[0] > 3600:
            starts.popleft()
        if len(starts) >= self._per_hour:
            raise RateLimited("this link has started as many attempts as it may this hour; try later")
        starts.append(now)


class InvitationService:
    def __init__(
        self,
        db: Database,
        content: ContentRepository,
        *,
        secret_key: str,
        base_url: str,
        ttl: timedelta,
        public_starts_per_hour: int,
        poke_outbox: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._db = db
        self._content = content
        self._secret = secret_key
        self._base = base_url.rstrip("/")
        self._ttl = ttl
        self._limiter = _StartLimiter(public_starts_per_hour)
        self._poke = poke_outbox
        self._clock = clock

    # ---- links ---------------------------------------------------------------------------

    def token_of(self, invitation_id: str, nonce: str) -> str:
        return tokens.derive_token(self._secret, INVITATION_PURPOSE, invitation_id, nonce)

    def url_of(self, token: str) -> str:
        return f"{self._base}/take/{token}"

    async def link(self, org_id: str, invitation_id: str) -> str:
        """The invitation's link again (for the people who may invite)."""
        async with self._db.session() as s:
            row = await s.get(InvitationRow, invitation_id)
        if row is None or row.org_id != org_id:
            raise NotFound("no such invitation")
        return self.url_of(self.token_of(row.id, row.nonce))

    # ---- inviting ------------------------------------------------------------------------

    async def invite(
        self, org_id: str, user_id: str, slug: str, requests: Sequence[InvitationRequest]
    ) -> list[tuple[Invitation, str]]:
        """Invite every candidate of ``requests`` (all or none) and queue their mail."""
        if not requests:
            raise InvalidInput("nobody to invite")
        if len(requests) > MAX_BULK:
            raise InvalidInput(f"at most {MAX_BULK} invitations at once")
        version = await self._content.current_assessment(org_id, slug)
        now = self._clock()
        made: list[tuple[Invitation, str]] = []
        async with self._db.transaction() as tx:
            for index, request in enumerate(requests):
                try:
                    row, token = self._new_row(org_id, user_id, version, request, now)
                except InvalidInput as exc:
                    raise InvalidInput(
                        f"row {index + 1}: {exc}", details={"row": index + 1, **exc.details}
                    ) from exc
                tx.add(row)
                url = self.url_of(token)
                enqueue(
                    tx,
                    org_id=org_id,
                    recipient=row.email,
                    subject=f"Your assessment: {version.spec.title}",
                    body=self._body(row, version, url),
                    now=now,
                    invitation_id=row.id,
                )
                made.append((invitation_of(row, slug, now), url))
        self._poke()
        return made

    def _new_row(
        self,
        org_id: str,
        user_id: str | None,
        version: AssessmentVersion,
        request: InvitationRequest,
        now: datetime,
        *,
        state: AttemptState = AttemptState.INVITED,
        public_link_id: str | None = None,
    ) -> tuple[InvitationRow, str]:
        check_time_limit(request.time_limit_minutes)
        if len(request.message) > MAX_MESSAGE_CHARS:
            raise InvalidInput(
                f"the message is longer than {MAX_MESSAGE_CHARS} characters", details={"field": "message"}
            )
        expires_at = request.expires_at or now + self._ttl
        if expires_at <= now:
            raise InvalidInput("the expiry is in the past", details={"field": "expires_at"})
        if request.window_start and request.window_end and request.window_end <= request.window_start:
            raise InvalidInput("the access window ends before it starts", details={"field": "window_end"})
        invitation_id = tokens.new_id()
        nonce = tokens.new_nonce()
        token = self.token_of(invitation_id, nonce)
        row = InvitationRow(
            id=invitation_id,
            org_id=org_id,
            assessment_id=version.assessment_id,
            assessment_version_id=version.id,
            public_link_id=public_link_id,
            email=clean_email(request.email),
            name=clean_name(request.name),
            labels=json.dumps(list(clean_labels(request.labels))),
            message=request.message,
            nonce=nonce,
            token_hash=tokens.digest(token),
            state=state.value,
            decision=None,
            decided_by=None,
            created_by=user_id,
            created_at=now,
            expires_at=expires_at,
            window_start=request.window_start,
            window_end=request.window_end,
            time_limit_minutes=request.time_limit_minutes,
            opened_at=now if state is AttemptState.OPENED else None,
            started_at=None,
            deadline=None,
            submitted_at=None,
            session_id=None,
            score=None,
            passed=None,
            result=None,
        )
        return row, token

    def _body(self, row: InvitationRow, version: AssessmentVersion, url: str) -> str:
        minutes = row.time_limit_minutes or version.spec.total_minutes
        lines = [f"Hello {row.name},", ""]
        if row.message:
            lines += [row.message, ""]
        lines += [
            f'You are invited to take the assessment "{version.spec.title}".',
            f"You will have {minutes} minutes once you start; you can read the rules first.",
            "",
            f"Open it here: {url}",
            "",
            f"This link is yours alone and works until {row.expires_at:%Y-%m-%d %H:%M} UTC.",
        ]
        if row.window_start is not None:
            lines.append(f"It opens at {row.window_start:%Y-%m-%d %H:%M} UTC.")
        return "\n".join(lines) + "\n"

    # ---- public links ----------------------------------------------------------------------

    async def create_public_link(
        self,
        org_id: str,
        user_id: str,
        slug: str,
        *,
        labels: Sequence[str],
        expires_at: datetime | None,
        time_limit_minutes: int | None,
    ) -> PublicLink:
        check_time_limit(time_limit_minutes)
        version = await self._content.current_assessment(org_id, slug)
        now = self._clock()
        expires = expires_at or now + self._ttl
        if expires <= now:
            raise InvalidInput("the expiry is in the past", details={"field": "expires_at"})
        link_id, nonce = tokens.new_id(), tokens.new_nonce()
        token = tokens.derive_token(self._secret, PUBLIC_LINK_PURPOSE, link_id, nonce)
        row = PublicLinkRow(
            id=link_id,
            org_id=org_id,
            assessment_id=version.assessment_id,
            nonce=nonce,
            token_hash=tokens.digest(token),
            labels=json.dumps(list(clean_labels(labels))),
            time_limit_minutes=time_limit_minutes,
            created_by=user_id,
            created_at=now,
            expires_at=expires,
            revoked_at=None,
        )
        async with self._db.transaction() as tx:
            tx.add(row)
        return self._public_link(row, slug)

    def _public_link(self, row: PublicLinkRow, slug: str) -> PublicLink:
        token = tokens.derive_token(self._secret, PUBLIC_LINK_PURPOSE, row.id, row.nonce)
        return PublicLink(
            id=row.id,
            assessment_slug=slug,
            labels=tuple(json.loads(row.labels)),
            time_limit_minutes=row.time_limit_minutes,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked=row.revoked_at is not None,
            url=f"{self._base}/take/public/{token}",
        )

    async def revoke_public_link(self, org_id: str, link_id: str) -> None:
        async with self._db.transaction() as tx:
            row = await tx.get(PublicLinkRow, link_id)
            if row is None or row.org_id != org_id:
                raise NotFound("no such public link")
            if row.revoked_at is None:
                row.revoked_at = self._clock()

    async def public_link_title(self, token: str) -> tuple[PublicLinkRow, AssessmentVersion]:
        """The live public link behind ``token`` and its assessment: unknown -> 404, revoked
        -> 403, expired -> 410."""
        async with self._db.session() as s:
            found = (
                await s.execute(
                    select(PublicLinkRow, AssessmentRow.slug)
                    .join(AssessmentRow, AssessmentRow.id == PublicLinkRow.assessment_id)
                    .where(PublicLinkRow.token_hash == tokens.digest(token))
                )
            ).first()
        if found is None:
            raise NotFound("this link does not exist")
        row, slug = found
        if row.revoked_at is not None:
            raise Forbidden("this link has been revoked", details={"reason": "revoked"})
        if self._clock() >= row.expires_at:
            raise Gone("this link has expired", details={"reason": "expired"})
        return row, await self._content.current_assessment(row.org_id, slug)

    async def start_from_public_link(self, token: str, *, name: str, email: str) -> str:
        """A candidate arriving through a public link gets an invitation of their own (opened);
        returns its token. Rate-limited per link."""
        link, version = await self.public_link_title(token)
        now = self._clock()
        request = InvitationRequest(
            email=email,
            name=name,
            labels=json.loads(link.labels),
            time_limit_minutes=link.time_limit_minutes,
            expires_at=min(link.expires_at, now + timedelta(days=1)),
        )
        row, own = self._new_row(
            link.org_id, None, version, request, now, state=AttemptState.OPENED, public_link_id=link.id
        )
        self._limiter.take(link.id)  # after the form is checked: a typo does not cost a start
        async with self._db.transaction() as tx:
            tx.add(row)
        return own

    # ---- reading -------------------------------------------------------------------------

    async def search(
        self, org_id: str, slug: str, *, state: AttemptState | None = None, label: str | None = None
    ) -> list[Invitation]:
        now = self._clock()
        async with self._db.session() as s:
            rows = (
                await s.execute(
                    select(InvitationRow)
                    .join(AssessmentRow, AssessmentRow.id == InvitationRow.assessment_id)
                    .where(AssessmentRow.org_id == org_id, AssessmentRow.slug == slug)
                    .order_by(InvitationRow.created_at.desc(), InvitationRow.id)
                    .limit(10_000)
                )
            ).scalars()
            found = [invitation_of(row, slug, now) for row in rows]
        if state is not None:
            found = [i for i in found if i.state is state]
        if label is not None:
            found = [i for i in found if label in i.labels]
        return found

    async def get_row(self, s: AsyncSession, org_id: str, invitation_id: str) -> tuple[InvitationRow, str]:
        found = (
            await s.execute(
                select(InvitationRow, AssessmentRow.slug)
                .join(AssessmentRow, AssessmentRow.id == InvitationRow.assessment_id)
                .where(InvitationRow.id == invitation_id, InvitationRow.org_id == org_id)
            )
        ).first()
        if found is None:
            raise NotFound("no such invitation", details={"invitation_id": invitation_id})
        return found[0], found[1]

    async def get(self, org_id: str, invitation_id: str) -> tuple[Invitation, str | None]:
        """The invitation and its stored result (JSON; reviewers only)."""
        async with self._db.session() as s:
            row, slug = await self.get_row(s, org_id, invitation_id)
            return invitation_of(row, slug, self._clock()), row.result

    async def decide(self, org_id: str, user_id: str, invitation_id: str, decision: Decision) -> Invitation:
        async with self._db.transaction() as tx:
            row, slug = await self.get_row(tx, org_id, invitation_id)
            if row.state != AttemptState.SUBMITTED:
                raise Conflict("only a submitted attempt can be approved or rejected")
            row.decision, row.decided_by = decision.value, user_id
            return invitation_of(row, slug, self._clock())

    async def scored_results(self, org_id: str, assessment_id: str) -> list[tuple[str, str, str]]:
        """(id, name, result JSON) of every scored attempt of an assessment (the last 1000)."""
        async with self._db.session() as s:
            rows = (
                await s.execute(
                    select(InvitationRow.id, InvitationRow.name, InvitationRow.result)
                    .where(
                        InvitationRow.org_id == org_id,
                        InvitationRow.assessment_id == assessment_id,
                        InvitationRow.result.is_not(None),
                    )
                    .order_by(InvitationRow.submitted_at.desc())
                    .limit(1000)
                )
            ).all()
        return [(i, name, result) for i, name, result in rows if result is not None]

    async def assessments(self, org_id: str) -> list[tuple[str, str]]:
        """(slug, title) of the organization's assessments, by title."""
        async with self._db.session() as s:
            rows = (
                await s.execute(
                    select(AssessmentRow.slug, AssessmentRow.title)
                    .where(AssessmentRow.org_id == org_id)
                    .order_by(AssessmentRow.title)
                    .limit(1000)
                )
            ).all()
        return [(slug, title) for slug, title in rows]
