"""Migrations on both databases: from empty to head, idempotent, safe when nodes start together."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy import inspect

from server.store.database import Database
from server.store.migrate import current_revision, head_revision, upgrade

pytestmark = pytest.mark.anyio


async def test_upgrade_from_empty_is_idempotent(database_url: str) -> None:
    async with Database(database_url) as db:
        assert await current_revision(db) is None
        assert await upgrade(db) == head_revision()
        assert await upgrade(db) == head_revision()
        async with db.engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {
        "organizations",
        "users",
        "api_keys",
        "logins",
        "interview_sessions",
        "join_links",
        "participants",
    } <= tables


async def test_concurrent_starts_migrate_once(database_url: str) -> None:
    results: list[str | None] = []

    async def node() -> None:
        async with Database(database_url) as db:
            results.append(await upgrade(db))

    async with anyio.create_task_group() as tg:
        for _ in range(5):
            tg.start_soon(node)
    assert results == [head_revision()] * 5
