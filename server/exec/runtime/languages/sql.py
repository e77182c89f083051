"""SQL on SQLite: a run executes the script in the sqlite3 shell; a test run executes the query
against each test case's fixture and compares result sets."""

from server.exec.runtime.languages.model import HARNESS_DIR, RESULTS_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="sql",
    display_name="SQL (SQLite)",
    packages=("sqlite3", "python3"),
    source_file="main.sql",
    run=("sqlite3", "-bail", "-batch", ":memory:", ".read main.sql"),
    version=("sqlite3", "--version"),
    test=TestHarness(
        framework="result-set comparison",
        test_file="tests.json",
        run=(
            "python3",
            f"{HARNESS_DIR}/sql/run_tests.py",
            f"{RESULTS_DIR}/report.jsonl",
            "tests.json",
            "main.sql",
        ),
        report=ReportFormat.DUET_JSONL,
        report_files=("report.jsonl",),
        reporter_key=True,
    ),
)
