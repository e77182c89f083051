"""What the system-call probe (``syscall_probe``, beside this module) must report under the
sandboxes' seccomp policy, derived from the policy's declaration."""

from __future__ import annotations

import errno
from pathlib import Path

from server.exec.sandbox import seccomp
from tests.support import syscall_probe

#: The probe as a program's source (it runs as a sandboxed main.py).
PROBE_SOURCE = Path(syscall_probe.__file__).read_bytes()


def refused() -> dict[str, str]:
    """Each refused call as the probe names it (``clone CLONE_NEWUSER`` for a flag of clone),
    with the errno the policy answers."""
    answers = {}
    for group in seccomp.POLICY:
        name = errno.errorcode[group.answer]
        for call in group.calls:
            if not group.flags:
                answers[call] = name
            for flag in group.flags:
                answers[f"{call} {flag}"] = name
    return answers


def under_the_policy() -> dict[str, str]:
    """The whole report: one filter, every refused call refused, the other ABIs killed, the
    ordinary calls working."""
    return (
        {"seccomp filters": "1"}
        | refused()
        | dict.fromkeys(syscall_probe.OTHER_ABIS, "SIGSYS")
        | dict.fromkeys(syscall_probe.ALLOWED, "ok")
    )
