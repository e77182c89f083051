"""Versioned content in the database (SQLite and PostgreSQL): importing the same content twice
makes no version, an edit makes the next one, and an older version never changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import anyio
import pytest
from sqlalchemy import inspect

from server.accounts.models import Organization
from server.errors import NotFound
from server.exec.runtime.languages import load_catalogue
from server.hiring.assessment import load_assessment
from server.hiring.content_repository import ContentRepository
from server.hiring.loader import load_challenge
from server.store.account_repository import SqlAccountRepository
from server.store.database import Database
from server.store.migrate import upgrade
from server.tokens import new_id
from tests.support.challenge_folders import ADD_FILES, ECHO_FILES, as_bytes

pytestmark = pytest.mark.anyio

CATALOGUE = load_catalogue()
ASSESSMENT = "id: quick\ntitle: Quick\ntime_limit_minutes: 20\npassing_score: 50\nlanguages: [python]\n" + (
    "challenges:\n  - challenge: add\n  - challenge: echo-sum\n"
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    async with Database(database_url) as database:
        await upgrade(database)
        yield database


async def organization(db: Database) -> str:
    org = Organization(new_id(), "Acme", datetime.now(UTC))
    await SqlAccountRepository(db).add_organization(org)
    return org.id


async def test_the_migration_creates_the_content_tables(db: Database) -> None:
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {"challenges", "challenge_versions", "assessments", "assessment_versions"} <= tables


async def test_the_tables_match_the_migration(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import server.store.all_tables  # noqa: F401 - registers every table
    from server.store.base import Base

    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    mine = ("challenges", "challenge_versions", "assessments", "assessment_versions")
    assert [d for d in diff if any(name in repr(d) for name in mine)] == []


async def test_import_is_versioned_by_content(db: Database) -> None:
    org, content = await organization(db), ContentRepository(db)
    files = as_bytes(ADD_FILES)
    first = await content.import_challenge(
        org, load_challenge(files, CATALOGUE), files, {"python": ["test_small"]}
    )
    assert (first.number, first.created) == (1, True)
    again = await content.import_challenge(
        org, load_challenge(files, CATALOGUE), files, {"python": ["test_small"]}
    )
    assert (again.version_id, again.created) == (first.version_id, False)

    edited = files | {"instructions.md": b"# Add\n\nNow with more words.\n"}
    second = await content.import_challenge(org, load_challenge(edited, CATALOGUE), edited, {"python": ["x"]})
    assert (second.number, second.created) == (2, True) and second.content_hash != first.content_hash

    # the first version is exactly what was imported, whatever came after
    old = await content.challenge_version(first.version_id)
    assert old.files == files and old.expected_tests == {"python": ("test_small",)} and old.number == 1
    assert old.load(CATALOGUE).instructions == "# Add\n\nWrite `add(a, b)`.\n"
    current = await content.current_challenge(org, "add")
    assert current.id == second.version_id and current.load(CATALOGUE).instructions.endswith("more words.\n")

    # going back to the first content makes it current again, without a third version
    back = await content.import_challenge(
        org, load_challenge(files, CATALOGUE), files, {"python": ["test_small"]}
    )
    assert (back.version_id, back.created) == (first.version_id, False)
    assert (await content.current_challenge(org, "add")).id == first.version_id
    assert [number for number, _, _ in await content.challenge_versions(org, "add")] == [1, 2]


async def test_organizations_do_not_share_content(db: Database) -> None:
    a, b = await organization(db), await organization(db)
    content = ContentRepository(db)
    files = as_bytes(ADD_FILES)
    await content.import_challenge(a, load_challenge(files, CATALOGUE), files, {})
    with pytest.raises(NotFound):
        await content.current_challenge(b, "add")
    imported = await content.import_challenge(b, load_challenge(files, CATALOGUE), files, {})
    assert imported.number == 1 and imported.created


async def test_an_assessment_pins_the_challenge_versions_it_was_imported_with(db: Database) -> None:
    org, content = await organization(db), ContentRepository(db)
    spec = load_assessment(ASSESSMENT, "quick.yaml")
    with pytest.raises(NotFound, match="add"):
        await content.import_assessment(org, spec, ASSESSMENT)  # its challenges come first
    add, echo = as_bytes(ADD_FILES), as_bytes(ECHO_FILES)
    add_v1 = await content.import_challenge(org, load_challenge(add, CATALOGUE), add, {})
    await content.import_challenge(org, load_challenge(echo, CATALOGUE), echo, {})
    first = await content.import_assessment(org, spec, ASSESSMENT)
    assert (first.number, first.created) == (1, True)
    assert (await content.import_assessment(org, spec, ASSESSMENT)).created is False

    edited = add | {"instructions.md": b"# Add, edited\n"}
    add_v2 = await content.import_challenge(org, load_challenge(edited, CATALOGUE), edited, {})
    second = await content.import_assessment(org, spec, ASSESSMENT)  # same file, new challenge version
    assert (second.number, second.created) == (2, True)
    current = await content.current_assessment(org, "quick")
    assert current.challenge_versions["add"] == add_v2.version_id
    assert current.spec.passing_score == 50 and current.id == second.version_id
    assert add_v1.version_id != add_v2.version_id


async def test_concurrent_first_imports_make_one_challenge(db: Database) -> None:
    org, content = await organization(db), ContentRepository(db)
    files = as_bytes(ADD_FILES)
    results = []

    async def one() -> None:
        results.append(await content.import_challenge(org, load_challenge(files, CATALOGUE), files, {}))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(one)
    assert len({r.version_id for r in results}) == 1
    assert sum(r.created for r in results) == 1
