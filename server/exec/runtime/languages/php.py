"""PHP 8 (CLI), tests with PHPUnit's JUnit XML log."""

from server.exec.runtime.languages.model import RESULTS_DIR, Language, ReportFormat, TestHarness

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
            "--no-configuration",
            "--do-not-cache-result",
            "--log-junit",
            f"{RESULTS_DIR}/report.xml",
            "MainTest.php",
        ),
        report=ReportFormat.JUNIT_XML,
        report_files=("report.xml",),
    ),
)
