"""JUnit/Ant XML (JUnit 5 console launcher, PHPUnit, bats) and cmocka's variant of it.

Parsed with defusedxml: DTDs (hence entity bombs and external entities) are refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from server.exec.reports.model import MAX_TESTS, ParsedReport, TestResult, TestStatus

Classifier = Callable[[str, str], TestStatus]
_FRAMEWORK_FRAME = re.compile(
    r"^\s*(?:at (?:org\.junit\.|org\.opentest4j\.|java\.base/|jdk\.internal\.|sun\.reflect\.)"
    r"|\.\.\. \d+ more$)"
)


def parse_junit_xml(files: Mapping[str, bytes], report_files: tuple[str, ...]) -> ParsedReport:
    return _parse(files, report_files, _by_element)


def parse_cmocka_xml(files: Mapping[str, bytes], report_files: tuple[str, ...]) -> ParsedReport:
    """cmocka writes every problem as ``<failure>``; a signal or an unexpected exit is an error."""
    return _parse(files, report_files, _cmocka_status)


def _by_element(tag: str, _message: str) -> TestStatus:
    return "error" if tag == "error" else "failed"


def _cmocka_status(_tag: str, message: str) -> TestStatus:
    lowered = message.lower()
    crashed = "exception" in lowered or "signal" in lowered or "test failed with" in lowered
    return "error" if crashed else "failed"


def _parse(files: Mapping[str, bytes], report_files: tuple[str, ...], classify: Classifier) -> ParsedReport:
    results: list[TestResult] = []
    problems: list[str] = []
    for file_name in report_files:
        content = files.get(file_name)
        if content is None:
            continue
        try:
            root = fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except (ET.ParseError, DefusedXmlException, ValueError) as exc:
            problems.append(f"{file_name}: not a usable XML report ({type(exc).__name__})")
            continue
        for case in root.iter("testcase"):
            if len(results) >= MAX_TESTS:
                problems.append(f"{file_name}: more than {MAX_TESTS} test cases, the rest ignored")
                break
            results.append(_case(case, classify))
    return ParsedReport(tuple(results), tuple(problems))


def _case(case: ET.Element, classify: Classifier) -> TestResult:
    name = case.get("name", "").strip()
    if name.endswith("()"):
        name = name[:-2]
    status: TestStatus = "passed"
    message = ""
    for child in case:
        if child.tag in ("failure", "error"):
            message = _message(child)
            status = classify(child.tag, message)
            break
        if child.tag == "skipped":
            status, message = "failed", "skipped: " + _message(child)
    return TestResult.make(name or "(unnamed)", status, message.strip(), _duration_ms(case.get("time")))


def _message(element: ET.Element) -> str:
    """The failure's message and trace, without the frames of the JVM and the test framework."""
    message = element.get("message", "").strip()
    lines = (element.text or "").strip().splitlines()
    text = "\n".join(line for line in lines if not _FRAMEWORK_FRAME.match(line)).strip()
    if message and message not in text:
        text = f"{message}\n{text}" if text else message
    kind = element.get("type", "")
    if kind and kind not in text:
        text = f"{kind}: {text}" if text else kind
    return text


def _duration_ms(seconds: str | None) -> float | None:
    if not seconds:
        return None
    try:
        return float(seconds.replace(",", "")) * 1000
    except ValueError:
        return None
