"""The `duet` command, run as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from server import __version__
from tests.support.duet_cli import ADMIN_PASSWORD, duet, provision_admin
from tests.support.live_server import live_server


def test_version_via_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.strip() == f"duet {__version__}"


def test_user_and_apikey_commands(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'duet.db'}"
    migrated = duet(tmp_path, database_url, "migrate")
    assert migrated.returncode == 0 and "revision" in migrated.stdout
    key = provision_admin(tmp_path, database_url, "ops@example.com")
    assert key.startswith("duet_") and len(key) >= 40
    again = duet(
        tmp_path, database_url, "user", "create", "--email", "ops@example.com", "--password", ADMIN_PASSWORD
    )
    assert again.returncode == 2 and "already exists" in again.stderr
    weak = duet(tmp_path, database_url, "user", "create", "--email", "x@example.com", "--password", "short")
    assert weak.returncode == 2 and "at least" in weak.stderr
    unknown = duet(tmp_path, database_url, "apikey", "create", "--email", "nobody@example.com")
    assert unknown.returncode == 2 and "no user" in unknown.stderr


def test_serve_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'duet.db'}"
    key = provision_admin(tmp_path, database_url)
    with live_server(tmp_path, database_url, extra_env={"DUET_SECRET_KEY": ""}) as server:
        assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
        assert (
            httpx.get(f"{server.url}/api/v1/sessions", headers={"Authorization": f"Bearer {key}"}).status_code
            == 200
        )
    secret = tmp_path / "secret_key"
    assert secret.exists() and oct(secret.stat().st_mode & 0o777) == "0o600"
    assert len(secret.read_text().strip()) >= 43


@pytest.mark.postgres
def test_serve_on_postgresql_migrates_at_start(tmp_path: Path) -> None:
    import anyio

    from tests.support.databases import fresh_postgres

    async def scenario() -> None:
        async with fresh_postgres() as database_url:
            key = provision_admin(tmp_path, database_url)
            with live_server(tmp_path, database_url) as server:
                async with httpx.AsyncClient(
                    base_url=server.url, headers={"Authorization": f"Bearer {key}"}
                ) as client:
                    created = await client.post("/api/v1/sessions", json={"title": "pg", "language": "rust"})
                    assert created.status_code == 201
                    assert (await client.get("/healthz")).status_code == 200

    anyio.run(scenario)


def test_worker_needs_redis(tmp_path: Path) -> None:
    result = duet(tmp_path, f"sqlite:///{tmp_path / 'duet.db'}", "worker")
    assert result.returncode == 2 and "DUET_REDIS_URL" in result.stderr
