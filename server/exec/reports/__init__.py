"""Per-test results: parse each framework's report file, then score against the expected tests."""

from server.exec.reports.model import (
    MAX_MESSAGE_CHARS,
    MAX_NAME_CHARS,
    MAX_REPORT_BYTES,
    MAX_TESTS,
    ParsedReport,
    TestReport,
    TestResult,
    TestStatus,
)
from server.exec.reports.parse import parse_report
from server.exec.reports.scoring import (
    MISSING_MESSAGE,
    TAMPERED_MESSAGE,
    UNVERIFIED_MESSAGE,
    read_test_report,
    score,
)
from server.exec.reports.seal import keyed_stdin, new_run_key

__all__ = [
    "MAX_MESSAGE_CHARS",
    "MAX_NAME_CHARS",
    "MAX_REPORT_BYTES",
    "MAX_TESTS",
    "MISSING_MESSAGE",
    "TAMPERED_MESSAGE",
    "UNVERIFIED_MESSAGE",
    "ParsedReport",
    "TestReport",
    "TestResult",
    "TestStatus",
    "parse_report",
    "keyed_stdin",
    "new_run_key",
    "read_test_report",
    "score",
]
