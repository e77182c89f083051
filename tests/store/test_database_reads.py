"""``Database.fetch`` on PostgreSQL, through asyncpg's own pool: a pooled connection the server
closed is replaced on the spot; a database that is gone, or a statement that fails, is
``Unavailable``, and the pool serves again once the database answers."""

from __future__ import annotations

import pytest

from server.errors import Unavailable
from server.store.database import Database
from tests.support.databases import fresh_postgres

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


async def test_a_read_survives_the_server_closing_its_connection() -> None:
    async with fresh_postgres() as url, Database(url) as db, Database(url) as admin:
        (row,) = await db.fetch("SELECT pg_backend_pid()")
        first = row[0]
        # the server ends the pooled connection (as a restart or an idle timeout would)
        (ended,) = await admin.fetch("SELECT pg_terminate_backend(?)", [first])
        assert ended[0] is True
        (row,) = await db.fetch("SELECT pg_backend_pid() WHERE 1 = ?", [1])
        assert row[0] != first


async def test_a_failing_statement_is_unavailable_and_the_pool_goes_on() -> None:
    async with fresh_postgres() as url, Database(url) as db:
        with pytest.raises(Unavailable):
            await db.fetch("SELECT * FROM no_such_table")
        assert [tuple(r) for r in await db.fetch("SELECT ? + 1", [41])] == [(42,)]


async def test_no_database_is_unavailable() -> None:
    async with fresh_postgres() as url:
        pass  # dropped on leaving
    async with Database(url) as db:
        with pytest.raises(Unavailable):
            await db.fetch("SELECT 1")
