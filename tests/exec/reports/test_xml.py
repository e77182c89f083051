"""JUnit and cmocka XML parsing, including hostile report content."""

from __future__ import annotations

from server.exec.reports import MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_REPORT_BYTES, MAX_TESTS, parse_report
from server.exec.runtime.languages import ReportFormat

FILES = ("report.xml",)

JUNIT5 = b"""<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="JUnit Jupiter" tests="4">
<testcase name="add()" classname="MainTest" time="0.015"/>
<testcase name="mul()" classname="MainTest" time="0.001">
<failure message="expected: &lt;6&gt; but was: &lt;5&gt;"
 type="org.opentest4j.AssertionFailedError">trace</failure>
</testcase>
<testcase name="div()" classname="MainTest" time="0.002">
<error message="/ by zero" type="java.lang.ArithmeticException">
java.lang.ArithmeticException: / by zero</error>
</testcase>
<testcase name="later()" classname="MainTest"><skipped/></testcase>
</testsuite>"""


def junit(content: bytes) -> list[tuple[str, str, str]]:
    parsed = parse_report(ReportFormat.JUNIT_XML, {"report.xml": content}, FILES)
    return [(r.name, r.status, r.message) for r in parsed.results]


def test_junit5_failure_error_and_skip() -> None:
    parsed = parse_report(ReportFormat.JUNIT_XML, {"report.xml": JUNIT5}, FILES)
    assert [(r.name, r.status) for r in parsed.results] == [
        ("add", "passed"),
        ("mul", "failed"),
        ("div", "error"),
        ("later", "failed"),
    ]
    assert parsed.results[0].duration_ms == 15.0
    assert "expected: <6> but was: <5>" in parsed.results[1].message
    assert "ArithmeticException" in parsed.results[2].message
    assert parsed.results[3].message.startswith("skipped")
    assert parsed.problems == ()


def test_cmocka_signal_is_an_error() -> None:
    content = b"""<testsuites><testsuite name="s">
    <testcase name="test_mul"><failure><![CDATA[0x5 != 0x6]]></failure></testcase>
    <testcase name="test_div">
    <failure><![CDATA[Test failed with exception: Segmentation fault(11)]]></failure>
    </testcase></testsuite></testsuites>"""
    parsed = parse_report(ReportFormat.CMOCKA_XML, {"report.xml": content}, FILES)
    assert [(r.name, r.status) for r in parsed.results] == [("test_mul", "failed"), ("test_div", "error")]


def test_entity_bomb_is_refused_without_expanding() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">]>
<testsuite><testcase name="&lol9;"/></testsuite>"""
    parsed = parse_report(ReportFormat.JUNIT_XML, {"report.xml": bomb}, FILES)
    assert parsed.results == ()
    assert parsed.problems == ("report.xml: not a usable XML report (DTDForbidden)",)


def test_external_entity_is_refused() -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<testsuite><testcase name="&x;"/></testsuite>"""
    parsed = parse_report(ReportFormat.JUNIT_XML, {"report.xml": xxe}, FILES)
    assert parsed.results == ()
    assert len(parsed.problems) == 1


def test_malformed_and_truncated_xml_are_problems_not_crashes() -> None:
    for content in (b"", b"<testsuite><testcase name='a'>", b"\xff\xfe garbage", b"<a></b>", b"{}"):
        parsed = parse_report(ReportFormat.JUNIT_XML, {"report.xml": content}, FILES)
        assert parsed.results == ()
        assert len(parsed.problems) == 1, content


def test_oversized_report_is_not_parsed() -> None:
    content = b"<testsuite>" + b" " * MAX_REPORT_BYTES + b"<testcase name='a'/></testsuite>"
    parsed = parse_report(ReportFormat.JUNIT_XML, {"report.xml": content}, FILES)
    assert parsed.results == ()
    assert parsed.problems == (f"report.xml: larger than {MAX_REPORT_BYTES} bytes, ignored",)


def test_too_many_cases_long_names_and_messages_are_capped() -> None:
    many = b"<testsuite>" + b"<testcase name='t'/>" * (MAX_TESTS + 5) + b"</testsuite>"
    parsed = parse_report(ReportFormat.JUNIT_XML, {"report.xml": many}, FILES)
    assert len(parsed.results) == MAX_TESTS
    assert len(parsed.problems) == 1
    long = (
        b"<testsuite><testcase name='"
        + b"n" * 10_000
        + b"'><failure>"
        + b"m" * 100_000
        + b"</failure></testcase></testsuite>"
    )
    (result,) = parse_report(ReportFormat.JUNIT_XML, {"report.xml": long}, FILES).results
    assert (len(result.name), len(result.message), result.status) == (
        MAX_NAME_CHARS,
        MAX_MESSAGE_CHARS,
        "failed",
    )


def test_missing_file_and_unnamed_files() -> None:
    parsed = parse_report(ReportFormat.JUNIT_XML, {"other.xml": JUNIT5}, FILES)
    assert parsed.results == ()
    assert parsed.problems == ("report.xml: not written",)


def test_bad_times_are_dropped() -> None:
    content = (
        b"<testsuite><testcase name='a' time='x'/><testcase name='b' time='nan'/>"
        b"<testcase name='c' time='-1'/></testsuite>"
    )
    assert [
        r.duration_ms for r in parse_report(ReportFormat.JUNIT_XML, {"report.xml": content}, FILES).results
    ] == [
        None,
        None,
        None,
    ]


def test_jvm_and_framework_frames_are_dropped_from_messages() -> None:
    content = b"""<testsuite><testcase name="div()">
<error message="/ by zero" type="java.lang.ArithmeticException">
java.lang.ArithmeticException: / by zero
\tat Main.div(Main.java:5)
\tat MainTest.div(MainTest.java:8)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
\tat org.junit.platform.commons.util.ReflectionUtils.invokeMethod(ReflectionUtils.java:725)
\t... 42 more
</error></testcase></testsuite>"""
    (result,) = parse_report(ReportFormat.JUNIT_XML, {"report.xml": content}, FILES).results
    assert result.message == (
        "java.lang.ArithmeticException: / by zero\n"
        "\tat Main.div(Main.java:5)\n\tat MainTest.div(MainTest.java:8)"
    )
