"""The host's checks of the guard's seal and of Duet's reporters' end records, on crafted results
(the engines' tests run the real guard: tests/exec/engines/test_forged_reports.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable

import pytest

from server.exec.reports import read_test_report
from server.exec.reports.scoring import TAMPERED_MESSAGE
from server.exec.reports.seal import SEAL_FILE, keyed_stdin, new_run_key, reporter_key
from server.exec.runtime.languages import load_catalogue

PYTHON = load_catalogue().get("python")
BASH = load_catalogue().get("bash")
NAMES = ["test_a", "test_b"]


def line(name: str, status: str = "passed") -> bytes:
    return (json.dumps({"name": name, "status": status, "message": "", "duration_ms": 1}) + "\n").encode()


def ended(key: bytes, body: bytes, count: int | None = None) -> bytes:
    mac = hmac.new(reporter_key(key), body, hashlib.sha256).hexdigest()
    lines = body.count(b"\n") if count is None else count
    return body + (json.dumps({"duet_end": {"count": lines, "mac": mac}}) + "\n").encode()


def sealed(key: bytes, files: dict[str, bytes], outlived: list[str] | None = None) -> dict[str, bytes]:
    body = json.dumps(
        {
            "v": 1,
            "exit_code": 0,
            "signal": None,
            "outlived": outlived or [],
            "files": {name: hashlib.sha256(content).hexdigest() for name, content in files.items()},
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    return {**files, SEAL_FILE: json.dumps({"body": body, "mac": mac}).encode()}


def test_the_key_goes_first_on_stdin() -> None:
    key = new_run_key()
    assert keyed_stdin(key, b"input") == key.hex().encode() + b"\ninput"
    assert len(key) == 32 and new_run_key() != key


def test_a_sealed_finished_report_scores_as_reported() -> None:
    key = new_run_key()
    collected = sealed(key, {"report.jsonl": ended(key, line("test_a") + line("test_b", "failed"))})
    report = read_test_report(PYTHON, collected, NAMES, key=key)
    assert [r.status for r in report.results] == ["passed", "failed"]
    assert (report.tampered, report.evidence, report.verified) == (False, (), True)


def tampered(report_evidence: tuple[str, ...], expected: str) -> bool:
    return any(expected in line for line in report_evidence)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        # no seal at all, after the run ended on its own
        (lambda k: {"report.jsonl": ended(k, line("test_a") + line("test_b"))}, "left no seal"),
        # a seal under another key
        (
            lambda k: sealed(new_run_key(), {"report.jsonl": ended(k, line("test_a") + line("test_b"))}),
            "was not written by the harness",
        ),
        (lambda k: {"report.jsonl": b"", SEAL_FILE: b"{not json"}, "malformed"),
        # a process outlived the tests
        (
            lambda k: sealed(
                k, {"report.jsonl": ended(k, line("test_a") + line("test_b"))}, ["pid 7 (sh, running) was..."]
            ),
            "a process outlived the tests: pid 7",
        ),
        # the report changed after the seal
        (
            lambda k: {
                **sealed(k, {"report.jsonl": ended(k, line("test_a", "failed") + line("test_b"))}),
                "report.jsonl": ended(k, line("test_a") + line("test_b")),
            },
            "changed after the harness sealed",
        ),
        # lines the reporter did not write, before its end record
        (
            lambda k: sealed(k, {"report.jsonl": line("test_a") + ended(k, line("test_b"))}),
            "lines the harness did not write",
        ),
        # lines after the end record
        (
            lambda k: sealed(k, {"report.jsonl": ended(k, line("test_a", "failed")) + line("test_a")}),
            "lines after the harness's end record",
        ),
        # an end record with the right MAC but a count that does not match
        (
            lambda k: sealed(k, {"report.jsonl": ended(k, line("test_a") + line("test_b"), count=5)}),
            "the harness wrote 5 lines",
        ),
        # passes without an end record (the tests' process ended before the reporter finished)
        (
            lambda k: sealed(k, {"report.jsonl": line("test_a") + line("test_b")}),
            "not finished by the harness: no end record (the tests' process exited with code 0)",
        ),
        # an escaped status still counts as a pass
        (
            lambda k: sealed(k, {"report.jsonl": b'{"name": "test_a", "status": "pass\\u0065d"}\n'}),
            "not finished by the harness",
        ),
    ],
    ids=[
        "no-seal",
        "foreign-seal",
        "malformed-seal",
        "outlived",
        "changed",
        "foreign-lines",
        "after-end",
        "count",
        "unfinished",
        "escaped-pass",
    ],
)
def test_forged_or_unfinished_results_are_tampered(
    make: Callable[[bytes], dict[str, bytes]], expected: str
) -> None:
    key = new_run_key()
    report = read_test_report(PYTHON, make(key), NAMES, key=key)
    assert report.tampered and report.passed == 0, report
    assert [r.message for r in report.results] == [TAMPERED_MESSAGE] * 2
    assert tampered(report.evidence, expected), report.evidence


def test_an_unfinished_report_without_a_pass_is_not_tampered() -> None:
    """A crash before any test passed gains nothing: failed, not flagged."""
    key = new_run_key()
    report = read_test_report(PYTHON, sealed(key, {"report.jsonl": line("test_a", "error")}), NAMES, key=key)
    assert (report.tampered, [r.status for r in report.results]) == (False, ["error", "failed"])


def test_no_seal_after_a_limit_is_unverified_not_tampered() -> None:
    key = new_run_key()
    collected = {"report.jsonl": line("test_a") + line("test_b")}
    report = read_test_report(PYTHON, collected, NAMES, key=key, run_status="time_limit")
    assert (report.tampered, report.verified, report.passed) == (False, False, 0)
    assert "time_limit" in report.results[0].message


def test_no_seal_after_a_stop_is_unverified_not_tampered() -> None:
    key = new_run_key()
    collected = {"report.jsonl": line("test_a") + line("test_b")}
    report = read_test_report(PYTHON, collected, NAMES, key=key, run_status="runtime_error", stopped=True)
    assert (report.tampered, report.verified, report.passed) == (False, False, 0)
    assert "stopped" in report.results[0].message


def test_evidence_is_bounded() -> None:
    key = new_run_key()
    files = {f"planted-{n}": b"x" for n in range(200)}
    collected = {**sealed(key, {"report.jsonl": ended(key, line("test_a"))}), **files}
    report = read_test_report(PYTHON, collected, NAMES, key=key)
    assert report.tampered and len(report.evidence) == 51 and report.evidence[-1] == "... and 150 more"


def test_frameworks_with_their_own_report_need_only_the_seal() -> None:
    key = new_run_key()
    xml = b'<testsuites><testsuite name="x"><testcase name="add"/></testsuite></testsuites>'
    report = read_test_report(BASH, sealed(key, {"report.xml": xml}), ["add"], key=key)
    assert (report.tampered, [r.status for r in report.results]) == (False, ["passed"])
    report = read_test_report(BASH, {"report.xml": xml}, ["add"], key=key)
    assert report.tampered and report.passed == 0


def test_without_a_key_nothing_is_verified() -> None:
    """Callers that ran the steps without a key (none in the server) get the report as written."""
    report = read_test_report(PYTHON, {"report.jsonl": line("test_a")}, ["test_a"])
    assert (report.tampered, report.passed) == (False, 1)
