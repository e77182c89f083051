"""Property-based fuzzing of the REST API from its own OpenAPI document, against a live server.

Runs the schemathesis CLI (its primary interface; its pytest plugin does not support pytest 9)
with every check on: no 5xx, answers conform to the documented schemas and status codes,
invalid input is rejected, auth is enforced.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.duet_cli import provision_admin
from tests.support.live_server import live_server

pytestmark = pytest.mark.slow


def test_api_conforms_and_never_answers_5xx(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'duet.db'}"
    key = provision_admin(tmp_path, database_url)
    with live_server(tmp_path, database_url) as server:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(Path(__file__).with_name("schemathesis.toml")),
                "run",
                f"{server.url}/api/openapi.json",
                "--checks",
                "all",
                "--header",
                f"Authorization: Bearer {key}",
                "--max-examples",
                "60",
                "--seed",
                "20261122",
                "--no-color",
                "--warnings",
                "off",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        server_log = server.log()
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " 500 " not in server_log and "Traceback" not in server_log, server_log[-4000:]
