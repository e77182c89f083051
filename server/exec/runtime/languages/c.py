"""C (GCC), tests with cmocka writing its XML report."""

from server.exec.runtime.languages.model import (
    BUILD_DIR,
    HARNESS_DIR,
    RESULTS_DIR,
    WORK_DIR,
    Language,
    ReportFormat,
    TestHarness,
)

LANGUAGE = Language(
    id="c",
    display_name="C (GCC)",
    packages=("gcc", "libc6-dev", "libcmocka-dev"),
    source_file="main.c",
    compile=("gcc", "-std=gnu17", "-O2", "-Wall", "-o", f"{WORK_DIR}/.duet-main", "main.c", "-lm"),
    run=(f"{WORK_DIR}/.duet-main",),
    version=("gcc", "--version"),
    test=TestHarness(
        framework="cmocka",
        test_file="tests.c",
        # The candidate's main() is renamed so the tests can link against the other functions.
        compile=("sh", f"{HARNESS_DIR}/c/compile-tests.sh"),
        run=(
            "env",
            "CMOCKA_MESSAGE_OUTPUT=xml",
            f"CMOCKA_XML_FILE={RESULTS_DIR}/report.xml",
            f"{BUILD_DIR}/tests",
        ),
        report=ReportFormat.CMOCKA_XML,
        report_files=("report.xml",),
    ),
)
