"""A step's command handed to a prepared sandbox as one shell line, read by a trampoline.

The bwrap engine starts its sandboxes before it knows their runs: the first process is ``bash``
waiting on a descriptor for one line (environment and argv, shell-quoted), which it ``eval``s;
the line ends in ``exec``, so the step becomes that process. ``bash``, not ``dash``: dash cannot
name a descriptor above 9.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence


def trampoline(fd: int) -> str:
    """Read the line from ``fd``, close it, run the line."""
    return f'IFS= read -r line <&{fd} || exit 125; exec {fd}<&-; eval "$line"'


def command_line(argv: Sequence[str], env: Mapping[str, str]) -> str:
    """``export K=V ...; exec argv`` (shell-quoted; no newline or NUL inside)."""
    for word in [*argv, *env, *env.values()]:
        if "\n" in word or "\x00" in word:
            raise ValueError(f"a sandbox command cannot contain a newline or NUL: {word!r}")
    exports = " ".join(shlex.quote(f"{key}={value}") for key, value in env.items())
    return (f"export {exports}; " if exports else "") + "exec " + shlex.join(argv)
