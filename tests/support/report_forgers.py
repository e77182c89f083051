"""Hostile solutions that try to pass tests they fail, one per language (SQL runs no code).

Every forger: (1) as early as the language allows (import, class load, constructor, init) runs
``forge.sh``, which prints fake results in every protocol on stdout, stderr and fd 3 (bats' TAP
channel), and plants symlinks in /results where each report file would go, pointing at a fake
all-passed report in the work dir, plus one at /etc/shadow; (2) ``add`` is right, ``sub`` exits
with status 0, ``mul`` and ``div`` are wrong. The work dir also holds fake all-passed reports
under every report file name. Honest scoring: ``sub``, ``mul`` and ``div`` never pass.
"""

from __future__ import annotations

import json

from server.exec.runtime.languages import Language, ReportFormat

FORGERS: dict[str, str] = {
    "python": (
        "import os, subprocess\nsubprocess.run(['sh', 'forge.sh'])\n\n"
        "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    os._exit(0)\n\n\n"
        "def mul(a, b):\n    return a + b\n\n\ndef div(a, b):\n    return 0\n"
    ),
    "javascript": (
        "require('child_process').execSync('sh forge.sh', { stdio: 'inherit' });\n"
        "function add(a, b) { return a + b; }\nfunction sub(a, b) { process.exit(0); }\n"
        "function mul(a, b) { return a + b; }\nfunction div(a, b) { return 0; }\n"
        "module.exports = { add, sub, mul, div };\n"
    ),
    "typescript": (
        "require('child_process').execSync('sh forge.sh', { stdio: 'inherit' });\n"
        "export function add(a: number, b: number): number { return a + b; }\n"
        "export function sub(a: number, b: number): number { process.exit(0); return 0; }\n"
        "export function mul(a: number, b: number): number { return a + b; }\n"
        "export function div(a: number, b: number): number { return 0; }\n"
    ),
    "java": (
        "public class Main {\n"
        "    static {\n        try {\n"
        '            new ProcessBuilder("sh", "forge.sh").inheritIO().start().waitFor();\n'
        "        } catch (Exception e) {\n            throw new RuntimeException(e);\n        }\n    }\n"
        "    static int add(int a, int b) { return a + b; }\n"
        "    static int sub(int a, int b) { System.exit(0); return 0; }\n"
        "    static int mul(int a, int b) { return a + b; }\n"
        "    static int div(int a, int b) { return 0; }\n"
        "    public static void main(String[] args) {}\n}\n"
    ),
    "c": (
        "#include <stdlib.h>\n"
        '__attribute__((constructor)) static void forge(void) { (void)system("sh forge.sh"); }\n'
        "int add(int a, int b) { return a + b; }\nint sub(int a, int b) { exit(0); }\n"
        "int mul(int a, int b) { return a + b; }\nint div_(int a, int b) { return 0; }\n"
        "int main(void) { return 0; }\n"
    ),
    "cpp": (
        "#include <cstdlib>\n"
        'static int forged = std::system("sh forge.sh");\n'
        "int add(int a, int b) { return a + b; }\nint sub(int a, int b) { std::exit(0); }\n"
        "int mul(int a, int b) { return a + b; }\nint div_(int a, int b) { return 0; }\n"
        "int main() { return 0; }\n"
    ),
    "go": (
        'package main\n\nimport (\n\t"os"\n\t"os/exec"\n)\n\n'
        'func init() {\n\tc := exec.Command("sh", "forge.sh")\n'
        "\tc.Stdout, c.Stderr = os.Stdout, os.Stderr\n\t_ = c.Run()\n}\n\n"
        "func add(a, b int) int { return a + b }\nfunc sub(a, b int) int { os.Exit(0); return 0 }\n"
        "func mul(a, b int) int { return a + b }\nfunc div(a, b int) int { return 0 }\nfunc main() {}\n"
    ),
    "ruby": (
        "system('sh', 'forge.sh')\n"
        "def add(a, b) = a + b\ndef sub(a, b) = exit!(0)\ndef mul(a, b) = a + b\ndef div(a, b) = 0\n"
    ),
    "rust": (
        "fn add(a: i32, b: i32) -> i32 {\n"
        '    let _ = std::process::Command::new("sh").arg("forge.sh").status();\n    a + b\n}\n'
        "fn sub(_a: i32, _b: i32) -> i32 { std::process::exit(0) }\n"
        "fn mul(a: i32, b: i32) -> i32 { a + b }\nfn div(_a: i32, _b: i32) -> i32 { 0 }\nfn main() {}\n"
    ),
    "php": (
        "<?php\nsystem('sh forge.sh');\n"
        "function add($a, $b) { return $a + $b; }\nfunction sub($a, $b) { exit(0); }\n"
        "function mul($a, $b) { return $a + $b; }\nfunction div($a, $b) { return 0; }\n"
    ),
    "bash": (
        "sh forge.sh\nadd() { echo $(( $1 + $2 )); }\nsub() { exit 0; }\n"
        "mul() { echo $(( $1 + $2 )); }\ndiv() { echo 0; }\n"
    ),
}


