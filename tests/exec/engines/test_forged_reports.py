"""Scoring nobody can forge, through every engine (bubblewrap, Docker with crun, Docker with runc).

Each test is a candidate's solution that gets the tests wrong and tries to make the host score
it as passing by one route: lines written into the harness's report and an early exit, a child
forked at import that rewrites the report once the harness has ended, the harness's guard killed
or stopped, a planted seal, the run's key read from the guard. Every route must end with no test
passed; the routes the host can see make the run tampered with evidence a reviewer reads.
Before the report guard, the first two routes scored wrong code as passing (see
docs/exec-languages.md).
"""

from __future__ import annotations

import json
import textwrap

import pytest

from server.exec.reports import TestReport
from server.exec.reports.seal import new_run_key, reporter_key
from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import Engine, Limits, RunResult
from tests.support.language_runs import run_tests
from tests.support.language_samples import SAMPLES
from tests.support.report_forgers import fake_reports

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

LIMITS = Limits(wall_seconds=60, cpu_seconds=30)
PASSING = {
    name: "".join(
        json.dumps({"name": n, "status": "passed", "message": "", "duration_ms": 1}) + "\n"
        for n in SAMPLES[name].names
    )
    for name in ("python", "javascript", "ruby", "php")
}
#: What a solution that gets add, sub, mul and div wrong returns (each language's sample tests).
WRONG_PYTHON = "".join(f"\ndef {name}(a, b):\n    return 0\n" for name in ("add", "sub", "mul", "div"))


async def score(
    engine: Engine,
    catalogue: LanguageCatalogue,
    language_id: str,
    solution: str,
    limits: Limits = LIMITS,
    key: bytes | None = None,
) -> tuple[RunResult, TestReport]:
    language = catalogue.get(language_id)
    sample = SAMPLES[language_id]
    files = {language.source_file: solution, language.test.test_file: sample.tests}
    files.update({f"fake/{name}": body for name, body in fake_reports(language, sample.names).items()})
    files["straggler.sh"] = STRAGGLER
    return await run_tests(engine, language, files, sample.names, limits=limits, key=key)


def nothing_passed(report: TestReport) -> None:
    assert [r.status for r in report.results] == ["failed"] * 4, report
    assert report.passed == 0


# ---- lines written into the report, then an early exit ------------------------------------------

PYTHON_WRITES_AND_EXITS = (
    "import os\n"
    "for fd in map(int, os.listdir('/proc/self/fd')):\n"
    "    try:\n"
    "        target = os.readlink(f'/proc/self/fd/{{fd}}')\n"
    "    except OSError:\n"
    "        continue\n"
    "    if target == '/results/report.jsonl':\n"
    "        os.write(fd, {lines!r}.encode())\n"
    "        os._exit(0)\n"
    "raise SystemExit('the report descriptor was not found')\n" + WRONG_PYTHON
)
FAKE_END = json.dumps({"duet_end": {"count": 4, "mac": "0" * 64}}) + "\n"


@pytest.mark.parametrize("with_end", [False, True], ids=["no-end-record", "forged-end-record"])
async def test_python_lines_written_into_the_report_descriptor_then_exit(
    engine: Engine, catalogue: LanguageCatalogue, with_end: bool
) -> None:
    lines = PASSING["python"] + (FAKE_END if with_end else "")
    result, report = await score(engine, catalogue, "python", PYTHON_WRITES_AND_EXITS.format(lines=lines))
    assert result.collected["report.jsonl"].startswith(PASSING["python"].encode()), result  # it did write
    nothing_passed(report)
    assert report.tampered, report
    expected = "did not write" if with_end else "was not finished by the harness"
    assert any(expected in line for line in report.evidence), report.evidence
    assert any("exited with code 0" in line for line in report.evidence) != with_end, report.evidence


