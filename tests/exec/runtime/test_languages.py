"""Every language in the real rootfs: hello world from stdin, compile errors, per-test results.

Each test runs through both real engines (the ``engine`` fixture: bubblewrap, then Docker).
"""

from __future__ import annotations

import pytest

from server.exec.reports import MISSING_MESSAGE
from server.exec.runtime.languages import LanguageCatalogue, load_catalogue
from server.exec.sandbox import Engine
from tests.support.language_runs import run_language, run_tests
from tests.support.language_samples import GREETING_STDIN, GREETING_STDOUT, SAMPLES

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ALL = sorted(SAMPLES)
COMPILED = sorted(language.id for language in load_catalogue() if language.compile is not None)


def test_every_language_has_a_sample() -> None:
    assert set(SAMPLES) == set(load_catalogue().ids())
    assert COMPILED == ["c", "cpp", "go", "java", "rust", "typescript"]


@pytest.mark.parametrize("language_id", ALL)
async def test_greets_from_stdin(language_id: str, catalogue: LanguageCatalogue, engine: Engine) -> None:
    language = catalogue.get(language_id)
    outcome = await run_language(
        engine, language, {language.source_file: SAMPLES[language_id].greeter}, stdin=GREETING_STDIN
    )
    assert (outcome.status, outcome.stdout) == ("ok", GREETING_STDOUT), outcome.stderr
    assert outcome.step == "run" and outcome.exit_code == 0


@pytest.mark.parametrize("language_id", COMPILED)
async def test_compile_error_is_a_compile_error(
    language_id: str, catalogue: LanguageCatalogue, engine: Engine
) -> None:
    language = catalogue.get(language_id)
    broken = SAMPLES[language_id].broken
    assert broken is not None
    outcome = await run_language(engine, language, {language.source_file: broken})
    assert outcome.status == "compile_error"
    assert outcome.step == "compile"
    diagnostics = outcome.stdout + outcome.stderr
    assert language.source_file in diagnostics


@pytest.mark.parametrize("language_id", ALL)
async def test_tests_report_passed_failed_and_error(
    language_id: str, catalogue: LanguageCatalogue, engine: Engine
) -> None:
    language = catalogue.get(language_id)
    sample = SAMPLES[language_id]
    files = {language.source_file: sample.solution, language.test.test_file: sample.tests}
    outcome, report = await run_tests(engine, language, files, sample.names)
    assert outcome.step == "run", outcome.stderr
    # the harness finished and sealed its report, and nothing outlived it
    assert (report.tampered, report.evidence, report.verified) == (False, (), True), (report, outcome)

    add, sub, mul, div = report.results
    assert [r.name for r in report.results] == list(sample.names)
    assert (add.status, sub.status, mul.status) == ("passed", "passed", "failed"), report
    assert div.status == ("error" if language.test.reports_errors else "failed"), report
    assert mul.message and mul.message != MISSING_MESSAGE
    assert div.message and div.message != MISSING_MESSAGE
    assert (report.passed, report.unexpected, report.all_passed) == (2, (), False)
    assert all(r.duration_ms is None or r.duration_ms >= 0 for r in report.results)
    # The run itself failed (tests failed), but only the report decides which ones.
    assert outcome.status != "ok"


async def test_sample_scores_with_unknown_expected_list(catalogue: LanguageCatalogue, engine: Engine) -> None:
    """Without an expected list (a pad run), what was reported is returned as is."""
    language = catalogue.get("python")
    sample = SAMPLES["python"]
    files = {language.source_file: sample.solution, language.test.test_file: sample.tests}
    _, report = await run_tests(engine, language, files, None)
    assert [(r.name, r.status) for r in report.results] == [
        ("test_add", "passed"),
        ("test_sub", "passed"),
        ("test_mul", "failed"),
        ("test_div", "error"),
    ]
