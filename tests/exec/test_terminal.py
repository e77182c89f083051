"""A REPL on a pseudo-terminal inside every engine's sandbox (the console's terminal)."""

from __future__ import annotations

import anyio
import pytest

from server.exec.languages import LanguageRegistry
from server.exec.languages.model import Step
from server.exec.sandbox import RunSpec, Sandbox, Terminal

pytestmark = pytest.mark.anyio


async def read_until(terminal: Terminal, wanted: bytes) -> bytes:
    seen = b""
    with anyio.fail_after(20):
        while wanted not in seen:
            chunk = await terminal.read()
            assert chunk, f"the terminal ended before {wanted!r}: {seen!r}"
            seen += chunk
    return seen


async def test_a_python_repl_answers_and_sees_the_files(sandbox: Sandbox, registry: LanguageRegistry) -> None:
    python = registry.get("python")
    spec = RunSpec(
        files={"helper.py": b"ANSWER = 6 * 7\n"},
        steps=[Step("run", ("python3", "-q", "-i"))],
        env=python.environment(),
    )
    async with sandbox.terminal(spec) as terminal:
        await terminal.resize(30, 100)
        await read_until(terminal, b">>> ")
        await terminal.write(b"import helper, os; print('got', helper.ANSWER, os.isatty(0))\r")
        assert b"got 42 True" in await read_until(terminal, b"got 42 True")
        await terminal.write(b"exit()\r")
        with anyio.fail_after(20):
            while await terminal.read():
                pass


async def test_the_terminal_has_its_size_and_type(sandbox: Sandbox, registry: LanguageRegistry) -> None:
    python = registry.get("python")
    spec = RunSpec(files={}, steps=[Step("run", ("python3", "-q", "-i"))], env=python.environment())
    async with sandbox.terminal(spec) as terminal:
        await terminal.resize(33, 111)
        await read_until(terminal, b">>> ")
        await terminal.write(b"import os; print('size', *os.get_terminal_size(), os.environ['TERM'])\r")
        await read_until(terminal, b"size 111 33 xterm-256color")


async def test_the_terminal_is_the_programs_controlling_tty(
    sandbox: Sandbox, registry: LanguageRegistry
) -> None:
    python = registry.get("python")
    spec = RunSpec(files={}, steps=[Step("run", ("python3", "-q", "-i"))], env=python.environment())
    async with sandbox.terminal(spec) as terminal:
        await read_until(terminal, b">>> ")
        await terminal.write(
            b"import os; print('leader', os.getsid(0) == os.getpid(), os.tcgetpgrp(0) == os.getpgrp())\r"
        )
        await read_until(terminal, b"leader True True")
        await terminal.write(
            b"import signal, time; signal.signal(signal.SIGINT, lambda *_: print('got SIGINT'))\r"
        )
        await read_until(terminal, b">>> ")
        await terminal.write(b"print('armed'); time.sleep(60)\r")
        await read_until(terminal, b"armed\r\n")
        await terminal.write(b"\x03")  # Ctrl-C: the line discipline signals the foreground group
        await read_until(terminal, b"got SIGINT")
