"""Challenges and assessments in the database, versioned by content hash.

Importing content whose hash a challenge already has makes no new version (it becomes current
again); any other content is version n+1. Versions are never updated or deleted (except with
their organization): whatever was scored against one keeps its exact tests, weights and cases.
An assessment version pins the challenge versions that were current when it was imported."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server.errors import NotFound
from server.exec.runtime.languages import LanguageCatalogue
from server.hiring.assessment import load_assessment
from server.hiring.assessment_schema import AssessmentSpec
from server.hiring.challenge import Challenge
from server.hiring.content_hash import content_hash
from server.hiring.loader import load_challenge
from server.store.database import Database
from server.store.hiring_tables import AssessmentRow, AssessmentVersionRow, ChallengeRow, ChallengeVersionRow
from server.tokens import new_id


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did: the content's version, and whether it is new."""

    slug: str
    version_id: str
    number: int
    content_hash: str
    created: bool


@dataclass(frozen=True, slots=True)
class ChallengeVersion:
    id: str
    challenge_id: str
    slug: str
    number: int
    content_hash: str
    files: Mapping[str, bytes]
    expected_tests: Mapping[str, tuple[str, ...]]
    created_at: datetime

    def load(self, catalogue: LanguageCatalogue | None = None) -> Challenge:
        return load_challenge(self.files, catalogue)


@dataclass(frozen=True, slots=True)
class AssessmentVersion:
    id: str
    assessment_id: str
    slug: str
    number: int
    content_hash: str
    spec: AssessmentSpec
    #: challenge slug -> the challenge version this assessment version uses.
    challenge_versions: Mapping[str, str]
    created_at: datetime


