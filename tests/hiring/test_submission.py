"""What a run of a challenge gets: a submission keeps only the candidate's editable work."""

from __future__ import annotations

from server.exec.runtime.languages import load_catalogue
from server.hiring.loader import load_challenge
from server.hiring.submission import candidate_work, sample_run_files, submission_run_files
from tests.support.challenge_folders import ADD_FILES, as_bytes

CHALLENGE = load_challenge(as_bytes(ADD_FILES), load_catalogue())
SPEC = CHALLENGE.code
PYTHON = CHALLENGE.languages["python"]


def written() -> dict[str, bytes]:
    """A candidate who solved it, edited a read-only file, wrote their own tests and a conftest
    that would make every test pass, and overwrote the sample tests."""
    return {
        "main.py": b"def add(a, b):\n    return a + b\n",
        "helpers.py": b"def check(value):\n    return 42\n",
        "secret_numbers.txt": b"1 1\n",
        "test_main.py": b"def test_everything():\n    pass\n",
        "test_mine.py": b"def test_mine():\n    pass\n",
        "conftest.py": b"import pytest\n# rewrite every report to passed\n",
        "notes/plan.md": b"first add, then test\n",
    }


def test_a_submission_takes_editable_work_and_restores_the_rest() -> None:
    files = submission_run_files(SPEC, PYTHON, written())
    assert files["main.py"] == b"def add(a, b):\n    return a + b\n"
    assert files["helpers.py"] == b"def check(value):\n    return value\n"  # read-only: restored
    assert files["secret_numbers.txt"] == b"40 2\n"  # hidden: the challenge's own
    assert files["test_main.py"] == PYTHON.submission_tests["test_main.py"]  # hidden tests win
    assert "test_mine.py" not in files and "conftest.py" not in files  # ignored at submission
    assert files["notes/plan.md"] == b"first add, then test\n"  # other new files are work


def test_candidate_work_drops_test_files_even_without_an_ignore_rule() -> None:
    spec = SPEC.model_copy(update={"ignore_at_submission": []})
    assert "test_main.py" not in candidate_work(spec, PYTHON, written())


def test_a_sample_run_uses_the_candidates_own_tests() -> None:
    files = sample_run_files(SPEC, PYTHON, written())
    assert files["test_main.py"] == b"def test_everything():\n    pass\n"
    assert files["helpers.py"] == b"def check(value):\n    return value\n"
    # the candidate sees a sample run's output: a hidden file is not there to be printed
    assert "secret_numbers.txt" not in files
    assert (
        sample_run_files(SPEC, PYTHON, {"main.py": b""})["test_main.py"]
        == PYTHON.sample_tests["test_main.py"]
    )
