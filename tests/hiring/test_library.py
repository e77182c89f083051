"""The shipped library (top-level assessments/) validates in the real sandbox: every reference
solution passes all its tests and cases, every starter fails one, every file fits its schema;
and it has what the product promises (8+ code challenges in 4+ languages, easy to hard, a
multi-file project, an input/output challenge, a questionnaire with deal-breakers, a 20-30
minute pre-screen and a 60-90 minute in-depth assessment)."""

from __future__ import annotations

import pytest

from server.exec.runtime.languages import LanguageCatalogue
from server.hiring.challenge_schema import CodeChallengeSpec, IOScoring, QAChallengeSpec
from server.hiring.judge import Judge
from server.hiring.library import prove, scan_path
from tests.support.challenge_folders import LIBRARY

pytestmark = [pytest.mark.anyio, pytest.mark.slow, pytest.mark.bwrap]


def test_the_library_has_what_the_product_promises(catalogue: LanguageCatalogue) -> None:
    check = scan_path(LIBRARY, catalogue)
    assert check.ok, "\n".join(check.lines())
    specs = [c.challenge.spec for c in check.challenges if c.challenge is not None]
    code = [s for s in specs if isinstance(s, CodeChallengeSpec)]
    assert len(code) >= 8
    assert len({language for s in code for language in s.languages}) >= 4
    assert {s.difficulty for s in code} == {"easy", "medium", "hard"}
    assert any(isinstance(s.scoring, IOScoring) for s in code)
    assert any(s.files and s.ignore_at_submission for s in code)  # the multi-file project
    assert any(q.deal_breaker for s in specs if isinstance(s, QAChallengeSpec) for q in s.questions)
    minutes = sorted(a.spec.total_minutes for a in check.assessments if a.spec is not None)
    assert len(minutes) >= 2 and 20 <= minutes[0] <= 30 and 60 <= minutes[-1] <= 90


async def test_every_challenge_of_the_library_validates_in_the_sandbox(
    catalogue: LanguageCatalogue, judge: Judge
) -> None:
    check = scan_path(LIBRARY, catalogue)
    await prove(check, judge)
    assert check.ok, "\n".join(check.lines())
    code = [c for c in check.challenges if c.challenge is not None and c.challenge.spec.type == "code"]
    assert all(c.runs > 0 for c in code)
    # the expected tests are what the reference reported: every scored test of every language
    fizzbuzz = next(c for c in check.challenges if c.folder.name == "fizzbuzz")
    assert fizzbuzz.expected_tests["python"] == (
        "test_first_five",
        "test_fifteen_is_fizzbuzz",
        "test_length",
        "test_multiples",
        "test_zero_and_negative",
    )
    assert len(fizzbuzz.expected_tests["javascript"]) == len(fizzbuzz.expected_tests["ruby"]) == 5
