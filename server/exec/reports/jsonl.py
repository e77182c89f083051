"""Duet's own reporter lines: ``{"name": str, "status": "passed|failed|error", "message": str,
"duration_ms": number}``, one JSON object per line (pytest plugin, node:test reporter, minitest
reporter, JUnit listener, PHPUnit hooks, SQL harness). The end record is checked and removed
before this parser sees the report (``seal.py``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import cast, get_args

from server.exec.reports.model import MAX_TESTS, ParsedReport, TestResult, TestStatus


def parse_duet_jsonl(files: Mapping[str, bytes], report_files: tuple[str, ...]) -> ParsedReport:
    results: list[TestResult] = []
    problems: list[str] = []
    for file_name in report_files:
        content = files.get(file_name)
        if content is None:
            continue
        for number, raw in enumerate(content.decode("utf-8", "replace").splitlines(), start=1):
            if not raw.strip():
                continue
            result = _line(raw)
            if result is None:
                problems.append(f"{file_name}:{number}: not a test result line")
                continue
            if len(results) >= MAX_TESTS:
                problems.append(f"{file_name}: more than {MAX_TESTS} results, the rest ignored")
                break
            results.append(result)
    return ParsedReport(tuple(results), tuple(problems[:100]))


def _line(raw: str) -> TestResult | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    name, status, message, duration = (data.get(k) for k in ("name", "status", "message", "duration_ms"))
    if not isinstance(name, str) or not name or status not in get_args(TestStatus):
        return None
    duration_ms = (
        float(duration) if isinstance(duration, int | float) and not isinstance(duration, bool) else None
    )
    return TestResult.make(
        name, cast(TestStatus, status), message if isinstance(message, str) else "", duration_ms
    )
