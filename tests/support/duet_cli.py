"""Run the real `duet` command line against a server's var dir and database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.live_server import server_env

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"


def duet(var_dir: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=server_env(var_dir, database_url, 8000),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def provision_admin(var_dir: Path, database_url: str, email: str = ADMIN_EMAIL) -> str:
    """Create an admin with the CLI and return an API key for them."""
    created = duet(
        var_dir,
        database_url,
        "user",
        "create",
        "--email",
        email,
        "--password",
        ADMIN_PASSWORD,
        "--role",
        "admin",
    )
    assert created.returncode == 0, created.stderr
    key = duet(var_dir, database_url, "apikey", "create", "--email", email)
    assert key.returncode == 0, key.stderr
    return key.stdout.strip()
