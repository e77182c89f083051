"""Run a pytest file and write one JSON line per test into the results file.

Usage: run_tests.py RESULTS_FILE TEST_FILE. The results file is opened (exclusively, without
following symlinks) before any test or candidate module is imported; each test's line is written
and flushed as soon as the test finishes, so a crash or exit keeps the lines already written and
the tests that never reported are counted as failed by the host.

The report guard (``../guard/guard.py``) hands this process a key on fd 3; it is read and the
descriptor closed before pytest starts, so before any candidate module is imported. When pytest
has finished, the report ends with ``{"duet_end": {"count", "mac"}}``: the number of lines and
an HMAC-SHA256 of every byte written before it. A report without it was not finished by the
harness; lines someone else wrote break the MAC (``server/exec/reports/seal.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

MAX_MESSAGE = 4000
KEY_FD = 3


def take_key() -> bytes:
    """The reporter's key from the guard, read once; empty when there is none."""
    try:
        with os.fdopen(KEY_FD, "rb") as handle:
            return bytes.fromhex(handle.read().decode("ascii").strip())
    except (OSError, ValueError):
        return b""


class DuetReporter:
    def __init__(self, fd: int, key: bytes) -> None:
        self.fd = fd
        self.outcomes: dict[str, dict[str, Any]] = {}
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self._count = 0

    def write(self, line: bytes) -> None:
        self._mac.update(line)
        self._count += 1
        os.write(self.fd, line)

    def end(self) -> None:
        record = {"duet_end": {"count": self._count, "mac": self._mac.hexdigest()}}
        os.write(self.fd, (json.dumps(record) + "\n").encode())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and report.failed:
            report.duet_assertion = call.excinfo.errisinstance(AssertionError)
            report.duet_message = call.excinfo.exconly()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = report.nodeid.split("::", 1)[-1]
        state = self.outcomes.setdefault(name, {"status": "passed", "message": "", "duration": 0.0})
        state["duration"] += report.duration
        if report.failed and state["status"] == "passed":
            is_call = report.when == "call"
            state["status"] = "failed" if is_call and getattr(report, "duet_assertion", False) else "error"
            state["message"] = getattr(report, "duet_message", report.longreprtext)[:MAX_MESSAGE]
        elif report.skipped and state["status"] == "passed":
            state["status"] = "failed"
            state["message"] = "skipped"
        if report.when == "teardown":
            line = {
                "name": name,
                "status": state["status"],
                "message": state["message"],
                "duration_ms": round(state["duration"] * 1000, 3),
            }
            self.write((json.dumps(line) + "\n").encode())


def main() -> None:
    results, test_file = sys.argv[1], sys.argv[2]
    key = take_key()
    fd = os.open(results, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_APPEND, 0o600)
    reporter = DuetReporter(fd, key)
    started = time.monotonic()
    code = pytest.main(
        [
            "-q",
            "-p",
            "no:cacheprovider",
            "--noconftest",
            "-c",
            str(Path(__file__).resolve().parent / "pytest.ini"),
            "--rootdir=.",
            test_file,
        ],
        plugins=[reporter],
    )
    reporter.end()
    os.close(fd)
    sys.stderr.write(f"tests finished in {time.monotonic() - started:.2f}s\n")
    sys.exit(int(code))


if __name__ == "__main__":
    main()
