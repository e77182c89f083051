"""The one-line command the bwrap engine hands its prepared sandboxes
(server/exec/engines/bwrap/command_line.py)."""

from __future__ import annotations

import fcntl
import os
import subprocess

import pytest

from server.exec.engines.bwrap.command_line import command_line, trampoline


def test_a_command_line_is_one_line() -> None:
    assert command_line(["python3", "main.py"], {"A": "1 2"}) == "export 'A=1 2'; exec python3 main.py"
    for bad in (["echo", "two\nlines"], ["nul\x00"]):
        with pytest.raises(ValueError, match="newline or NUL"):
            command_line(bad, {})
    with pytest.raises(ValueError):
        command_line(["true"], {"K": "a\nb"})


def run_trampoline(line: bytes) -> tuple[subprocess.CompletedProcess[bytes], int]:
    low, write = os.pipe()
    os.write(write, line)
    os.close(write)
    read = fcntl.fcntl(low, fcntl.F_DUPFD_CLOEXEC, 50)  # above anything `ls` itself opens
    os.close(low)
    try:
        done = subprocess.run(
            ["bash", "-c", trampoline(read)], pass_fds=(read,), capture_output=True, check=False
        )
        return done, read
    finally:
        os.close(read)


def test_the_trampoline_runs_the_line_with_its_descriptor_closed() -> None:
    line = command_line(["sh", "-c", 'printf "%s|" "$X" "$0"; ls /proc/self/fd'], {"X": "it's $HOME"})
    done, fd = run_trampoline(f"{line}\n".encode())
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert out.startswith("it's $HOME|sh|")
    assert str(fd) not in out.split("|")[-1].split()  # the command pipe is closed before the step runs


def test_nothing_to_read_runs_nothing() -> None:
    assert run_trampoline(b"")[0].returncode == 125
