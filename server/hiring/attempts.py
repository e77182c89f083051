"""The candidate's side of an invitation: open (intro and rules), start (a session is created
with the candidate as its participant, so the attempt is recorded like a live interview, and a
deadline is set), read each challenge as ``candidate_view`` shows it, save work as it is
written, run the sample tests, and submit (by hand, or by the deadline: nothing is accepted
after it). Submitting twice is harmless: only the first hand-in is scored."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server import tokens
from server.errors import Conflict, Forbidden, Gone, InvalidInput, NotFound
from server.exec.runtime.languages import LanguageCatalogue
from server.hiring.assessment import load_assessment
from server.hiring.assessment_schema import AssessmentSpec
from server.hiring.attempt_quota import AttemptQuota
from server.hiring.attempt_results import HandedIn, score_handed_in
from server.hiring.attempt_work import Work, checked_work
from server.hiring.candidate_view import CandidateChallenge, candidate_view
from server.hiring.challenge import Challenge
from server.hiring.challenge_schema import CodeChallengeSpec, TestsScoring
from server.hiring.content_repository import ContentRepository
from server.hiring.invitation_model import AttemptState, deadline_for
from server.hiring.invitations import invitation_of
from server.hiring.judge import Judge
from server.hiring.submission import sample_run_files
from server.sessions.roles import Role
from server.sessions.service import SessionService
from server.store.attempt_tables import AttemptPartRow, AttemptWorkRow, InvitationRow
from server.store.database import Database
from server.store.hiring_tables import AssessmentRow, AssessmentVersionRow

log = logging.getLogger(__name__)

#: Loaded challenge versions kept in memory (versions never change, so a cache never goes stale).
MAX_CACHED_CHALLENGES = 256
#: A started attempt still without a session this long after its start gets one (its start failed).
SESSION_REPAIR_AFTER = timedelta(seconds=10)
#: A hand-in whose scoring has not finished this long after is scored again (it was interrupted).
RESCORE_AFTER = timedelta(minutes=10)

EndSession = Callable[[str, str], Awaitable[object]]


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ChallengeSummary:
    id: str
    title: str
    type: str
    languages: tuple[str, ...]
    time_limit_minutes: int | None


@dataclass(frozen=True, slots=True)
class CandidateAttempt:
    """What the candidate's pages show: never a score, a hidden test or another candidate."""

    name: str
    title: str
    description: str
    state: AttemptState
    time_limit_minutes: int
    window_start: datetime | None
    deadline: datetime | None
    now: datetime
    challenges: tuple[ChallengeSummary, ...]
    session_id: str | None
    #: The candidate's pad token for the attempt's session (recording, integrity signals).
    pad_token: str | None


@dataclass(frozen=True, slots=True)
class _Loaded:
    row: InvitationRow
    slug: str
    spec: AssessmentSpec
    challenge_versions: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SampleRun:
    status: str
    tests: tuple[tuple[str, str, str], ...]  # (name, status, message)
    output: str