#: Framework configuration a candidate could add to the work dir to turn failures into passes.
CONFIG_HIJACKS: dict[str, dict[str, str]] = {
    "python": {
        "conftest.py": (
            "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
            "def pytest_runtest_makereport(item, call):\n    outcome = yield\n"
            "    outcome.get_result().outcome = 'passed'\n"
        ),
        "pytest.ini": "[pytest]\naddopts = -p conftest\n",
    },
    "php": {"phpunit.xml": '<phpunit><php><ini name="assert.active" value="0"/></php></phpunit>'},
}


def fake_reports(language: Language, names: tuple[str, ...]) -> dict[str, str]:
    """A well-formed report claiming every test passed, under each of the harness's file names."""
    harness = language.test
    fmt = harness.report
    if fmt is ReportFormat.DUET_JSONL:
        body = "".join(
            json.dumps({"name": n, "status": "passed", "message": "", "duration_ms": 1}) + "\n" for n in names
        )
        return {f: body for f in harness.report_files}
    if fmt in (ReportFormat.JUNIT_XML, ReportFormat.CMOCKA_XML):
        cases = "".join(f'<testcase name="{n}" time="0.001"/>' for n in names)
        body = f'<?xml version="1.0"?><testsuites><testsuite name="x">{cases}</testsuite></testsuites>'
        return {f: body for f in harness.report_files}
    if fmt is ReportFormat.GTEST_JSON:
        suites: dict[str, list[dict[str, str]]] = {}
        for n in names:
            suite, _, case = n.partition(".")
            suites.setdefault(suite, []).append({"name": case, "status": "RUN", "result": "COMPLETED"})
        body = json.dumps({"testsuites": [{"name": s, "testsuite": c} for s, c in suites.items()]})
        return {f: body for f in harness.report_files}
    if fmt is ReportFormat.GO_TEST_JSON:
        events = [{"Action": "pass", "Test": n, "Elapsed": 0} for n in names] + [{"Action": "pass"}]
        body = "".join(json.dumps(e) + "\n" for e in events)
        return {
            "report.jsonl": body,
            "go-test.txt": "".join(f"--- PASS: {n} (0.00s)\n" for n in names) + "PASS\n",
        }
    if fmt is ReportFormat.LIBTEST:
        return {
            "tests.log": "".join(f"ok duet_tests::{n}\n" for n in names),
            "events.json": "".join(
                json.dumps({"type": "test", "event": "ok", "name": f"duet_tests::{n}"}) + "\n" for n in names
            ),
        }
    raise AssertionError(f"no fake report for {fmt}")


def payload(language: Language, names: tuple[str, ...]) -> str:
    """Fake result lines in every protocol the harnesses (or others) use, printed by the forger."""
    lines = ["", "<PASSED::>Test Passed"]
    for index, name in enumerate(names, start=1):
        lines += [
            json.dumps({"name": name, "status": "passed", "message": "", "duration_ms": 1}),
            f"--- PASS: {name} (0.00s)",
            json.dumps({"Action": "pass", "Test": name, "Elapsed": 0}),
            f"ok duet_tests::{name}",
            json.dumps({"type": "test", "event": "ok", "name": f"duet_tests::{name}"}),
            f"ok {index} {name}",
            f'<testcase name="{name}" time="0.001"/>',
        ]
    return "\n".join(lines) + "\nPASS\n"


def forge_script(language: Language) -> str:
    links = "".join(
        f"ln -s /work/fake/{name} /results/{name} 2>/dev/null\n" for name in language.test.report_files
    )
    return (
        "cat /work/payload.txt\ncat /work/payload.txt >&2\n"
        "if [ -e /proc/self/fd/3 ]; then cat /work/payload.txt >&3 2>/dev/null; fi\n"
        f"{links}ln -s /etc/shadow /results/shadow 2>/dev/null\n"
        "ln -s / /results/root 2>/dev/null\necho forged > /results/forged\n"
    )


def forger_files(language: Language, tests: str, names: tuple[str, ...]) -> dict[str, str]:
    """Everything the forger puts in the work dir."""
    fakes = fake_reports(language, names)
    files = {
        language.source_file: FORGERS[language.id],
        language.test.test_file: tests,
        "forge.sh": forge_script(language),
        "payload.txt": payload(language, names),
    }
    files.update(fakes)  # fake reports in the work dir, where a naive reader might look
    files.update(CONFIG_HIJACKS.get(language.id, {}))
    files.update({f"fake/{name}": content for name, content in fakes.items()})
    return files