async def test_javascript_lines_appended_to_the_report_then_exit(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    solution = (
        "const fs = require('fs');\n"
        f"fs.appendFileSync('/results/report.jsonl', {json.dumps(PASSING['javascript'])});\n"
        "process.exit(0);\n"
        "module.exports = { add: () => 0, sub: () => 0, mul: () => 0, div: () => 0 };\n"
    )
    _, report = await score(engine, catalogue, "javascript", solution)
    nothing_passed(report)
    assert report.tampered and any("not finished" in line for line in report.evidence), report


async def test_ruby_lines_appended_to_the_report_then_exit(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    solution = (
        f"File.open('/results/report.jsonl', 'a') {{ |f| f.write({json.dumps(PASSING['ruby'])}) }}\n"
        "exit!(0)\n"
        "def add(a, b) = 0\ndef sub(a, b) = 0\ndef mul(a, b) = 0\ndef div(a, b) = 0\n"
    )
    _, report = await score(engine, catalogue, "ruby", solution)
    nothing_passed(report)
    assert report.tampered and any("not finished" in line for line in report.evidence), report


async def test_php_lines_appended_to_the_report_then_exit(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    solution = (
        "<?php\n"
        f"file_put_contents('/results/report.jsonl', {json.dumps(PASSING['php'])}, FILE_APPEND);\n"
        "exit(0);\n"
        + "".join(f"function {n}($a, $b) {{ return 0; }}\n" for n in ("add", "sub", "mul", "div"))
    )
    _, report = await score(engine, catalogue, "php", solution)
    nothing_passed(report)
    assert report.tampered and any("not finished" in line for line in report.evidence), report


async def test_java_report_written_then_exit(engine: Engine, catalogue: LanguageCatalogue) -> None:
    """Java reports through Duet's JUnit listener: a static initializer that writes passing lines
    and exits leaves the report unfinished."""
    lines = "".join(
        json.dumps({"name": n, "status": "passed", "message": "", "duration_ms": 1}) + "\n"
        for n in SAMPLES["java"].names
    )
    solution = (
        "import java.nio.file.*;\npublic class Main {\n    static {\n"
        '        try { Files.writeString(Path.of("/results/report.jsonl"),\n'
        f"            {json.dumps(lines)}, StandardOpenOption.APPEND); }}\n"
        "        catch (Exception e) {}\n        System.exit(0);\n    }\n"
        + "".join(f"    static int {n}(int a, int b) {{ return 0; }}\n" for n in ("add", "sub", "mul", "div"))
        + "    public static void main(String[] args) {}\n}\n"
    )
    result, report = await score(engine, catalogue, "java", solution)
    assert result.collected["report.jsonl"] == lines.encode(), result  # it did write them
    nothing_passed(report)
    assert report.tampered and any("not finished" in line for line in report.evidence), report


# ---- a process that outlives the harness and rewrites the report ---------------------------------

#: Waits (spinning on a builtin, no fork) until the tests' process is gone, then copies the fake
#: all-passed reports over the real ones.
STRAGGLER = (
    'while kill -0 "$1" 2>/dev/null; do :; done\n'
    'for f in /work/fake/*; do cat "$f" > "/results/${f##*/}"; done\n'
)

PYTHON_FORKS_AT_IMPORT = (
    "import json, os\n"
    "r, w = os.pipe()\n"
    "if os.fork() == 0:\n"
    "    os.close(w)\n"
    "    os.setsid()\n"
    "    os.read(r, 1)  # returns once the tests' process (which holds w) has exited\n"
    "    with open('/results/report.jsonl', 'w') as f:\n"
    "        f.write({lines!r})\n"
    "    os._exit(0)\n"
    "os.close(r)\n" + WRONG_PYTHON
)


async def test_python_child_forked_at_import_rewrites_the_report_after_the_harness(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    _, report = await score(
        engine, catalogue, "python", PYTHON_FORKS_AT_IMPORT.format(lines=PASSING["python"])
    )
    nothing_passed(report)
    assert report.tampered, report
    assert any("a process outlived the tests" in line for line in report.evidence), report.evidence


async def test_c_process_started_by_a_constructor_rewrites_the_report_after_the_harness(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    solution = (
        "#include <stdlib.h>\n"
        "__attribute__((constructor)) static void straggle(void) {\n"
        '    (void)system("sh straggler.sh $PPID &");\n}\n'
        "int add(int a, int b) { return 0; }\nint sub(int a, int b) { return 0; }\n"
        "int mul(int a, int b) { return 0; }\nint div_(int a, int b) { return 0; }\n"
        "int main(void) { return 0; }\n"
    )
    _, report = await score(engine, catalogue, "c", solution)
    nothing_passed(report)
    assert report.tampered, report
    assert any("a process outlived the tests" in line for line in report.evidence), report.evidence


# ---- the guard itself: killed, stopped, its seal planted, its key sought ------------------------

PYTHON_KILLS_THE_GUARD = (
    "import json, os, signal\n"
    "with open('/results/report.jsonl', 'a') as f:\n"
    "    f.write({lines!r})\n"
    "{plant}"
    "os.kill(os.getppid(), signal.SIGKILL)\n"
    "os._exit(0)\n" + WRONG_PYTHON
)
PLANT_SEAL = (
    "body = json.dumps({'v': 1, 'exit_code': 0, 'signal': None, 'outlived': [], 'files': {}})\n"
    "with open('/results/duet-seal.json', 'w') as f:\n"
    "    json.dump({'body': body, 'mac': '0' * 64}, f)\n"
)


@pytest.mark.parametrize("planted", [False, True], ids=["no-seal", "planted-seal"])
async def test_python_kills_the_guard(engine: Engine, catalogue: LanguageCatalogue, planted: bool) -> None:
    solution = PYTHON_KILLS_THE_GUARD.format(lines=PASSING["python"], plant=PLANT_SEAL if planted else "")
    result, report = await score(engine, catalogue, "python", solution)
    assert (result.status, result.signal) == ("runtime_error", 9), result
    nothing_passed(report)
    assert report.tampered, report
    expected = "was not written by the harness" if planted else "left no seal"
    assert any(expected in line for line in report.evidence), report.evidence


async def test_python_stops_the_guard_and_waits_for_the_time_limit(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    solution = (
        "import os, signal, time\n"
        f"with open('/results/report.jsonl', 'a') as f:\n    f.write({PASSING['python']!r})\n"
        "os.kill(os.getppid(), signal.SIGSTOP)\n"
        "time.sleep(10**6)\n" + WRONG_PYTHON
    )
    result, report = await score(
        engine, catalogue, "python", solution, Limits(wall_seconds=4, cpu_seconds=30)
    )
    assert result.status == "time_limit", result
    nothing_passed(report)
    assert (report.verified, report.tampered) == (False, False), report


async def test_python_cannot_read_the_key(engine: Engine, catalogue: LanguageCatalogue) -> None:
    """The guard's memory, descriptors and environment are closed to the tests' uid; the key's line
    was read off stdin before the tests started; fd 3 (the reporter's key) is closed before the
    solution is imported."""
    solution = (
        textwrap.dedent(
            """
        import json, os, sys
        guard = os.getppid()
        tries = {}
        for name, attempt in [
            ("mem", lambda: open(f"/proc/{guard}/mem", "rb").read(1)),
            ("fd", lambda: os.listdir(f"/proc/{guard}/fd")),
            ("stdin", lambda: open(f"/proc/{guard}/fd/0", "rb").read()),
            ("environ", lambda: open(f"/proc/{guard}/environ", "rb").read()),
            ("maps", lambda: open(f"/proc/{guard}/maps", "rb").read()),
            ("fd3", lambda: os.read(3, 100)),
        ]:
            try:
                tries[name] = bytes(attempt()).hex()
            except OSError as exc:
                tries[name] = type(exc).__name__
        with open("/results/tries.json", "w") as f:
            json.dump(tries, f)
        """
        )
        + WRONG_PYTHON
    )
    key = new_run_key()
    result, report = await score(engine, catalogue, "python", solution, key=key)
    raw = result.collected["tries.json"]
    assert key.hex().encode() not in raw and reporter_key(key).hex().encode() not in raw
    tries = json.loads(raw)
    assert tries == {
        "mem": "PermissionError",
        "fd": "PermissionError",
        "stdin": "PermissionError",
        "environ": "PermissionError",
        "maps": "PermissionError",
        # read and closed by the reporter before the solution was imported (the number may have
        # been reused since for the report, opened write-only)
        "fd3": "OSError",
    }, tries
    nothing_passed(report)
    assert not report.tampered, report  # an honest (wrong) run is not flagged


async def test_a_fork_bomb_left_behind_is_ended_by_the_guard(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    """Processes forking as fast as they can when the tests end: the guard still ends every one
    (its kill is repeated after each reap) and seals, within the wall limit."""
    solution = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    while True:\n"
        "        try:\n"
        "            os.fork()\n"
        "        except OSError:\n"
        "            pass\n" + WRONG_PYTHON
    )
    limits = Limits(wall_seconds=60, cpu_seconds=30, processes=32)
    result, report = await score(engine, catalogue, "python", solution, limits)
    assert result.status == "runtime_error", result  # the tests failed; no limit ended the run
    nothing_passed(report)
    assert report.tampered and any("outlived the tests" in line for line in report.evidence), report


# ---- what stays open (docs/exec-languages.md, "What remains possible"): pinned so the docs stay true


async def test_open_route_python_code_driving_the_reporter_itself(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    """Code in pytest's process finds Duet's reporter and has it write, MAC and end the lines."""
    solution = (
        "import gc, os\n"
        "reporter = next(o for o in gc.get_objects() if type(o).__name__ == 'DuetReporter')\n"
        f"for line in {PASSING['python']!r}.splitlines(keepends=True):\n"
        "    reporter.write(line.encode())\n"
        "reporter.end()\n"
        "os._exit(0)\n" + WRONG_PYTHON
    )
    _, report = await score(engine, catalogue, "python", solution)
    assert (report.tampered, report.passed) == (False, 4), report


async def test_open_route_c_report_written_then_exit(engine: Engine, catalogue: LanguageCatalogue) -> None:
    """A framework that writes its own report at the end: the solution writes it first and exits."""
    c = catalogue.get("c")
    fake = fake_reports(c, SAMPLES["c"].names)["report.xml"]
    solution = (
        "#include <stdio.h>\n#include <unistd.h>\n"
        "__attribute__((constructor)) static void forge(void) {\n"
        '    FILE *f = fopen("/results/report.xml", "w");\n'
        f"    fputs({json.dumps(fake)}, f);\n"
        "    fclose(f);\n    _exit(0);\n}\n"
        "int add(int a, int b) { return 0; }\nint sub(int a, int b) { return 0; }\n"
        "int mul(int a, int b) { return 0; }\nint div_(int a, int b) { return 0; }\n"
        "int main(void) { return 0; }\n"
    )
    _, report = await score(engine, catalogue, "c", solution)
    assert (report.tampered, report.passed) == (False, 4), report


async def test_the_tests_process_gets_default_signal_dispositions(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    """The guard is a Python process, which ignores SIGPIPE and SIGXFSZ; the framework it starts
    must not inherit that (a write past the file-size limit must still kill, as without it)."""
    solution = (
        "#include <stdio.h>\n#include <string.h>\n"
        "__attribute__((constructor)) static void dump(void) {\n"
        '    FILE *in = fopen("/proc/self/status", "r"), *out = fopen("/results/sigign.txt", "w");\n'
        "    char line[256];\n"
        '    while (fgets(line, sizeof line, in)) if (!strncmp(line, "SigIgn:", 7)) fputs(line + 7, out);\n'
        "    fclose(in);\n    fclose(out);\n}\n"
        "int add(int a, int b) { return 0; }\nint sub(int a, int b) { return 0; }\n"
        "int mul(int a, int b) { return 0; }\nint div_(int a, int b) { return 0; }\n"
        "int main(void) { return 0; }\n"
    )
    result, report = await score(engine, catalogue, "c", solution)
    ignored = int(result.collected["sigign.txt"].strip(), 16)
    assert ignored & (1 << (13 - 1) | 1 << (25 - 1)) == 0, hex(ignored)  # SIGPIPE, SIGXFSZ
    assert not report.tampered, report
