"""Bash, tests with bats writing a JUnit report."""

from server.exec.runtime.languages.model import HARNESS_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="bash",
    display_name="Bash",
    packages=("bash", "bats"),
    source_file="main.sh",
    run=("bash", "main.sh"),
    version=("bash", "--version"),
    test=TestHarness(
        framework="bats",
        test_file="main.bats",
        run=("sh", f"{HARNESS_DIR}/bash/run-tests.sh"),
        report=ReportFormat.JUNIT_XML,
        report_files=("report.xml",),
        reports_errors=False,
    ),
)