class AttemptService:
    def __init__(
        self,
        db: Database,
        content: ContentRepository,
        sessions: SessionService,
        judge: Judge,
        catalogue: LanguageCatalogue,
        *,
        end_session: EndSession,
        quota: AttemptQuota | None = None,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._quota = quota or AttemptQuota()
        self._db = db
        self._content = content
        self._sessions = sessions
        self._judge = judge
        self._catalogue = catalogue
        self._end_session = end_session
        self._clock = clock
        self._challenges: dict[str, Challenge] = {}

    # ---- loading -------------------------------------------------------------------------

    async def _load(self, token: str) -> _Loaded:
        if not token or len(token) > 100:
            raise NotFound("this invitation does not exist")
        async with self._db.session() as s:
            found = (
                await s.execute(
                    select(InvitationRow, AssessmentRow.slug, AssessmentVersionRow)
                    .join(AssessmentRow, AssessmentRow.id == InvitationRow.assessment_id)
                    .join(
                        AssessmentVersionRow, AssessmentVersionRow.id == InvitationRow.assessment_version_id
                    )
                    .where(InvitationRow.token_hash == tokens.digest(token))
                )
            ).first()
        if found is None:
            raise NotFound("this invitation does not exist")
        row, slug, version = found
        return _Loaded(
            row,
            slug,
            load_assessment(version.definition, f"{slug}.yaml"),
            json.loads(version.challenge_versions),
        )

    async def challenge(self, version_id: str) -> Challenge:
        cached = self._challenges.get(version_id)
        if cached is None:
            cached = (await self._content.challenge_version(version_id)).load(self._catalogue)
            if len(self._challenges) >= MAX_CACHED_CHALLENGES:
                self._challenges.clear()
            self._challenges[version_id] = cached
        return cached

    async def _summary(self, loaded: _Loaded) -> tuple[ChallengeSummary, ...]:
        out = []
        for item in loaded.spec.challenges:
            challenge = await self.challenge(loaded.challenge_versions[item.challenge])
            languages = (
                tuple(lang for lang in loaded.spec.languages if lang in challenge.languages)
                if isinstance(challenge.spec, CodeChallengeSpec)
                else ()
            )
            out.append(
                ChallengeSummary(
                    challenge.id,
                    challenge.spec.title,
                    challenge.spec.type,
                    languages,
                    item.time_limit_minutes or challenge.spec.time_limit_minutes,
                )
            )
        return tuple(out)

    async def _attempt(self, loaded: _Loaded) -> CandidateAttempt:
        row, now = loaded.row, self._clock()
        if (
            row.state == AttemptState.STARTED
            and row.session_id is None
            and row.started_at is not None
            and now - row.started_at > SESSION_REPAIR_AFTER
        ):  # the start that claimed it failed before making the session: make it now
            await self._attach_session(loaded)
            async with self._db.session() as s:
                fresh = await s.get(InvitationRow, row.id)
            assert fresh is not None
            loaded = await self._load_row(fresh)
            row = loaded.row
        inv = invitation_of(row, loaded.slug, now)
        pad_token = None
        if row.session_id is not None and inv.state is AttemptState.STARTED:
            pad_token = await self._pad_token(row.session_id, row.org_id)
        return CandidateAttempt(
            name=row.name,
            title=loaded.spec.title,
            description=loaded.spec.description,
            state=inv.state,
            time_limit_minutes=row.time_limit_minutes or loaded.spec.total_minutes,
            window_start=row.window_start,
            deadline=row.deadline,
            now=now,
            challenges=await self._summary(loaded),
            session_id=row.session_id if inv.state is AttemptState.STARTED else None,
            pad_token=pad_token,
        )

    async def _pad_token(self, session_id: str, org_id: str) -> str | None:
        session = await self._sessions.get(session_id, org_id=org_id)
        for participant in await self._sessions.participants(session):
            if participant.role is Role.CANDIDATE:
                return self._sessions.participant_token(participant)
        return None

    # ---- the flow ------------------------------------------------------------------------

    async def open(self, token: str) -> CandidateAttempt:
        """The intro page: the first visit marks the invitation opened. A started attempt past
        its deadline is handed in now."""
        loaded = await self._load(token)
        await self._settle(loaded)
        loaded = await self._load(token)
        if loaded.row.state == AttemptState.INVITED and self._live(loaded.row):
            async with self._db.transaction() as tx:
                await tx.execute(
                    update(InvitationRow)
                    .where(
                        InvitationRow.id == loaded.row.id, InvitationRow.state == AttemptState.INVITED.value
                    )
                    .values(state=AttemptState.OPENED.value, opened_at=self._clock())
                )
            loaded = await self._load(token)
        return await self._attempt(loaded)

    def _live(self, row: InvitationRow) -> bool:
        now = self._clock()
        return now < row.expires_at and (row.window_end is None or now < row.window_end)

    async def start(self, token: str) -> CandidateAttempt:
        """Start the clock (once: starting again changes nothing), then give the attempt its
        recorded session. Starts that race claim the row first, so one session is made."""
        loaded = await self._load(token)
        row = loaded.row
        if row.state in (AttemptState.STARTED, AttemptState.SUBMITTED):
            await self._settle(loaded)
            return await self._attempt(await self._load(token))
        now = self._clock()
        if not self._live(row):
            raise Gone("this invitation has expired", details={"reason": "expired"})
        if row.window_start is not None and now < row.window_start:
            raise Forbidden(
                f"this assessment opens at {row.window_start:%Y-%m-%d %H:%M} UTC",
                details={"reason": "not_open_yet"},
            )
        deadline = deadline_for(
            now,
            assessment_minutes=loaded.spec.total_minutes,
            override_minutes=row.time_limit_minutes,
            window_end=row.window_end,
        )
        async with self._db.transaction() as tx:
            won = _rowcount(
                await tx.execute(
                    update(InvitationRow)
                    .where(
                        InvitationRow.id == row.id,
                        InvitationRow.state.in_([AttemptState.INVITED.value, AttemptState.OPENED.value]),
                    )
                    .values(
                        state=AttemptState.STARTED.value,
                        opened_at=row.opened_at or now,
                        started_at=now,
                        deadline=deadline,
                    )
                )
            )
        loaded = await self._load(token)
        if won:
            await self._attach_session(loaded)
            loaded = await self._load(token)
        return await self._attempt(loaded)

    async def _attach_session(self, loaded: _Loaded) -> None:
        """Create the attempt's session with the candidate as its only participant (the
        interviewer and observer links are revoked), unless it has one by then."""
        row = loaded.row
        session, links = await self._sessions.create(
            org_id=row.org_id,
            title=f"Assessment: {loaded.spec.title} ({row.name})"[:200],
            language=next(iter(loaded.spec.languages)),
            created_by=row.created_by,
        )
        candidate_link = next(issued for issued in links if issued.link.role is Role.CANDIDATE)
        await self._sessions.join(candidate_link.token, display_name=row.name[:64])
        for role in (Role.INTERVIEWER, Role.OBSERVER):
            await self._sessions.revoke_link(session, role)
        async with self._db.transaction() as tx:
            won = _rowcount(
                await tx.execute(
                    update(InvitationRow)
                    .where(InvitationRow.id == row.id, InvitationRow.session_id.is_(None))
                    .values(session_id=session.id)
                )
            )
        if not won:
            await self._end_session(session.id, row.org_id)

    async def _started(self, token: str) -> _Loaded:
        """The attempt, which must be started and within its deadline (else it is handed in)."""
        loaded = await self._load(token)
        row = loaded.row
        if row.state == AttemptState.SUBMITTED:
            raise Conflict("this attempt was submitted", details={"reason": "submitted"})
        if row.state != AttemptState.STARTED:
            raise Conflict("start the assessment first", details={"reason": "not_started"})
        assert row.deadline is not None
        if self._clock() >= row.deadline:
            await self._hand_in(loaded)
            raise Gone("the time is up: your work was submitted", details={"reason": "time_up"})
        return loaded

    async def view(
        self, token: str, challenge_id: str, language: str | None
    ) -> tuple[CandidateChallenge, Work | None, datetime | None]:
        """A challenge as the candidate sees it, with what they saved of it and, when it has a
        time limit of its own, when its time is up (it runs from the first time it is opened)."""
        loaded = await self._started(token)
        challenge = await self._item(loaded, challenge_id)
        part_deadline = await self._part_deadline(loaded, challenge_id)
        work = await self._work(loaded.row.id, challenge_id)
        if isinstance(challenge.spec, CodeChallengeSpec):
            language = language or (work.language if work else None) or self._languages(loaded, challenge)[0]
            if language not in self._languages(loaded, challenge):
                raise InvalidInput(
                    f"{challenge_id!r} is not offered in {language!r}", details={"field": "language"}
                )
        else:
            language = None
        return candidate_view(challenge, language=language, attempt_id=loaded.row.id), work, part_deadline

    async def _part_deadline(self, loaded: _Loaded, challenge_id: str) -> datetime | None:
        """When this challenge's own time limit ends (None: it has none), never after the
        attempt's deadline. Its clock starts the first time it is opened (or saved)."""
        item = next(i for i in loaded.spec.challenges if i.challenge == challenge_id)
        if item.time_limit_minutes is None:
            return None
        key = (loaded.row.id, challenge_id)
        async with self._db.session() as s:
            part = await s.get(AttemptPartRow, key)
        if part is None:
            try:
                async with self._db.transaction() as tx:
                    tx.add(AttemptPartRow(invitation_id=key[0], challenge=key[1], opened_at=self._clock()))
            except IntegrityError:  # opened in another tab at the same moment: theirs counts
                pass
            async with self._db.session() as s:
                part = await s.get(AttemptPartRow, key)
        assert part is not None and loaded.row.deadline is not None
        return min(part.opened_at + timedelta(minutes=item.time_limit_minutes), loaded.row.deadline)

    async def _part_open(self, loaded: _Loaded, challenge_id: str) -> None:
        """Refuse work on a challenge whose own time is up (410, nothing stored)."""
        part_deadline = await self._part_deadline(loaded, challenge_id)
        if part_deadline is not None and self._clock() >= part_deadline:
            raise Gone(
                "the time for this part is up: what you saved before counts",
                details={"reason": "part_time_up", "challenge": challenge_id},
            )

    def _languages(self, loaded: _Loaded, challenge: Challenge) -> list[str]:
        return [lang for lang in loaded.spec.languages if lang in challenge.languages]

    async def _item(self, loaded: _Loaded, challenge_id: str) -> Challenge:
        version_id = loaded.challenge_versions.get(challenge_id)
        if version_id is None or challenge_id not in {i.challenge for i in loaded.spec.challenges}:
            raise NotFound("no such challenge in this assessment", details={"challenge": challenge_id})
        return await self.challenge(version_id)

    async def _work(self, invitation_id: str, challenge_id: str) -> Work | None:
        async with self._db.session() as s:
            row = await s.get(AttemptWorkRow, (invitation_id, challenge_id))
            return Work.from_json(row.language, row.content) if row is not None else None

    async def save(
        self,
        token: str,
        challenge_id: str,
        *,
        language: str | None,
        files: Mapping[str, str],
        answers: Mapping[str, Mapping[str, object]],
    ) -> datetime:
        """Keep the candidate's latest work for a challenge; refused after the deadline."""
        loaded = await self._started(token)
        challenge = await self._item(loaded, challenge_id)
        if isinstance(challenge.spec, CodeChallengeSpec):
            if language not in self._languages(loaded, challenge):
                raise InvalidInput(
                    f"{challenge_id!r} is not offered in {language!r}", details={"field": "language"}
                )
        else:
            language = None
        work = checked_work(language, files, answers)
        await self._part_open(loaded, challenge_id)
        self._quota.take("save", loaded.row.id)
        now = self._clock()
        async with self._db.transaction() as tx:
            # the state is checked again inside the write: a hand-in between the two keeps its work
            still = (
                await tx.execute(
                    select(InvitationRow.id)
                    .where(
                        InvitationRow.id == loaded.row.id, InvitationRow.state == AttemptState.STARTED.value
                    )
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if still is None:
                raise Conflict("this attempt was submitted", details={"reason": "submitted"})
            row = await tx.get(AttemptWorkRow, (loaded.row.id, challenge_id))
            if row is None:
                tx.add(
                    AttemptWorkRow(
                        invitation_id=loaded.row.id,
                        challenge=challenge_id,
                        language=language,
                        content=work.to_json(),
                        updated_at=now,
                    )
                )
            else:
                row.language, row.content, row.updated_at = language, work.to_json(), now
        return now

    async def run_samples(
        self, token: str, challenge_id: str, language: str, files: Mapping[str, str]
    ) -> SampleRun:
        """Run the visible sample tests (or sample cases) on the candidate's files. Unscored."""
        loaded = await self._started(token)
        challenge = await self._item(loaded, challenge_id)
        if not isinstance(challenge.spec, CodeChallengeSpec) or language not in self._languages(
            loaded, challenge
        ):
            raise InvalidInput("nothing to run here", details={"field": "language"})
        work = checked_work(language, files, {})
        await self._part_open(loaded, challenge_id)
        with self._quota.one_run(loaded.row.id):
            return await self._run_samples(challenge, language, work)

    async def _run_samples(self, challenge: Challenge, language: str, work: Work) -> SampleRun:
        assert isinstance(challenge.spec, CodeChallengeSpec)
        written = {path: text.encode() for path, text in work.files.items()}
        own = challenge.languages[language]
        run_files = sample_run_files(challenge.spec, own, written)
        if isinstance(challenge.spec.scoring, TestsScoring):
            run = await self._judge.test_run(language, run_files, None)
            tests = tuple(
                (r.name, r.status, r.message) for r in (run.report.results if run.report is not None else ())
            )
            return SampleRun(
                "error" if run.failure else "ok", tests, (run.failure + "\n" + run.output).strip()
            )
        samples = tuple(case for case in challenge.cases if case.sample)
        results = await self._judge.cases(challenge, language, run_files, samples)
        return SampleRun(
            "ok", tuple((r.name, "passed" if r.passed else "failed", r.message) for r in results), ""
        )

    async def submit(self, token: str) -> CandidateAttempt:
        """Hand the attempt in (a second call changes nothing)."""
        loaded = await self._load(token)
        if loaded.row.state == AttemptState.STARTED:
            await self._hand_in(loaded)
        elif loaded.row.state != AttemptState.SUBMITTED:
            raise Conflict("start the assessment first", details={"reason": "not_started"})
        return await self._attempt(await self._load(token))

    async def _settle(self, loaded: _Loaded) -> None:
        row = loaded.row
        if row.state == AttemptState.STARTED and row.deadline is not None and self._clock() >= row.deadline:
            await self._hand_in(loaded)

    async def _hand_in(self, loaded: _Loaded) -> None:
        row = loaded.row
        now = self._clock()
        submitted_at = min(now, row.deadline) if row.deadline is not None else now
        async with self._db.transaction() as tx:
            won = _rowcount(
                await tx.execute(
                    update(InvitationRow)
                    .where(InvitationRow.id == row.id, InvitationRow.state == AttemptState.STARTED.value)
                    .values(state=AttemptState.SUBMITTED.value, submitted_at=submitted_at)
                )
            )
        if not won:
            return
        if row.session_id is not None:
            await self._end_session(row.session_id, row.org_id)
        await self._score(loaded)

    # ---- scoring -------------------------------------------------------------------------

    async def _score(self, loaded: _Loaded) -> None:
        row = loaded.row
        parts = []
        for item in loaded.spec.challenges:
            version = await self._content.challenge_version(loaded.challenge_versions[item.challenge])
            parts.append(
                HandedIn(
                    await self.challenge(version.id),
                    version.expected_tests,
                    await self._work(row.id, item.challenge),
                )
            )
        total, result = await score_handed_in(loaded.spec, parts, self._judge)
        async with self._db.transaction() as tx:
            await tx.execute(
                update(InvitationRow)
                .where(InvitationRow.id == row.id)
                .values(score=total.score, passed=total.passed, result=json.dumps(result))
            )

    async def settle_due(self) -> int:
        """Hand in every started attempt past its deadline, and score any submitted attempt
        whose scoring was interrupted. Returns how many were handled."""
        now = self._clock()
        async with self._db.session() as s:
            due = list(
                (
                    await s.execute(
                        select(InvitationRow.id, InvitationRow.state)
                        .where(
                            (
                                (InvitationRow.state == AttemptState.STARTED.value)
                                & (InvitationRow.deadline <= now)
                            )
                            | (
                                (InvitationRow.state == AttemptState.SUBMITTED.value)
                                & InvitationRow.result.is_(None)
                                & (InvitationRow.submitted_at <= now - RESCORE_AFTER)
                            )
                        )
                        .limit(50)
                    )
                ).all()
            )
        for invitation_id, state in due:
            async with self._db.session() as s:
                row = await s.get(InvitationRow, invitation_id)
            if row is None:
                continue
            loaded = await self._load_row(row)
            if state == AttemptState.STARTED.value:
                await self._hand_in(loaded)
            else:
                await self._score(loaded)
        return len(due)

    async def _load_row(self, row: InvitationRow) -> _Loaded:
        async with self._db.session() as s:
            found = (
                await s.execute(
                    select(AssessmentRow.slug, AssessmentVersionRow)
                    .join(AssessmentVersionRow, AssessmentVersionRow.assessment_id == AssessmentRow.id)
                    .where(AssessmentVersionRow.id == row.assessment_version_id)
                )
            ).first()
        if found is None:
            raise NotFound("no such assessment version")
        slug, version = found
        return _Loaded(
            row,
            slug,
            load_assessment(version.definition, f"{slug}.yaml"),
            json.loads(version.challenge_versions),
        )

    @asynccontextmanager
    async def running(self, every_seconds: float = 2.0) -> AsyncIterator[AttemptService]:
        """Hand in attempts at their deadline even when nobody is looking at them."""

        async def loop() -> None:
            while True:
                try:
                    await self.settle_due()
                except Exception:
                    log.exception("handing in attempts past their deadline failed; trying again")
                await anyio.sleep(every_seconds)

        async with anyio.create_task_group() as tg:
            tg.start_soon(loop)
            try:
                yield self
            finally:
                tg.cancel_scope.cancel()


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
