"""GoogleTest's ``--gtest_output=json:`` report."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from server.exec.reports.model import MAX_TESTS, ParsedReport, TestResult, TestStatus

_CRASH_MARKERS = ("C++ exception", "Unknown C++ exception", "SEH exception")


def parse_gtest_json(files: Mapping[str, bytes], report_files: tuple[str, ...]) -> ParsedReport:
    results: list[TestResult] = []
    problems: list[str] = []
    for file_name in report_files:
        content = files.get(file_name)
        if content is None:
            continue
        try:
            data = json.loads(content)
        except ValueError:
            problems.append(f"{file_name}: not JSON")
            continue
        suites = data.get("testsuites") if isinstance(data, dict) else None
        if not isinstance(suites, list):
            problems.append(f"{file_name}: no testsuites")
            continue
        for suite in suites:
            for case in _list(suite, "testsuite"):
                if len(results) >= MAX_TESTS:
                    return ParsedReport(tuple(results), (*problems, f"{file_name}: too many tests"))
                result = _case(suite, case)
                if result is not None:
                    results.append(result)
    return ParsedReport(tuple(results), tuple(problems))


def _list(parent: Any, key: str) -> list[Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, list) else []


def _case(suite: Any, case: Any) -> TestResult | None:
    if not isinstance(case, dict) or not isinstance(case.get("name"), str):
        return None
    suite_name = suite.get("name") if isinstance(suite.get("name"), str) else ""
    name = f"{suite_name}.{case['name']}" if suite_name else case["name"]
    messages = [
        f["failure"]
        for f in _list(case, "failures")
        if isinstance(f, dict) and isinstance(f.get("failure"), str)
    ]
    status: TestStatus = "passed"
    message = "\n".join(messages)
    if messages:
        status = "error" if any(marker in message for marker in _CRASH_MARKERS) else "failed"
    elif case.get("result") == "SKIPPED":
        status, message = "failed", "skipped"
    elif case.get("status") == "NOTRUN":
        return None
    return TestResult.make(name, status, message, _duration_ms(case.get("time")))


def _duration_ms(value: Any) -> float | None:
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1]) * 1000
        except ValueError:
            return None
    return None
