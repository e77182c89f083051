"""TypeScript: compiled by bookworm's tsc to CommonJS, run and tested (node:test) on Node.js."""

from server.exec.runtime.languages.model import (
    BUILD_DIR,
    HARNESS_DIR,
    RESULTS_DIR,
    Language,
    ReportFormat,
    TestHarness,
)

_OUT = f"{BUILD_DIR}/ts"
_TSC = (
    "tsc",
    "--pretty",
    "false",
    "--strict",
    "--noEmitOnError",
    "--target",
    "es2021",
    "--module",
    "commonjs",
    "--esModuleInterop",
    # Node's own type declarations, shipped by bookworm's nodejs package.
    "--typeRoots",
    "/usr/share/nodejs/@types",
    "--types",
    "node",
    "--rootDir",
    ".",
    "--outDir",
    _OUT,
)

LANGUAGE = Language(
    id="typescript",
    display_name="TypeScript",
    packages=("nodejs", "node-typescript"),
    source_file="main.ts",
    compile=(*_TSC, "main.ts"),
    run=("node", f"{_OUT}/main.js"),
    version=("tsc", "--version"),
    test=TestHarness(
        framework="node:test",
        test_file="main.test.ts",
        compile=(*_TSC, "main.ts", "main.test.ts"),
        run=(
            "node",
            f"--require={HARNESS_DIR}/javascript/duet-key.cjs",
            f"--test-reporter={HARNESS_DIR}/javascript/duet-reporter.mjs",
            f"--test-reporter-destination={RESULTS_DIR}/report.jsonl",
            f"{_OUT}/main.test.js",
        ),
        report=ReportFormat.DUET_JSONL,
        report_files=("report.jsonl",),
        reporter_key=True,
    ),
)
