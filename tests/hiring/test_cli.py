"""`duet challenge validate | import | schema`, run as real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from server.exec.runtime.rootfs import RuntimeRootfs
from tests.support.challenge_folders import ADD_FILES, write_folder
from tests.support.duet_cli import provision_admin
from tests.support.live_server import server_env

SCREENING = """\
id: screening
title: Screening
type: qa
questions:
  - id: auth
    kind: single
    prompt: Allowed to work here?
    deal_breaker: true
    choices: [{id: "y", text: "Yes", value: 1}, {id: "n", text: "No", value: 0}]
"""
ASSESSMENT = """\
id: quick
title: Quick
time_limit_minutes: 20
passing_score: 50
languages: [python]
challenges:
  - challenge: screening
  - challenge: add
"""


def duet(tmp_path: Path, runtime: RuntimeRootfs | None, *args: str) -> subprocess.CompletedProcess[str]:
    extra = {"DUET_SANDBOX": "bwrap"}
    if runtime is not None:
        extra["DUET_RUNTIME_CACHE"] = str(runtime.path.parent)
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        env=server_env(tmp_path, f"sqlite:///{tmp_path / 'duet.db'}", 8000, extra),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def library(root: Path) -> Path:
    write_folder(root / "challenges" / "add", ADD_FILES)
    write_folder(root / "challenges" / "screening", {"challenge.yaml": SCREENING, "instructions.md": "# S\n"})
    write_folder(root / "assessments", {"quick.yaml": ASSESSMENT})
    return root


def test_schema_errors_exit_nonzero_with_file_and_line(tmp_path: Path) -> None:
    root = library(tmp_path / "lib")
    spec = root / "challenges" / "add" / "challenge.yaml"
    spec.write_text(spec.read_text().replace("difficulty: easy", "difficulty: trivial"))
    (root / "assessments" / "quick.yaml").write_text(ASSESSMENT.replace("challenge: add", "challenge: nope"))
    result = duet(tmp_path, None, "challenge", "validate", str(root), "--no-run")
    assert result.returncode == 1
    assert f"{spec}:4: difficulty: Input should be 'easy', 'medium' or 'hard'" in result.stderr
    assert f"{root / 'assessments' / 'quick.yaml'}:8: no challenge 'nope' in the library" in result.stderr
    assert "2 problem(s)" in result.stdout


def test_schema_command_prints_a_json_schema(tmp_path: Path) -> None:
    result = duet(tmp_path, None, "challenge", "schema")
    schema = json.loads(result.stdout)
    assert schema["discriminator"]["propertyName"] == "type"
    assessment = json.loads(duet(tmp_path, None, "challenge", "schema", "--assessment").stdout)
    assert "passing_score" in assessment["properties"]


@pytest.mark.slow
@pytest.mark.bwrap
def test_validate_runs_the_sandbox_and_import_versions_content(
    tmp_path: Path, runtime: RuntimeRootfs
) -> None:
    root = library(tmp_path / "lib")
    valid = duet(tmp_path, runtime, "challenge", "validate", str(root))
    assert valid.returncode == 0, valid.stderr
    assert "2 challenge(s), 1 assessment(s), 3 sandbox run(s): valid" in valid.stdout

    starter = root / "challenges" / "add" / "python" / "starter" / "main.py"
    right = (root / "challenges" / "add" / "python" / "solution" / "main.py").read_text()
    wrong = starter.read_text()
    starter.write_text(right)
    caught = duet(tmp_path, runtime, "challenge", "validate", str(root / "challenges" / "add"))
    assert caught.returncode == 1
    assert "python/starter: the starter passes every submission test: it must fail one" in caught.stderr
    refused = duet(tmp_path, runtime, "challenge", "import", str(root))
    assert refused.returncode == 1 and "nothing imported" in refused.stderr
    starter.write_text(wrong)

    provision_admin(tmp_path, f"sqlite:///{tmp_path / 'duet.db'}")
    first = duet(tmp_path, runtime, "challenge", "import", str(root))
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "challenge add: version 1",
        "challenge screening: version 1",
        "assessment quick: version 1",
    ]
    again = duet(tmp_path, runtime, "challenge", "import", str(root))
    assert "challenge add: version 1 (unchanged)" in again.stdout
    (root / "challenges" / "add" / "instructions.md").write_text("# Add\n\nEdited.\n")
    edited = duet(tmp_path, runtime, "challenge", "import", str(root))
    assert edited.stdout.splitlines() == [
        "challenge add: version 2",
        "challenge screening: version 1 (unchanged)",
        "assessment quick: version 2",  # it now pins add's version 2
    ]
