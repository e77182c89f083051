"""JavaScript on bookworm's Node.js, tests with node:test and a reporter module writing a file."""

from server.exec.runtime.languages.model import HARNESS_DIR, RESULTS_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="javascript",
    display_name="JavaScript (Node.js)",
    packages=("nodejs",),
    source_file="main.js",
    run=("node", "main.js"),
    version=("node", "--version"),
    test=TestHarness(
        framework="node:test",
        test_file="main.test.js",
        # No --test: the file runs in this process, so no child's stdout is parsed as results.
        run=(
            "node",
            f"--require={HARNESS_DIR}/javascript/duet-key.cjs",
            f"--test-reporter={HARNESS_DIR}/javascript/duet-reporter.mjs",
            f"--test-reporter-destination={RESULTS_DIR}/report.jsonl",
            "main.test.js",
        ),
        report=ReportFormat.DUET_JSONL,
        report_files=("report.jsonl",),
        reporter_key=True,
    ),
)
