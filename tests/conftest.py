"""Shared fixtures: settings, real databases (SQLite and PostgreSQL), the app, an API key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from server.settings import Settings
from server.web.app import create_app
from tests.support.app_harness import AppHarness
from tests.support.databases import fresh_database

#: Fixtures for the tests that run code (tests/exec, tests/hiring): the catalogue, the rootfs.
pytest_plugins = ["tests.support.runtime_fixtures"]

TEST_SECRET = "test-secret-key-" + "x" * 32


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Parametrizes a test over BOTH databases: a fresh SQLite file and a fresh PostgreSQL database."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        secret_key=TEST_SECRET,
        var_dir=tmp_path,
        database_url=database_url,
        public_base_url="http://duet.test",
        sandbox="bwrap",  # no warm Docker pool per test; the engine suites cover Docker
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[AppHarness]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://duet.test") as client:
            yield AppHarness(client=client, services=application.state.services)


@pytest.fixture
async def admin_headers(app: AppHarness) -> dict[str, str]:
    return await app.api_key(await app.member("admin@example.com"))
