"""The one-line command both engines hand their sandbox (server/exec/command_line.py)."""

from __future__ import annotations

import subprocess

import pytest

from server.exec.command_line import command_line, trampoline


def test_a_command_line_is_one_line() -> None:
    assert command_line(["python3", "main.py"], {"A": "1 2"}) == "export 'A=1 2'; exec python3 main.py"
    assert command_line(["true"], {}, before="cd /") == "cd /; exec true"
    for bad in (["echo", "two\nlines"], ["nul\x00"]):
        with pytest.raises(ValueError, match="newline or NUL"):
            command_line(bad, {})
    with pytest.raises(ValueError):
        command_line(["true"], {"K": "a\nb"})


def test_the_trampoline_leaves_what_follows_the_line_to_the_step() -> None:
    line = command_line(["sh", "-c", 'printf "%s|" "$X" "$0"; cat'], {"X": "it's $HOME"})
    done = subprocess.run(
        ["bash", "-c", trampoline()], input=f"{line}\nthe rest\n".encode(), capture_output=True, check=True
    )
    assert done.stdout == b"it's $HOME|sh|the rest\n"


def test_an_empty_stdin_runs_nothing() -> None:
    done = subprocess.run(["bash", "-c", trampoline()], input=b"", capture_output=True, check=False)
    assert done.returncode == 125
