"""The candidate view holds nothing a candidate must not see: no reference solution, no
submission test, no hidden file, no scored case, no choice value, matcher or deal-breaker flag.
Checked for every challenge of the shipped library and for the test challenges."""

from __future__ import annotations

import json

import pytest

from server.exec.runtime.languages import load_catalogue
from server.hiring.candidate_view import candidate_view
from server.hiring.challenge import Challenge
from server.hiring.challenge_schema import CodeChallengeSpec, QAChallengeSpec
from server.hiring.folder import read_folder
from server.hiring.loader import load_challenge
from tests.support.challenge_folders import ADD_FILES, ECHO_FILES, LIBRARY, as_bytes

CATALOGUE = load_catalogue()


def library() -> list[Challenge]:
    folders = sorted(p for p in (LIBRARY / "challenges").iterdir() if p.is_dir())
    return [load_challenge(read_folder(folder), CATALOGUE) for folder in folders] + [
        load_challenge(as_bytes(ADD_FILES), CATALOGUE),
        load_challenge(as_bytes(ECHO_FILES), CATALOGUE),
    ]


def secrets_of(challenge: Challenge) -> list[str]:
    """Text that must never reach a candidate (long enough not to occur by chance)."""
    found: list[str] = []
    for files in challenge.languages.values():
        starter = files.starter_files()
        found += [c.decode() for p, c in files.solution.items() if starter.get(p) != c]
        found += [c.decode() for c in files.submission_tests.values()]
        found += [f.content.decode() for f in files.starter if f.access == "hidden"]
    found += [case.expected.decode() for case in challenge.cases if not case.sample]
    found += [case.stdin.decode() for case in challenge.cases if not case.sample]
    sample_text = {c.decode() for files in challenge.languages.values() for c in files.sample_tests.values()}
    sample_text |= {case.stdin.decode() for case in challenge.cases if case.sample}
    sample_text |= {case.expected.decode() for case in challenge.cases if case.sample}
    return [s for s in found if len(s.strip()) > 3 and s not in sample_text]


@pytest.mark.parametrize("challenge", library(), ids=lambda c: c.id)
def test_nothing_hidden_reaches_the_candidate(challenge: Challenge) -> None:
    spec = challenge.spec
    languages = spec.languages if isinstance(spec, CodeChallengeSpec) else [None]
    for language in languages:
        view = candidate_view(challenge, language=language, attempt_id="attempt-1")
        served = view.model_dump_json()
        for secret in secrets_of(challenge):
            assert secret not in served
        if isinstance(spec, QAChallengeSpec):
            data = json.loads(served)
            keys = {k for q in data["questions"] for k in q} | {
                k for q in data["questions"] for c in q["choices"] for k in c
            }
            assert not keys & {"value", "matchers", "deal_breaker", "partial_credit"}
            for question in spec.questions:
                for matcher in question.matchers:
                    assert matcher.pattern not in served


def test_the_view_keeps_what_the_candidate_needs() -> None:
    challenge = load_challenge(as_bytes(ADD_FILES), CATALOGUE)
    view = candidate_view(challenge, language="python", attempt_id="a")
    assert {f.path: f.access for f in view.files} == {
        "helpers.py": "read-only",
        "main.py": "editable",
        "test_main.py": "editable",
    }
    echo = candidate_view(load_challenge(as_bytes(ECHO_FILES), CATALOGUE), language="python", attempt_id="a")
    assert [(c.name, c.stdin, c.expected) for c in echo.sample_cases] == [("one", "1 2\n", "3\n")]


def test_an_offered_language_only() -> None:
    with pytest.raises(ValueError, match="no 'go' version"):
        candidate_view(load_challenge(as_bytes(ADD_FILES), CATALOGUE), language="go", attempt_id="a")
