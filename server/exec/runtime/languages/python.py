"""Python 3 (bookworm's CPython), tests with pytest through a tiny reporter plugin."""

from server.exec.runtime.languages.model import HARNESS_DIR, RESULTS_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="python",
    display_name="Python 3",
    packages=("python3", "python3-pytest"),
    source_file="main.py",
    run=("python3", "main.py"),
    version=("python3", "--version"),
    env=(("PYTHONDONTWRITEBYTECODE", "1"), ("PYTHONUNBUFFERED", "1")),
    test=TestHarness(
        framework="pytest",
        test_file="test_main.py",
        run=("python3", f"{HARNESS_DIR}/python/run_tests.py", f"{RESULTS_DIR}/report.jsonl", "test_main.py"),
        report=ReportFormat.DUET_JSONL,
        report_files=("report.jsonl",),
        reporter_key=True,
    ),
)
