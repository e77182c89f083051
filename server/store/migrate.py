"""Apply Alembic migrations programmatically, safely when several nodes start at once."""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from server.store.database import Database

logger = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
# An arbitrary constant: the PostgreSQL advisory lock that serializes migrations across nodes.
_PG_LOCK_KEY = 0x6475657401


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Held until the migrating transaction commits, so a node that waited for it sees the
        # committed schema (a session lock released before the commit would let it migrate again).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@asynccontextmanager
async def _file_lock(db: Database) -> AsyncIterator[None]:
    """SQLite: serialize concurrent `duet serve` starts on one file with an flock (taken in a
    worker thread: waiting for it must not block the event loop)."""
    database = make_url(db.url).database
    if not db.is_sqlite or not database or database == ":memory:":
        yield
        return
    lock_path = Path(database).with_name(Path(database).name + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await anyio.to_thread.run_sync(fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


async def upgrade(db: Database) -> str | None:
    """Bring the schema to the newest revision; returns it."""
    async with _file_lock(db), db.engine.connect() as conn:
        before = await conn.run_sync(_current)
        await conn.run_sync(_upgrade)
        await conn.commit()
        after = await conn.run_sync(_current)
    if before != after:
        logger.info("database migrated from %s to %s", before or "empty", after)
    return after


async def current_revision(db: Database) -> str | None:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_current)
