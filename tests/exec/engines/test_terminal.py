"""A REPL on a pseudo-terminal inside every engine's sandbox (the console's terminal)."""

from __future__ import annotations

import anyio
import pytest

from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import Engine, RunSpec, Step, Terminal

pytestmark = pytest.mark.anyio


async def read_until(terminal: Terminal, wanted: bytes) -> bytes:
    seen = b""
    with anyio.move_on_after(20):
        while wanted not in seen:
            chunk = await terminal.read()
            assert chunk, f"the terminal ended before {wanted!r}: {seen!r}"
            seen += chunk
    assert wanted in seen, f"no {wanted!r} within 20 s; the terminal showed {seen!r}"
    return seen


async def test_a_python_repl_answers_and_sees_the_files(engine: Engine, catalogue: LanguageCatalogue) -> None:
    python = catalogue.get("python")
    spec = RunSpec(
        files={"helper.py": b"ANSWER = 6 * 7\n"},
        steps=[Step("run", ("python3", "-q", "-i"))],
        env=python.environment(),
    )
    async with engine.terminal(spec) as terminal:
        await terminal.resize(30, 100)
        await read_until(terminal, b">>> ")
        await terminal.write(b"import helper, os; print('got', helper.ANSWER, os.isatty(0))\r")
        assert b"got 42 True" in await read_until(terminal, b"got 42 True")
        await terminal.write(b"exit()\r")
        with anyio.fail_after(20):
            while await terminal.read():
                pass


async def test_the_terminal_has_its_size_and_type(engine: Engine, catalogue: LanguageCatalogue) -> None:
    python = catalogue.get("python")
    spec = RunSpec(files={}, steps=[Step("run", ("python3", "-q", "-i"))], env=python.environment())
    async with engine.terminal(spec) as terminal:
        await terminal.resize(33, 111)
        await read_until(terminal, b">>> ")
        await terminal.write(b"import os; print('size', *os.get_terminal_size(), os.environ['TERM'])\r")
        await read_until(terminal, b"size 111 33 xterm-256color")


CTRL_C_PROBE = """
import os, signal, time
signal.signal(signal.SIGINT, lambda *_: print('got SIGINT', flush=True))
print('leader', os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpgrp(), 'armed', flush=True)
time.sleep(60)
"""


async def test_the_terminal_is_the_programs_controlling_tty(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    python = catalogue.get("python")
    spec = RunSpec(
        files={"probe.py": CTRL_C_PROBE.encode()},
        steps=[Step("run", ("python3", "probe.py"))],
        env=python.environment(),
    )
    async with engine.terminal(spec) as terminal:
        await read_until(terminal, b"leader True True armed")
        await terminal.write(b"\x03")  # Ctrl-C: the line discipline signals the foreground group
        await read_until(terminal, b"got SIGINT")
