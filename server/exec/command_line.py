"""A step's command handed to a sandbox as one shell line, read by a one-line trampoline.

Both engines start their sandbox before they know the run: its first process is ``bash`` waiting
on a descriptor for one line (environment and argv, shell-quoted), which it ``eval``s; the line
ends in ``exec``, so the step becomes that process. ``bash``, not ``dash``: dash cannot name a
descriptor above 9, and bash's ``read`` never takes a byte past the newline from a pipe, so what
follows the line on that descriptor is left for the step.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence


def trampoline(fd: int = 0) -> str:
    """Read the line from ``fd`` (closed before the line runs, unless it is stdin) and run it."""
    if fd == 0:
        return 'IFS= read -r line || exit 125; eval "$line"'
    return f'IFS= read -r line <&{fd} || exit 125; exec {fd}<&-; eval "$line"'


def command_line(argv: Sequence[str], env: Mapping[str, str], *, before: str = "") -> str:
    """``[before; ]export K=V ...; exec argv`` (shell-quoted; no newline or NUL inside)."""
    for word in [*argv, *env, *env.values()]:
        if "\n" in word or "\x00" in word:
            raise ValueError(f"a sandbox command cannot contain a newline or NUL: {word!r}")
    exports = " ".join(shlex.quote(f"{key}={value}") for key, value in env.items())
    return (
        (f"{before}; " if before else "")
        + (f"export {exports}; " if exports else "")
        + "exec "
        + shlex.join(argv)
    )
