"""PHP 8 (CLI), tests with PHPUnit and Duet's reporter (a bootstrap file and PHPUnit hooks)."""

from server.exec.runtime.languages.model import HARNESS_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="php",
    display_name="PHP",
    packages=("php-cli", "phpunit"),
    source_file="main.php",
    run=("php", "main.php"),
    version=("php", "--version"),
    test=TestHarness(
        framework="PHPUnit",
        test_file="MainTest.php",
        run=(
            "phpunit",
            "--configuration",
            f"{HARNESS_DIR}/php/phpunit.xml",
            "--do-not-cache-result",
            "MainTest.php",
        ),
        report=ReportFormat.DUET_JSONL,
        report_files=("report.jsonl",),
        reporter_key=True,
    ),
)
