"""C++ (G++), tests with GoogleTest writing its JSON report."""

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
    id="cpp",
    display_name="C++ (G++)",
    packages=("g++", "libgtest-dev"),
    source_file="main.cpp",
    compile=("g++", "-std=gnu++17", "-O2", "-Wall", "-o", f"{WORK_DIR}/.duet-main", "main.cpp"),
    run=(f"{WORK_DIR}/.duet-main",),
    version=("g++", "--version"),
    test=TestHarness(
        framework="GoogleTest",
        test_file="tests.cpp",
        compile=("sh", f"{HARNESS_DIR}/cpp/compile-tests.sh"),
        run=(f"{BUILD_DIR}/tests", f"--gtest_output=json:{RESULTS_DIR}/report.json", "--gtest_brief=1"),
        report=ReportFormat.GTEST_JSON,
        report_files=("report.json",),
    ),
)
