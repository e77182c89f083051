"""Ruby, tests with minitest through a reporter plugin writing a results file."""

from server.exec.runtime.languages.model import HARNESS_DIR, RESULTS_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="ruby",
    display_name="Ruby",
    packages=("ruby", "ruby-minitest"),
    source_file="main.rb",
    run=("ruby", "main.rb"),
    version=("ruby", "--version"),
    test=TestHarness(
        framework="minitest",
        test_file="test_main.rb",
        run=("ruby", f"{HARNESS_DIR}/ruby/run_tests.rb", f"{RESULTS_DIR}/report.jsonl", "test_main.rb"),
        report=ReportFormat.DUET_JSONL,
        report_files=("report.jsonl",),
        reporter_key=True,
    ),
)
