"""``go tool test2json`` events (one JSON object per line) from the harness's report file.

The harness's own sentinel test (``Test0Duet...``) is dropped. When the report has no package
result, the test binary died (a panic or an exit) and the test that was running is an ``error``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from server.exec.reports.model import MAX_TESTS, ParsedReport, TestResult, TestStatus

_HARNESS_PREFIX = "Test0Duet"
_FRAMING = ("=== RUN", "=== PAUSE", "=== CONT", "--- PASS", "--- FAIL", "--- SKIP")


@dataclass
class _Test:
    output: list[str] = field(default_factory=list)
    action: str = ""
    elapsed: float | None = None


def parse_go_test_json(files: Mapping[str, bytes], report_files: tuple[str, ...]) -> ParsedReport:
    tests: dict[str, _Test] = {}
    problems: list[str] = []
    package_done = False
    last_started = ""
    for file_name in report_files:
        content = files.get(file_name)
        if content is None:
            continue
        for raw in content.decode("utf-8", "replace").splitlines():
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            action, name = event.get("Action"), event.get("Test")
            if not isinstance(name, str):
                package_done = package_done or action in ("pass", "fail")
                continue
            if name.startswith(_HARNESS_PREFIX):
                continue
            if name not in tests:
                if len(tests) >= MAX_TESTS:
                    continue
                tests[name] = _Test()
            test = tests[name]
            if action == "run":
                last_started = name
            elif action == "output" and isinstance(event.get("Output"), str):
                if len(test.output) < 200:
                    test.output.append(event["Output"])
            elif action in ("pass", "fail", "skip"):
                test.action = action
                elapsed = event.get("Elapsed")
                test.elapsed = float(elapsed) * 1000 if isinstance(elapsed, int | float) else None
    results: list[TestResult] = []
    for name, test in tests.items():
        if not test.action:
            # test2json holds a result line back until the next line: a crash leaves it unsent.
            test.action = _framed_result(name, test.output)
        if not test.action:
            continue  # started but never finished: reported missing by the scorer
        message = "".join(line for line in test.output if not line.lstrip().startswith(_FRAMING)).strip()
        status: TestStatus = "passed"
        if test.action == "skip":
            status, message = "failed", "skipped"
        elif test.action == "fail":
            status = "failed"
            crashed = not package_done and name == last_started
            if crashed or "panic:" in message:
                status = "error"
                message = message or "the test binary crashed during this test (panic or exit; see stderr)"
        results.append(TestResult.make(name, status, message, test.elapsed))
    if not package_done and tests:
        problems.append("the test binary did not finish")
    return ParsedReport(tuple(results), tuple(problems))


def _framed_result(name: str, output: list[str]) -> str:
    for line in output:
        stripped = line.strip()
        if stripped.startswith(f"--- FAIL: {name} "):
            return "fail"
        if stripped.startswith(f"--- PASS: {name} "):
            return "pass"
    return ""
