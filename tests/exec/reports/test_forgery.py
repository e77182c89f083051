"""A program cannot pass tests it fails by simple means: early exit(0), fake result lines on
stdout/stderr/fd 3, fake report files in the work dir, symlinks planted in the results dir."""

from __future__ import annotations

import pytest

from server.exec.reports import read_test_report
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import Engine
from tests.support.language_runs import run_tests
from tests.support.language_samples import SAMPLES
from tests.support.report_forgers import FORGERS, forger_files

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def test_every_language_that_runs_code_has_a_forger(catalogue: LanguageCatalogue) -> None:
    assert set(FORGERS) == set(catalogue.ids()) - {"sql"}


@pytest.mark.parametrize("language_id", sorted(FORGERS))
async def test_forger_scores_only_what_really_passed(
    language_id: str, catalogue: LanguageCatalogue, engine: Engine
) -> None:
    language = catalogue.get(language_id)
    sample = SAMPLES[language_id]
    files = forger_files(language, sample.tests, sample.names)
    outcome, report = await run_tests(engine, language, files, sample.names)
    # The forger did run (it leaves this regular file in the results dir as evidence).
    assert outcome.collected.get("forged") == b"forged\n"
    # Unverified (the host's own check, no key) it still passes nothing it fails...
    unverified = read_test_report(language, outcome.collected, sample.names)
    assert "passed" not in {r.status for r in unverified.results[1:]}, unverified
    # ...and with the key, where Duet's reporter runs in the tests' process and had reported a
    # pass before the exit(0) in `sub`, the report is unfinished: tampered, nothing scored.
    if language.test.reporter_key and unverified.passed:
        assert report.tampered and any("not finished" in e for e in report.evidence), report
        assert report.passed == 0
    assert not report.tampered or language.test.reporter_key, report
    add, sub, mul, div = report.results
    assert (sub.status, mul.status, div.status) != ("passed",) * 3
    assert "passed" not in {sub.status, mul.status, div.status}, report
    assert add.status in {"passed", "failed"}
    # Nothing reached the host through a symlink: no /etc/shadow, no directory, no planted link.
    assert "shadow" not in outcome.collected
    assert "root" not in outcome.collected
    for name, content in outcome.collected.items():
        assert b"root:" not in content, name


async def test_sql_query_cannot_open_other_files(catalogue: LanguageCatalogue, engine: Engine) -> None:
    """SQL runs no program code: a query that tries to write files gets an SQLite error."""
    language = catalogue.get("sql")
    sample = SAMPLES["sql"]
    query = (
        "ATTACH DATABASE '/results/report.jsonl' AS x;\nVACUUM INTO '/results/fake.jsonl';\n"
        "SELECT name, total FROM orders WHERE total > 1000;\n"
    )
    outcome, report = await run_tests(
        engine, language, {language.source_file: query, language.test.test_file: sample.tests}, sample.names
    )
    assert [r.status for r in report.results] == ["error"] * 4
    assert not report.tampered, report
    assert outcome.collected["report.jsonl"].count(b"\n") == 5  # four results and the end record
