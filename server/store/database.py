"""The database connection: SQLite (aiosqlite) by default, PostgreSQL (asyncpg) when configured."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import asyncpg
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolProxiedConnection

from server.errors import ConfigurationError, Unavailable

#: Connections kept for ``fetch`` on PostgreSQL, beside SQLAlchemy's pool for the rest.
READ_POOL_SIZE = 10
#: What a read on a pooled connection the server ended raises (a restart, an idle timeout,
#: ``pg_terminate_backend``): the server's notice, or the connection found closed.
_LOST_CONNECTION = (
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a statement sent while the notice was handled
    OSError,
)

logger = logging.getLogger(__name__)


def normalize_url(url: str) -> str:
    """Accept plain ``sqlite:///`` / ``postgresql://`` URLs and pick the async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in {"postgresql", "postgres"}:
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ConfigurationError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers never block the writer. synchronous=NORMAL: a commit survives the process
    # being killed (the WAL is in the OS page cache); only a power loss may lose the last commits.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@contextmanager
def unavailable_on_connection_errors() -> Iterator[None]:
    """The database not answering is a 503 (or close code 4503), not a crash."""
    try:
        yield
    except (OperationalError, InterfaceError, OSError) as exc:
        logger.error("database unavailable: %s", exc)
        raise Unavailable("the database is unavailable; try again shortly") from exc


def create_engine(url: str) -> AsyncEngine:
    async_url = normalize_url(url)
    parsed = make_url(async_url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(async_url)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(async_url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class Database:
    """Owns the engine and hands out sessions (units of work)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer: tuple[AsyncConnection, PoolProxiedConnection] | None = None
        self._writer_lock = anyio.Lock()
        self._reader: tuple[AsyncConnection, PoolProxiedConnection] | None = None
        self._reader_lock = anyio.Lock()
        self._read_pool: asyncpg.Pool | None = None  # PostgreSQL's reads (``fetch``)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads (and explicit commits); a lost database becomes ``Unavailable``."""
        with unavailable_on_connection_errors():
            async with self.sessions() as session:
                yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction: committed on success, rolled back on error."""
        with unavailable_on_connection_errors():
            async with self.sessions() as session, session.begin():
                yield session

    @asynccontextmanager
    async def writer_connection(self) -> AsyncIterator[Any]:
        """One connection kept for the event log's writer, as the driver's own object (aiosqlite
        or asyncpg): its group commit runs for every batch of keystrokes, and a pool checkout or
        SQLAlchemy's per-statement work would cost more than the insert. One user at a time; the
        caller commits. Whatever fails becomes ``Unavailable`` and the connection is thrown away
        (the next use opens a new one)."""
        async with self._writer_lock:
            if self._writer is None:
                with unavailable_on_connection_errors():
                    connection = await self.engine.connect()
                    self._writer = (connection, await connection.get_raw_connection())
            pooled = self._writer[1]
            try:
                yield pooled.driver_connection
            except Exception as exc:
                pooled.invalidate(exc)
                await self._close_writer()
                logger.error("the event log's database connection failed: %s", exc)
                raise Unavailable("the database is unavailable; try again shortly") from exc

    async def _close_writer(self) -> None:
        writer, self._writer = self._writer, None
        await _close_quietly(writer)

    async def fetch(self, sql: str, parameters: Sequence[Any] = ()) -> list[Sequence[Any]]:
        """The rows of one read straight through the driver, ``?`` marking each parameter. For
        reads on a hot path (every room a node loads, every console that opens): through
        SQLAlchemy, one such read cost about a millisecond of the event loop, most of it the
        pool's and the statement's trips to aiosqlite's thread (a cursor, the statement, the
        rows, closing the cursor, the rollback on return), where the query itself takes a few
        microseconds. On SQLite every read goes through one connection kept for them (aiosqlite
        runs them in turn on its thread; each sees every commit made before it starts); on
        PostgreSQL each takes a pooled connection. Whatever fails becomes ``Unavailable``."""
        if not self.is_sqlite:
            return await self._fetch_postgres(sql, parameters)
        if self._reader is None:
            async with self._reader_lock:
                if self._reader is None:
                    with unavailable_on_connection_errors():
                        connection = await self.engine.connect()
                        self._reader = (connection, await connection.get_raw_connection())
        reader = self._reader
        driver: Any = reader[1].driver_connection
        try:
            rows = await driver.execute_fetchall(sql, parameters)
        except Exception as exc:
            if self._reader is reader:
                self._reader = None
                reader[1].invalidate(exc)
                await _close_quietly(reader)
            logger.error("a database read failed: %s", exc)
            raise Unavailable("the database is unavailable; try again shortly") from exc
        return list(rows)

    async def _fetch_postgres(self, sql: str, parameters: Sequence[Any]) -> list[Sequence[Any]]:
        """Through asyncpg's own pool, kept for these reads: a checkout there costs no round trip,
        where SQLAlchemy's pinged the connection and rolled back on return (about 0.8 ms a read
        against 0.2 ms, measured with ``SELECT 1``). A read runs outside any transaction and
        leaves nothing to reset; a connection whose read fails (or is cancelled) is closed."""
        numbered = sql.split("?")
        statement = numbered[0] + "".join(f"${i}{rest}" for i, rest in enumerate(numbered[1:], 1))
        try:
            try:
                return await self._read_postgres(statement, parameters)
            except _LOST_CONNECTION as exc:  # a pooled connection the server closed
                logger.warning("a database read lost its connection, trying a new one: %s", exc)
                if self._read_pool is not None:  # the others are likely gone too (a restart)
                    await self._read_pool.expire_connections()
                return await self._read_postgres(statement, parameters)
        except Exception as exc:
            logger.error("a database read failed: %s", exc)
            raise Unavailable("the database is unavailable; try again shortly") from exc

    async def _read_postgres(self, statement: str, parameters: Sequence[Any]) -> list[Sequence[Any]]:
        pool = self._read_pool or await self._open_read_pool()
        async with pool.acquire() as connection:
            try:
                return list(await connection.fetch(statement, *parameters))
            except BaseException:  # cancelled mid-statement, lost, or failed: not to be reused
                connection.terminate()
                raise

    async def _open_read_pool(self) -> asyncpg.Pool:
        async with self._reader_lock:
            if self._read_pool is None:
                dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
                self._read_pool = await asyncpg.create_pool(
                    dsn, min_size=1, max_size=READ_POOL_SIZE, reset=_nothing_to_reset
                )
            return self._read_pool

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self._close_writer()
        reader, self._reader = self._reader, None
        await _close_quietly(reader)
        read_pool, self._read_pool = self._read_pool, None
        if read_pool is not None:
            with contextlib.suppress(Exception):
                await read_pool.close()
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def _nothing_to_reset(_connection: asyncpg.Connection) -> None:
    """``fetch`` runs one statement outside a transaction: nothing to undo on return."""


async def _close_quietly(kept: tuple[AsyncConnection, PoolProxiedConnection] | None) -> None:
    if kept is not None:
        with contextlib.suppress(Exception):  # maybe broken already: closing is best effort
            await kept[0].close()
