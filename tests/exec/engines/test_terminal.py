"""A REPL on a pseudo-terminal inside every engine's sandbox (the console's terminal), and hostile
programs on one: the run's limits hold there too."""

from __future__ import annotations

import secrets

import anyio
import pytest

from server.exec.runtime.languages import LanguageCatalogue
from server.exec.sandbox import Engine, Limits, RunSpec, Step, Terminal
from tests.support.host_processes import Held, named, sandbox_init

pytestmark = pytest.mark.anyio

#: How long a terminal may take to show something or to end (generous: the machine may be busy).
DEADLINE = 60.0
#: What the hostile programs below get: tight where it is the subject (CPU, processes, output).
TIGHT = Limits(cpu_seconds=3, memory_bytes=128 * 1024 * 1024, processes=32, output_bytes=64 * 1024)


async def read_until(terminal: Terminal, wanted: bytes) -> bytes:
    seen = b""
    with anyio.move_on_after(DEADLINE):
        while wanted not in seen:
            chunk = await terminal.read()
            assert chunk, f"the terminal ended before {wanted!r}: {seen!r}"
            seen += chunk
    assert wanted in seen, f"no {wanted!r} within {DEADLINE:g} s; the terminal showed {seen!r}"
    return seen


async def read_to_end(terminal: Terminal) -> bytes:
    """Everything the terminal shows until its program has ended."""
    seen = b""
    with anyio.fail_after(DEADLINE):
        while chunk := await terminal.read():
            seen += chunk
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
        await read_to_end(terminal)


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


async def test_a_fork_bomb_in_the_terminal_is_contained(engine: Engine, catalogue: LanguageCatalogue) -> None:
    name = f"tbomb-{secrets.token_hex(4)}"
    bomb = f"""
import ctypes, os
ctypes.CDLL(None).prctl(15, b"{name}", 0, 0, 0)
print("bombing", flush=True)
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
    spec = RunSpec(
        files={"bomb.py": bomb.encode()},
        steps=[Step("run", ("python3", "bomb.py"))],
        env=catalogue.get("python").environment(),
        limits=TIGHT,
    )
    async with engine.terminal(spec) as terminal:
        await read_until(terminal, b"bombing")
        bombs = named(name)
        assert 0 < len(bombs) <= TIGHT.processes, len(bombs)  # the pids cap holds the forks
        init = Held([sandbox_init(bombs[0].pid)])
        # the spinning forks reach the CPU limit: the whole sandbox is killed, the terminal ends
        await read_to_end(terminal)
        assert terminal.ended_by == "used more than 3 s of CPU: stopped", terminal.ended_by
    with init:
        await init.exited()
    assert named(name) == []  # nothing of the bomb is left on the host, not even a zombie


async def test_a_flood_in_the_terminal_ends_at_the_output_cap(
    engine: Engine, catalogue: LanguageCatalogue
) -> None:
    spec = RunSpec(
        files={},
        steps=[Step("run", ("python3", "-c", "while True: print('y' * 100)"))],
        env=catalogue.get("python").environment(),
        limits=TIGHT,
    )
    async with engine.terminal(spec) as terminal:
        shown = await read_to_end(terminal)
        assert terminal.ended_by == "printed more than 65536 bytes: stopped", terminal.ended_by
    assert 0 < len(shown) <= TIGHT.output_bytes
