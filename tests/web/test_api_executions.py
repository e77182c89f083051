"""POST /api/v1/executions and GET /api/v1/runtimes through the app, with the real bwrap engine."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from server.accounts.models import OrgRole
from server.exec.runtime import host_ids
from server.exec.runtime.rootfs import RUNNER_UID
from server.settings import Settings
from server.web.app import create_app
from tests.support.app_harness import AppHarness
from tests.support.language_samples import SAMPLES
from tests.support.problems import assert_problem
from tests.support.redis_server import redis_url, unique_prefix

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Execution does not depend on the database: SQLite only."""
    return f"sqlite:///{tmp_path / 'duet.db'}"


def body(code: str, **extra: object) -> dict[str, object]:
    return {"language": "python", "files": [{"path": "main.py", "content": code}], **extra}


async def test_run_answers_with_the_result(app: AppHarness, admin_headers: dict[str, str]) -> None:
    response = await app.client.post(
        "/api/v1/executions", json=body("print(input().upper())", stdin="shout\n"), headers=admin_headers
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["status"], result["stdout"], result["exit_code"]) == ("ok", "SHOUT\n", 0)
    assert result["wall_ms"] >= 0 and result["memory_bytes"] > 0 and result["tests"] is None
    assert result["limits"]["memory_bytes"] == 256 * 1024 * 1024


async def test_statuses_and_limits_come_back(app: AppHarness, admin_headers: dict[str, str]) -> None:
    spin = await app.client.post(
        "/api/v1/executions", json=body("while True: pass", limits={"cpu_seconds": 1}), headers=admin_headers
    )
    assert spin.json()["status"] == "time_limit" and spin.json()["limits"]["cpu_seconds"] == 1
    crash = await app.client.post(
        "/api/v1/executions", json=body("raise SystemExit(4)"), headers=admin_headers
    )
    assert (crash.json()["status"], crash.json()["exit_code"]) == ("runtime_error", 4)


async def test_test_mode_reports_each_test(app: AppHarness, admin_headers: dict[str, str]) -> None:
    sample = SAMPLES["python"]
    response = await app.client.post(
        "/api/v1/executions",
        json={
            "language": "python",
            "mode": "test",
            "files": [
                {"path": "main.py", "content": sample.solution},
                {"path": "test_main.py", "content": sample.tests},
            ],
            "expected_tests": [*sample.names, "test_missing"],
        },
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    tests = response.json()["tests"]
    assert [(t["name"], t["status"]) for t in tests["results"]] == [
        ("test_add", "passed"),
        ("test_sub", "passed"),
        ("test_mul", "failed"),
        ("test_div", "error"),
        ("test_missing", "failed"),
    ]
    assert (tests["passed"], tests["failed"], tests["errors"]) == (2, 2, 1)
    assert (tests["tampered"], tests["evidence"], tests["verified"]) == (False, [], True)


async def test_a_forged_test_report_is_tampered_with_its_evidence(
    app: AppHarness, admin_headers: dict[str, str]
) -> None:
    """A solution that writes passing lines into the report and exits scores nothing, and the
    execution says why (docs/exec-languages.md, "Scoring nobody can forge")."""
    sample = SAMPLES["python"]
    lines = "".join(
        json.dumps({"name": n, "status": "passed", "message": "", "duration_ms": 1}) + "\n"
        for n in sample.names
    )
    forger = f"import os\nopen('/results/report.jsonl', 'a').write({lines!r})\nos._exit(0)\n"
    response = await app.client.post(
        "/api/v1/executions",
        json={
            "language": "python",
            "mode": "test",
            "files": [
                {"path": "main.py", "content": forger + sample.solution},
                {"path": "test_main.py", "content": sample.tests},
            ],
            "expected_tests": list(sample.names),
        },
        headers=admin_headers,
    )
    assert response.status_code == 200, response.text
    tests = response.json()["tests"]
    assert (tests["tampered"], tests["passed"], tests["verified"]) == (True, 0, True), tests
    assert any("was not finished by the harness" in line for line in tests["evidence"]), tests


async def test_binary_files_in_base64(app: AppHarness, admin_headers: dict[str, str]) -> None:
    data = base64.b64encode(bytes(range(256))).decode()
    code = "print(len(open('blob.bin','rb').read()))"
    files = [
        {"path": "main.py", "content": code},
        {"path": "blob.bin", "content": data, "encoding": "base64"},
    ]
    response = await app.client.post(
        "/api/v1/executions", json={"language": "python", "files": files}, headers=admin_headers
    )
    assert response.json()["stdout"] == "256\n"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (body("x", language="cobol"), 404, "unknown_language"),
        ({"language": "python", "files": [{"path": "../main.py", "content": "x"}]}, 422, "invalid_input"),
        ({"language": "python", "files": [{"path": "/etc/main.py", "content": "x"}]}, 422, "invalid_input"),
        ({"language": "python", "files": [{"path": "a//main.py", "content": "x"}]}, 422, "invalid_input"),
        ({"language": "python", "files": [{"path": "other.py", "content": "x"}]}, 422, "invalid_input"),
        (body("x", mode="test"), 422, "invalid_input"),
        (body("x", limits={"wall_seconds": 10_000}), 422, "invalid_input"),
        (body("x", limits={"memory_bytes": -1}), 422, "invalid_input"),
        (body("x", limits={"network": 1}), 422, "invalid_input"),
        (body("x" * 3000, limits={"disk_bytes": 1000}), 413, "payload_too_large"),
        (
            {"language": "python", "files": [{"path": "main.py", "content": "!!", "encoding": "base64"}]},
            422,
            "invalid_input",
        ),
        (
            {
                "language": "python",
                "files": [{"path": "main.py", "content": "a"}, {"path": "main.py", "content": "b"}],
            },
            422,
            "invalid_input",
        ),
        ({"language": "python", "files": []}, 422, "invalid_input"),
    ],
)
async def test_bad_requests_get_clear_errors(
    app: AppHarness, admin_headers: dict[str, str], payload: dict[str, object], status: int, code: str
) -> None:
    response = await app.client.post("/api/v1/executions", json=payload, headers=admin_headers)
    assert_problem(response, status, code)


