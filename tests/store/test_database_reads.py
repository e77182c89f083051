"""``Database.fetch`` on PostgreSQL, through asyncpg's own pool: a pooled connection the server
closed is replaced on the spot; a database that is gone, or a statement that fails, is
``Unavailable``, and the pool serves again once the database answers."""

from __future__ import annotations

import anyio
import pytest

from server.errors import Unavailable
from server.store.database import Database
from tests.support.databases import fresh_postgres

pytestmark = [pytest.mark.anyio, pytest.mark.postgres]


async def test_a_read_survives_the_server_closing_its_connections() -> None:
    async with fresh_postgres() as url, Database(url) as db, Database(url) as admin:
        # several pooled connections, all ended by the server (as a restart would end them)
        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(db.fetch, "SELECT pg_sleep(0.2)")
        pids = [
            r[0]
            for r in await admin.fetch(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
        assert len(pids) >= 2
        for pid in pids:
            (ended,) = await admin.fetch("SELECT pg_terminate_backend(?)", [pid])
            assert ended[0] is True
        for _ in range(6):
            (row,) = await db.fetch("SELECT pg_backend_pid() WHERE 1 = ?", [1])
            assert row[0] not in pids


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


async def test_a_cancelled_read_leaves_no_busy_connection_behind() -> None:
    async with fresh_postgres() as url, Database(url) as db:
        with anyio.move_on_after(0.3) as scope:
            await db.fetch("SELECT pg_sleep(30)")
        assert scope.cancelled_caught
        for _ in range(12):  # more reads than the pool holds connections
            assert [tuple(r) for r in await db.fetch("SELECT ?::int", [7])] == [(7,)]