class ContentRepository:
    def __init__(self, db: Database, clock: Callable[[], datetime] = _now) -> None:
        self._db = db
        self._clock = clock

    async def import_challenge(
        self,
        org_id: str,
        challenge: Challenge,
        files: Mapping[str, bytes],
        expected_tests: Mapping[str, Sequence[str]],
    ) -> Imported:
        """Store ``files`` (the folder ``challenge`` was loaded from) as the challenge's current
        version; ``expected_tests`` are the names validation saw the reference report."""
        text_files = json.dumps({path: files[path].decode() for path in sorted(files)})
        tests_json = json.dumps({lang: list(names) for lang, names in sorted(expected_tests.items())})
        digest = content_hash(files)
        return await _retried(
            lambda: self._import_challenge(org_id, challenge, digest, text_files, tests_json)
        )

    async def _import_challenge(
        self, org_id: str, challenge: Challenge, digest: str, files: str, tests: str
    ) -> Imported:
        now = self._clock()
        async with self._db.transaction() as tx:
            row = (
                await tx.execute(
                    select(ChallengeRow)
                    .where(ChallengeRow.org_id == org_id, ChallengeRow.slug == challenge.id)
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                row = ChallengeRow(
                    id=new_id(),
                    org_id=org_id,
                    slug=challenge.id,
                    kind=challenge.spec.type,
                    title=challenge.spec.title,
                    current_version_id="",
                    created_at=now,
                    updated_at=now,
                )
                tx.add(row)
                await tx.flush()
            same = (
                await tx.execute(
                    select(ChallengeVersionRow).where(
                        ChallengeVersionRow.challenge_id == row.id, ChallengeVersionRow.content_hash == digest
                    )
                )
            ).scalar_one_or_none()
            if same is not None:
                if row.current_version_id != same.id:
                    row.current_version_id, row.title, row.updated_at = same.id, same.title, now
                return Imported(challenge.id, same.id, same.number, digest, created=False)
            last = (
                await tx.execute(
                    select(func.max(ChallengeVersionRow.number)).where(
                        ChallengeVersionRow.challenge_id == row.id
                    )
                )
            ).scalar_one()
            version = ChallengeVersionRow(
                id=new_id(),
                challenge_id=row.id,
                number=(last or 0) + 1,
                content_hash=digest,
                title=challenge.spec.title,
                files=files,
                expected_tests=tests,
                created_at=now,
            )
            tx.add(version)
            row.current_version_id, row.title, row.kind, row.updated_at = (
                version.id,
                challenge.spec.title,
                challenge.spec.type,
                now,
            )
            return Imported(challenge.id, version.id, version.number, digest, created=True)

    async def challenge_version(self, version_id: str) -> ChallengeVersion:
        async with self._db.session() as s:
            found = (
                await s.execute(
                    select(ChallengeVersionRow, ChallengeRow.slug)
                    .join(ChallengeRow, ChallengeRow.id == ChallengeVersionRow.challenge_id)
                    .where(ChallengeVersionRow.id == version_id)
                )
            ).first()
        if found is None:
            raise NotFound(f"no challenge version {version_id!r}")
        return _challenge_version(found[0], found[1])

    async def current_challenge(self, org_id: str, slug: str) -> ChallengeVersion:
        async with self._db.session() as s:
            found = (
                await s.execute(
                    select(ChallengeVersionRow, ChallengeRow.slug)
                    .join(ChallengeRow, ChallengeRow.current_version_id == ChallengeVersionRow.id)
                    .where(ChallengeRow.org_id == org_id, ChallengeRow.slug == slug)
                )
            ).first()
        if found is None:
            raise NotFound(f"no challenge {slug!r}")
        return _challenge_version(found[0], found[1])

    async def challenge_versions(self, org_id: str, slug: str) -> list[tuple[int, str, str]]:
        """(number, content hash, version id) of every version, oldest first."""
        async with self._db.session() as s:
            rows = (
                await s.execute(
                    select(
                        ChallengeVersionRow.number, ChallengeVersionRow.content_hash, ChallengeVersionRow.id
                    )
                    .join(ChallengeRow, ChallengeRow.id == ChallengeVersionRow.challenge_id)
                    .where(ChallengeRow.org_id == org_id, ChallengeRow.slug == slug)
                    .order_by(ChallengeVersionRow.number)
                )
            ).all()
        return [(number, digest, version_id) for number, digest, version_id in rows]

    async def import_assessment(self, org_id: str, spec: AssessmentSpec, text: str) -> Imported:
        """Store an assessment, pinning the current version of each of its challenges (which
        must be imported first)."""
        pinned = {}
        for item in spec.challenges:
            pinned[item.challenge] = (await self.current_challenge(org_id, item.challenge)).id
        pinned_json = json.dumps(pinned, sort_keys=True)
        digest = content_hash({"assessment.yaml": text.encode(), "challenges.json": pinned_json.encode()})
        return await _retried(lambda: self._import_assessment(org_id, spec, text, pinned_json, digest))

    async def _import_assessment(
        self, org_id: str, spec: AssessmentSpec, text: str, pinned: str, digest: str
    ) -> Imported:
        now = self._clock()
        async with self._db.transaction() as tx:
            row = (
                await tx.execute(
                    select(AssessmentRow)
                    .where(AssessmentRow.org_id == org_id, AssessmentRow.slug == spec.id)
                    .with_for_update()
                )
            ).scalar_one_or_none()
            if row is None:
                row = AssessmentRow(
                    id=new_id(),
                    org_id=org_id,
                    slug=spec.id,
                    title=spec.title,
                    current_version_id="",
                    created_at=now,
                    updated_at=now,
                )
                tx.add(row)
                await tx.flush()
            same = (
                await tx.execute(
                    select(AssessmentVersionRow).where(
                        AssessmentVersionRow.assessment_id == row.id,
                        AssessmentVersionRow.content_hash == digest,
                    )
                )
            ).scalar_one_or_none()
            if same is not None:
                row.current_version_id, row.updated_at = same.id, now
                return Imported(spec.id, same.id, same.number, digest, created=False)
            last = (
                await tx.execute(
                    select(func.max(AssessmentVersionRow.number)).where(
                        AssessmentVersionRow.assessment_id == row.id
                    )
                )
            ).scalar_one()
            version = AssessmentVersionRow(
                id=new_id(),
                assessment_id=row.id,
                number=(last or 0) + 1,
                content_hash=digest,
                definition=text,
                challenge_versions=pinned,
                created_at=now,
            )
            tx.add(version)
            row.current_version_id, row.title, row.updated_at = version.id, spec.title, now
            return Imported(spec.id, version.id, version.number, digest, created=True)

    async def current_assessment(self, org_id: str, slug: str) -> AssessmentVersion:
        async with self._db.session() as s:
            found = (
                await s.execute(
                    select(AssessmentVersionRow, AssessmentRow.slug)
                    .join(AssessmentRow, AssessmentRow.current_version_id == AssessmentVersionRow.id)
                    .where(AssessmentRow.org_id == org_id, AssessmentRow.slug == slug)
                )
            ).first()
        if found is None:
            raise NotFound(f"no assessment {slug!r}")
        row: AssessmentVersionRow = found[0]
        return AssessmentVersion(
            id=row.id,
            assessment_id=row.assessment_id,
            slug=found[1],
            number=row.number,
            content_hash=row.content_hash,
            spec=load_assessment(row.definition, f"{found[1]}.yaml"),
            challenge_versions=json.loads(row.challenge_versions),
            created_at=row.created_at,
        )


def _challenge_version(row: ChallengeVersionRow, slug: str) -> ChallengeVersion:
    return ChallengeVersion(
        id=row.id,
        challenge_id=row.challenge_id,
        slug=slug,
        number=row.number,
        content_hash=row.content_hash,
        files={path: text.encode() for path, text in json.loads(row.files).items()},
        expected_tests={lang: tuple(names) for lang, names in json.loads(row.expected_tests).items()},
        created_at=row.created_at,
    )


async def _retried(attempt: Callable[[], Awaitable[Imported]]) -> Imported:
    """Two first imports of one slug at once: the one whose insert loses retries (three tries)."""
    for tries_left in (2, 1, 0):
        try:
            return await attempt()
        except IntegrityError:
            if not tries_left:
                raise
    raise AssertionError("unreachable")
