"""Line- and JSON-based report formats: Duet JSON lines, GoogleTest JSON, go test2json, libtest."""

from __future__ import annotations

import json

from server.exec.reports import MAX_TESTS, parse_report
from server.exec.runtime.languages import ReportFormat


def lines(*objects: object) -> bytes:
    return b"".join(json.dumps(o).encode() + b"\n" for o in objects)


def test_duet_jsonl_keeps_valid_lines_and_reports_the_others() -> None:
    content = (
        lines(
            {"name": "a", "status": "passed", "message": "", "duration_ms": 1.5},
            {"name": "b", "status": "failed", "message": "boom", "duration_ms": True},
            {"name": "c", "status": "ok"},
            {"status": "passed"},
            ["not", "an", "object"],
            {"name": "", "status": "passed"},
            {"name": "d", "status": "error", "message": 12, "duration_ms": float("nan")},
        )
        + b"not json\n\n<PASSED::>Test Passed\n"
    )
    parsed = parse_report(ReportFormat.DUET_JSONL, {"r.jsonl": content}, ("r.jsonl",))
    assert [(r.name, r.status, r.message, r.duration_ms) for r in parsed.results] == [
        ("a", "passed", "", 1.5),
        ("b", "failed", "boom", None),
        ("d", "error", "", None),
    ]
    assert len(parsed.problems) == 6


def test_duet_jsonl_caps_the_number_of_results() -> None:
    content = lines(*({"name": f"t{i}", "status": "passed"} for i in range(MAX_TESTS + 3)))
    parsed = parse_report(ReportFormat.DUET_JSONL, {"r": content}, ("r",))
    assert len(parsed.results) == MAX_TESTS
    assert parsed.problems[-1].endswith("the rest ignored")


def test_gtest_json() -> None:
    content = json.dumps(
        {
            "testsuites": [
                {
                    "name": "Math",
                    "testsuite": [
                        {"name": "Add", "status": "RUN", "result": "COMPLETED", "time": "0.002s"},
                        {"name": "Mul", "result": "COMPLETED", "failures": [{"failure": "Which is: 5"}]},
                        {
                            "name": "Div",
                            "failures": [{"failure": 'C++ exception with description "x" thrown'}],
                        },
                        {"name": "Skip", "result": "SKIPPED"},
                        {"name": "Off", "status": "NOTRUN"},
                        "junk",
                        {"name": 5},
                    ],
                },
                "junk",
            ]
        }
    ).encode()
    parsed = parse_report(ReportFormat.GTEST_JSON, {"report.json": content}, ("report.json",))
    assert [(r.name, r.status) for r in parsed.results] == [
        ("Math.Add", "passed"),
        ("Math.Mul", "failed"),
        ("Math.Div", "error"),
        ("Math.Skip", "failed"),
    ]
    assert parsed.results[0].duration_ms == 2.0
    for bad in (b"[]", b"{", b'{"testsuites": 3}', b"null"):
        broken = parse_report(ReportFormat.GTEST_JSON, {"report.json": bad}, ("report.json",))
        assert (broken.results, len(broken.problems)) == ((), 1)


def test_go_test2json_with_a_crash() -> None:
    content = (
        lines(
            {"Action": "run", "Test": "Test0DuetRestoreStdout"},
            {"Action": "pass", "Test": "Test0DuetRestoreStdout"},
            {"Action": "run", "Test": "TestAdd"},
            {"Action": "pass", "Test": "TestAdd", "Elapsed": 0.25},
            {"Action": "run", "Test": "TestMul"},
            {"Action": "output", "Test": "TestMul", "Output": "=== RUN   TestMul\n"},
            {"Action": "output", "Test": "TestMul", "Output": "    main_test.go:7: want 6\n"},
            {"Action": "fail", "Test": "TestMul", "Elapsed": 0},
            {"Action": "run", "Test": "TestDiv"},
            {"Action": "output", "Test": "TestDiv", "Output": "--- FAIL: TestDiv (0.00s)\n"},
        )
        + b"garbage\n[1]\n"
    )
    parsed = parse_report(ReportFormat.GO_TEST_JSON, {"report.jsonl": content}, ("report.jsonl",))
    assert [(r.name, r.status, r.message) for r in parsed.results] == [
        ("TestAdd", "passed", ""),
        ("TestMul", "failed", "main_test.go:7: want 6"),
        ("TestDiv", "error", "the test binary crashed during this test (panic or exit; see stderr)"),
    ]
    assert parsed.results[0].duration_ms == 250.0
    assert parsed.problems == ("the test binary did not finish",)


def test_go_test2json_finished_package_and_skips() -> None:
    content = lines(
        {"Action": "run", "Test": "TestA"},
        {"Action": "skip", "Test": "TestA"},
        {"Action": "run", "Test": "TestB"},
        {"Action": "fail", "Test": "TestB"},
        {"Action": "fail"},
    )
    parsed = parse_report(ReportFormat.GO_TEST_JSON, {"report.jsonl": content}, ("report.jsonl",))
    assert [(r.name, r.status) for r in parsed.results] == [("TestA", "failed"), ("TestB", "failed")]
    assert parsed.problems == ()


def test_libtest_verdicts_come_from_the_log_only() -> None:
    log = (
        b"ok duet_tests::add_works <0.001s>\n"
        b"failed duet_tests::mul_works\n"
        b"failed duet_tests::div_works\n"
        b"ignored duet_tests::later\n"
        b"failed (time limit exceeded) duet_tests::slow\n"
        b"nonsense\n"
        b"weird duet_tests::x\n"
    )
    events = (
        lines(
            {
                "type": "test",
                "event": "failed",
                "name": "duet_tests::mul_works",
                "stdout": "panicked at 'assertion failed: `(left == right)`'",
            },
            {
                "type": "test",
                "event": "failed",
                "name": "duet_tests::div_works",
                "stdout": "panicked at 'attempt to divide by zero'",
            },
            {"type": "test", "event": "ok", "name": "duet_tests::mul_works"},
            {"type": "test", "event": "ok", "name": "duet_tests::forged"},
        )
        + b"not json\n"
    )
    parsed = parse_report(
        ReportFormat.LIBTEST, {"tests.log": log, "events.json": events}, ("tests.log", "events.json")
    )
    assert [(r.name, r.status) for r in parsed.results] == [
        ("add_works", "passed"),
        ("mul_works", "failed"),
        ("div_works", "error"),
        ("later", "failed"),
        ("slow", "error"),
    ]
    assert parsed.results[0].duration_ms == 1.0
    assert "divide by zero" in parsed.results[2].message
    assert len(parsed.problems) == 2


def test_libtest_without_log_reports_nothing_even_with_events() -> None:
    events = lines({"type": "test", "event": "ok", "name": "duet_tests::add_works"})
    parsed = parse_report(ReportFormat.LIBTEST, {"events.json": events}, ("tests.log", "events.json"))
    assert parsed.results == ()
    assert parsed.problems == ("tests.log: not written",)
