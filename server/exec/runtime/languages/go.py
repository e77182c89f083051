"""Go, tests with ``go test``: the testing package's verbose output goes to a results file
(never to stdout, see harness/go/0duet_test.go) and test2json turns it into JSON events."""

from server.exec.runtime.languages.model import BUILD_DIR, HARNESS_DIR, Language, ReportFormat, TestHarness

LANGUAGE = Language(
    id="go",
    display_name="Go",
    packages=("golang-go",),
    source_file="main.go",
    compile=("go", "build", "-o", f"{BUILD_DIR}/main", "main.go"),
    run=(f"{BUILD_DIR}/main",),
    version=("go", "version"),
    env=(
        ("GOCACHE", "/tmp/go-cache"),
        ("GOPATH", "/tmp/go"),
        ("GOPROXY", "off"),
        ("GOFLAGS", "-mod=mod"),
        ("GOTOOLCHAIN", "local"),
        ("CGO_ENABLED", "0"),
    ),
    test=TestHarness(
        framework="go test",
        test_file="main_test.go",
        compile=("sh", f"{HARNESS_DIR}/go/compile-tests.sh"),
        run=("sh", f"{HARNESS_DIR}/go/run-tests.sh"),
        report=ReportFormat.GO_TEST_JSON,
        report_files=("report.jsonl",),
    ),
)
