"""Dispatch from a harness's report format to its parser."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from server.exec.reports.go_test_json import parse_go_test_json
from server.exec.reports.gtest_json import parse_gtest_json
from server.exec.reports.jsonl import parse_duet_jsonl
from server.exec.reports.junit_xml import parse_cmocka_xml, parse_junit_xml
from server.exec.reports.libtest import parse_libtest
from server.exec.reports.model import MAX_REPORT_BYTES, ParsedReport
from server.exec.runtime.languages.model import ReportFormat

Parser = Callable[[Mapping[str, bytes], tuple[str, ...]], ParsedReport]

_PARSERS: Mapping[ReportFormat, Parser] = {
    ReportFormat.JUNIT_XML: parse_junit_xml,
    ReportFormat.CMOCKA_XML: parse_cmocka_xml,
    ReportFormat.GTEST_JSON: parse_gtest_json,
    ReportFormat.GO_TEST_JSON: parse_go_test_json,
    ReportFormat.LIBTEST: parse_libtest,
    ReportFormat.DUET_JSONL: parse_duet_jsonl,
}


def parse_report(
    report: ReportFormat, files: Mapping[str, bytes], report_files: tuple[str, ...]
) -> ParsedReport:
    """Parse the named ``report_files`` among the collected ``files`` (name -> content).

    Files not named are ignored; an oversized file is reported as a problem and not parsed.
    """
    problems: list[str] = []
    usable: dict[str, bytes] = {}
    for name in report_files:
        content = files.get(name)
        if content is None:
            problems.append(f"{name}: not written")
        elif len(content) > MAX_REPORT_BYTES:
            problems.append(f"{name}: larger than {MAX_REPORT_BYTES} bytes, ignored")
        else:
            usable[name] = content
    parsed = _PARSERS[report](usable, report_files)
    return ParsedReport(parsed.results, (*problems, *parsed.problems))