async def test_executions_need_an_api_key(app: AppHarness) -> None:
    assert_problem(await app.client.post("/api/v1/executions", json=body("print(1)")), 401, "unauthenticated")


async def test_runtimes_lists_every_language(app: AppHarness, admin_headers: dict[str, str]) -> None:
    runtimes = (await app.client.get("/api/v1/runtimes", headers=admin_headers)).json()
    assert runtimes["engine"] == "bwrap" and runtimes["available"] is True
    languages = {r["language"]: r for r in runtimes["runtimes"]}
    assert len(languages) == 12 and languages["python"]["version"].startswith("Python 3")
    assert languages["java"]["test_framework"].startswith("JUnit")


async def run_once(settings: Settings) -> tuple[httpx.Response, httpx.Response]:
    """POST one run and GET the runtimes on an app built from ``settings``."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        svc = application.state.services
        org = await svc.accounts.default_organization()
        user = await svc.accounts.create_user(
            org_id=org.id, email="a@example.com", password="long password!", role=OrgRole.ADMIN
        )
        _, key = await svc.accounts.create_api_key(user)
        headers = {"Authorization": f"Bearer {key}"}
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            run = await client.post("/api/v1/executions", json=body("print(1)"), headers=headers)
            runtimes = await client.get("/api/v1/runtimes", headers=headers)
    return run, runtimes


async def test_without_runtimes_runs_answer_503_with_the_reason(settings: Settings, tmp_path: Path) -> None:
    run, runtimes = await run_once(replace(settings, runtime_cache=str(tmp_path / "empty")))
    error = assert_problem(run, 503, "unavailable")
    assert "duet runtime build" in str(error["message"])
    assert runtimes.json()["available"] is False and "duet runtime build" in runtimes.json()["reason"]


async def test_a_host_user_with_the_sandbox_uid_turns_execution_off(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code never runs under an id a host user has: no engine starts, runs answer 503."""
    passwd = tmp_path / "passwd"
    passwd.write_text(f"root:x:0:0::/root:/bin/sh\nsomeone:x:{RUNNER_UID}:100::/home/someone:/bin/sh\n")
    monkeypatch.setattr(host_ids, "PASSWD", passwd)
    run, runtimes = await run_once(settings)
    error = assert_problem(run, 503, "unavailable")
    assert f"user someone has uid {RUNNER_UID}" in str(error["message"])
    assert runtimes.json()["available"] is False and "is in use on this host" in runtimes.json()["reason"]


@pytest.mark.redis
async def test_with_redis_and_no_worker_runs_answer_503_with_the_reason(settings: Settings) -> None:
    run, runtimes = await run_once(replace(settings, redis_url=redis_url(), redis_prefix=unique_prefix()))
    error = assert_problem(run, 503, "unavailable")
    assert "duet worker" in str(error["message"])
    assert runtimes.json()["engine"] == "queue" and runtimes.json()["available"] is False
