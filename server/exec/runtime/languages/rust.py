"""Rust (bookworm's rustc, no cargo registry), tests with libtest (``rustc --test``).

Verdicts come from libtest's ``--logfile``; failure messages from its JSON events, which stable
libtest only prints with ``-Z unstable-options`` (enabled at run time by ``RUSTC_BOOTSTRAP``)."""

from server.exec.runtime.languages.model import HARNESS_DIR, WORK_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="rust",
    display_name="Rust",
    packages=("rustc",),
    source_file="main.rs",
    compile=("rustc", "--edition", "2021", "-O", "-o", f"{WORK_DIR}/.duet-main", "main.rs"),
    run=(f"{WORK_DIR}/.duet-main",),
    version=("rustc", "--version"),
    test=TestHarness(
        framework="libtest",
        test_file="tests.rs",
        compile=(
            "rustc",
            "--edition",
            "2021",
            "--test",
            "-C",
            "debuginfo=0",
            "-A",
            "dead_code",
            "-o",
            f"{WORK_DIR}/.duet-tests",
            f"{HARNESS_DIR}/rust/duet_tests.rs",
        ),
        run=("sh", f"{HARNESS_DIR}/rust/run-tests.sh"),
        report=ReportFormat.LIBTEST,
        report_files=("tests.log", "events.json"),
    ),
)
