"""Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from tests.support.prerequisites import missing

POSTGRES_ENV = "DUET_TEST_DATABASE_URL"


def postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        missing(f"{POSTGRES_ENV} is not set (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return url


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """Create a uniquely named database next to the admin one; drop it afterwards."""
    admin = make_url(postgres_admin_url())
    name = f"duet_test_{secrets.token_hex(6)}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        missing(f"PostgreSQL at {admin.host}:{admin.port} does not answer: {exc}")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


@asynccontextmanager
async def fresh_database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'duet.db'}"
        return
    async with fresh_postgres() as url:
        yield url
