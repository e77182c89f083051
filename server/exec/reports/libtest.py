"""Rust libtest: verdicts from ``--logfile`` (one ``<verdict> <name> [<time>]`` line per test),
failure messages from the JSON events (``--format json``) when they can be matched.

The log file is written by libtest itself, never through stdout, so a program printing fake
``ok``/JSON lines cannot create a verdict; the JSON stream is only used for messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from server.exec.reports.model import MAX_TESTS, ParsedReport, TestResult, TestStatus

_PREFIX = "duet_tests::"
_TIME = re.compile(r"\s*<(?P<seconds>[0-9.]+)s>\s*$")


def parse_libtest(files: Mapping[str, bytes], report_files: tuple[str, ...]) -> ParsedReport:
    log_name, events_name = report_files
    log = files.get(log_name)
    if log is None:
        return ParsedReport()
    messages = _messages(files.get(events_name, b""))
    results: list[TestResult] = []
    problems: list[str] = []
    for raw in log.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line:
            continue
        duration_ms = None
        timed = _TIME.search(line)
        if timed:
            duration_ms = float(timed["seconds"]) * 1000
            line = line[: timed.start()]
        verdict, _, name = line.rpartition(" ")
        if not verdict or not name:
            problems.append("unreadable log line")
            continue
        if len(results) >= MAX_TESTS:
            problems.append("too many tests")
            break
        full_name = name
        name = name.removeprefix(_PREFIX)
        status: TestStatus
        message = ""
        if verdict == "ok":
            status = "passed"
        elif verdict.startswith("ignored"):
            status, message = "failed", "ignored"
        elif verdict.startswith("failed"):
            message = messages.get(full_name, verdict.removeprefix("failed").lstrip(": "))
            status = "failed" if "assertion failed" in message or "assertion `" in message else "error"
        else:
            problems.append("unknown verdict")
            continue
        results.append(TestResult.make(name, status, message.strip(), duration_ms))
    return ParsedReport(tuple(results), tuple(problems[:100]))


def _messages(events: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw in events.decode("utf-8", "replace").splitlines():
        try:
            event = json.loads(raw)
        except ValueError:
            continue
        if (
            isinstance(event, dict)
            and event.get("type") == "test"
            and event.get("event") == "failed"
            and isinstance(event.get("name"), str)
            and isinstance(event.get("stdout"), str)
        ):
            found.setdefault(event["name"], event["stdout"])
    return found
