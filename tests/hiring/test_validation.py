"""Validation catches broken content in the sandbox, and the judge scores submissions: tests by
the framework on the submitted files, input/output cases compared by the host."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.exec.runtime.languages import LanguageCatalogue
from server.hiring.judge import Judge
from server.hiring.loader import load_challenge
from server.hiring.submission import submission_run_files
from server.hiring.validation import load_folder, prove_challenge
from tests.support.challenge_folders import ADD_FILES, ECHO_FILES, as_bytes, write_folder

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.bwrap]


async def validated(
    tmp_path: Path, files: dict[str, str], catalogue: LanguageCatalogue, judge: Judge
) -> list[str]:
    check = load_folder(write_folder(tmp_path / "challenge", files), catalogue)
    await prove_challenge(check, judge)
    return [str(problem) for problem in check.problems]


async def test_valid_challenges_validate(tmp_path: Path, catalogue: LanguageCatalogue, judge: Judge) -> None:
    assert await validated(tmp_path / "a", ADD_FILES, catalogue, judge) == []
    assert await validated(tmp_path / "b", ECHO_FILES, catalogue, judge) == []


async def test_a_failing_reference_and_a_passing_starter_are_reported(
    tmp_path: Path, catalogue: LanguageCatalogue, judge: Judge
) -> None:
    broken = ADD_FILES | {
        "python/solution/main.py": "def add(a, b):\n    return a - b if a < 0 else a + b\n",
        "python/starter/main.py": "def add(a, b):\n    return a + b\n",
    }
    found = await validated(tmp_path, broken, catalogue, judge)
    assert "python/submission/: the reference solution fails test_negative: " in "\n".join(found)
    assert "python/starter/: the starter passes every submission test: it must fail one" in found


async def test_a_reference_that_does_not_build_is_reported(
    tmp_path: Path, catalogue: LanguageCatalogue, judge: Judge
) -> None:
    files = ADD_FILES | {"python/solution/main.py": "def add(a, b:\n"}
    found = await validated(tmp_path, files, catalogue, judge)
    assert any(
        "the reference solution fails" in problem or "reported no result" in problem for problem in found
    )


async def test_io_reference_mismatches_name_the_case(
    tmp_path: Path, catalogue: LanguageCatalogue, judge: Judge
) -> None:
    files = ECHO_FILES | {
        "cases/submission/big.out": "7\n",
        "python/starter/main.py": "print(0)\nprint(3)\n",
        # a sample case and a scored case of the same name: the wrong one is named by its kind
        "cases/sample/one.out": "4\n",
        "cases/submission/one.in": "1 2\n",
        "cases/submission/one.out": "3\n",
    }
    found = await validated(tmp_path, files, catalogue, judge)
    assert "cases/submission/big.out: python reference solution: wrong output" in found
    assert "cases/sample/one.out: python reference solution: wrong output" in found
    assert not any(problem.startswith("cases/submission/one") for problem in found)
    assert not any("starter" in problem for problem in found)  # the starter fails "big"


async def test_a_submission_is_scored_on_its_own_files(catalogue: LanguageCatalogue, judge: Judge) -> None:
    challenge = load_challenge(as_bytes(ADD_FILES), catalogue)
    python = challenge.languages["python"]
    expected = ["test_small", "test_negative", "test_hidden_file"]
    cheat = {
        # right for positive numbers only; edits the read-only helper and its own tests, and
        # brings a conftest that would mark every test passed: none of those reach the run
        "main.py": b"from helpers import check\n\n\ndef add(a, b):\n    return check(abs(a) + abs(b))\n",
        "helpers.py": b"def check(value):\n    return -3\n",
        "conftest.py": (
            b"import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
            b"def pytest_runtest_makereport(item, call):\n    outcome = yield\n"
            b"    outcome.get_result().outcome = 'passed'\n"
        ),
    }
    files = submission_run_files(challenge.code, python, cheat)
    scored = await judge.score(challenge, "python", files, expected)
    assert {item.name: item.passed for item in scored.items} == {
        "test_small": True,
        "test_negative": False,
        "test_hidden_file": True,
    }
    assert (scored.earned, scored.possible) == (2, 5)  # test_negative weighs 3


async def test_a_submission_that_forges_the_report_scores_zero_with_the_evidence(
    catalogue: LanguageCatalogue, judge: Judge
) -> None:
    """Wrong code that writes a pass for every test into the report's descriptor and exits: the
    run is tampered, the score 0, and the evidence is the reason reviewers see."""
    challenge = load_challenge(as_bytes(ADD_FILES), catalogue)
    expected = ["test_small", "test_negative", "test_hidden_file"]
    lines = "".join(
        json.dumps({"name": n, "status": "passed", "message": "", "duration_ms": 1}) + "\n" for n in expected
    )
    forger = (
        "import os\n"
        "for fd in map(int, os.listdir('/proc/self/fd')):\n"
        "    try:\n"
        "        target = os.readlink(f'/proc/self/fd/{fd}')\n"
        "    except OSError:\n"
        "        continue\n"
        "    if target == '/results/report.jsonl':\n"
        f"        os.write(fd, {lines!r}.encode())\n"
        "        os._exit(0)\n"
        "def add(a, b):\n    return 0\n"
    )
    files = submission_run_files(challenge.code, challenge.languages["python"], {"main.py": forger.encode()})
    scored = await judge.score(challenge, "python", files, expected)
    assert scored.score == 0 and not any(item.passed for item in scored.items), scored
    assert scored.voided.startswith("tampered: "), scored


async def test_a_submission_that_does_not_parse_scores_zero(
    catalogue: LanguageCatalogue, judge: Judge
) -> None:
    challenge = load_challenge(as_bytes(ADD_FILES), catalogue)
    files = submission_run_files(challenge.code, challenge.languages["python"], {"main.py": b"def add(:\n"})
    scored = await judge.score(
        challenge, "python", files, ["test_small", "test_negative", "test_hidden_file"]
    )
    assert scored.score == 0 and scored.possible == 5


async def test_io_cases_are_compared_by_the_host(catalogue: LanguageCatalogue, judge: Judge) -> None:
    challenge = load_challenge(as_bytes(ECHO_FILES), catalogue)
    python = challenge.languages["python"]
    # prints what a forged "all passed" would look like, then the right sum for one case only
    partial = b"import sys\nprint('PASSED 2/2')\nprint(sum(float(x) for x in sys.stdin.read().split()))\n"
    scored = await judge.score(
        challenge, "python", submission_run_files(challenge.code, python, {"main.py": partial}), []
    )
    assert scored.score == 0
    right = python.solution["main.py"]
    scored = await judge.score(
        challenge, "python", submission_run_files(challenge.code, python, {"main.py": right}), []
    )
    assert scored.score == 100
    slow = b"import time\ntime.sleep(60)\n"
    files = submission_run_files(challenge.code, python, {"main.py": slow})
    quick = challenge.code.model_copy(
        update={"scoring": challenge.code.scoring.model_copy(update={"case_seconds": 1})}
    )
    timed = await judge.score(
        challenge.__class__(
            quick, challenge.instructions, challenge.content_hash, challenge.languages, challenge.cases
        ),
        "python",
        files,
        [],
    )
    assert timed.score == 0 and all(item.message.startswith("time_limit") for item in timed.items)
