"""One system-call policy for both engines, declared by name: everything is allowed except what a
program never needs and an attacker wants (namespaces, mounts, tracing, kernel keyrings, modules,
io_uring, bpf...).

``POLICY`` is the declaration. libseccomp (through ``pyseccomp``, a ctypes binding of the
system's ``libseccomp.so.2``) resolves its names for x86-64 and compiles it to the classic-BPF
program ``bwrap --seccomp`` reads (``bpf_program``); the same declaration becomes the JSON
profile given to Docker (``docker_profile``), whose OCI runtime (runc or crun) compiles it with
its own libseccomp. Only the native ABI is in the filter: a system call made through the i386
(``int 0x80``) or x32 entry points, or any other architecture, kills the process (SIGSYS).
docs/exec.md lists the same calls (a test holds the two together).
"""

from __future__ import annotations

import errno
import functools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: The only architecture in the policy; the others are killed.
ARCHITECTURE = "x86_64"

#: The ``clone()`` flags that create a namespace. (CLONE_NEWTIME exists only for ``unshare`` and
#: ``clone3``, both refused whole; in ``clone``'s flags that bit is part of the exit signal.)
NAMESPACE_FLAGS: dict[str, int] = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}


@dataclass(frozen=True)
class Refused:
    """System calls that return ``-answer`` instead of running; with ``flags``, only when their
    first argument has one of those flags set."""

    why: str
    calls: tuple[str, ...]
    answer: int = errno.EPERM
    flags: tuple[str, ...] = ()


POLICY: tuple[Refused, ...] = (
    Refused("new namespaces, joining another's", ("unshare", "setns")),
    Refused("a new namespace through clone", ("clone",), flags=tuple(NAMESPACE_FLAGS)),
    Refused(
        "clone3 passes its flags in a struct a filter cannot read; ENOSYS makes libc fall back to clone",
        ("clone3",),
        answer=errno.ENOSYS,
    ),
    Refused(
        "mounts, the new mount API, changing the root",
        (
            "mount",
            "umount2",
            "open_tree",
            "move_mount",
            "fsopen",
            "fsconfig",
            "fsmount",
            "fspick",
            "mount_setattr",
            "pivot_root",
            "chroot",
        ),
    ),
    Refused(
        "tracing and reading other processes",
        ("ptrace", "process_vm_readv", "process_vm_writev", "perf_event_open"),
    ),
    Refused("kernel keyrings", ("keyctl", "add_key", "request_key")),
    Refused(
        "kernel interfaces with a record of exploits",
        ("bpf", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register"),
    ),
    Refused(
        "modules, kexec, reboot",
        ("init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot"),
    ),
    Refused(
        "host administration",
        ("swapon", "swapoff", "acct", "quotactl", "syslog", "vhangup", "lookup_dcookie"),
    ),
    Refused("setting the clocks", ("settimeofday", "clock_settime", "adjtimex")),
    Refused("I/O ports, NUMA memory placement", ("iopl", "ioperm", "mbind", "move_pages")),
    Refused(
        "file handles, watching the file system",
        ("name_to_handle_at", "open_by_handle_at", "fanotify_init"),
    ),
    Refused("execution domain (turning address randomization off)", ("personality",)),
)


@dataclass(frozen=True)
class Rule:
    """One rule of the compiled policy: ``call`` returns ``-answer`` (when its first argument has
    ``flag`` set, if any)."""

    call: str
    answer: int
    flag: int | None = None


def rules(policy: tuple[Refused, ...] = POLICY) -> Iterator[Rule]:
    for refused in policy:
        for call in refused.calls:
            if not refused.flags:
                yield Rule(call, refused.answer)
            for name in refused.flags:
                yield Rule(call, refused.answer, NAMESPACE_FLAGS[name])


@functools.cache
def bpf_program() -> bytes:
    """The filter as ``struct sock_filter[]`` (what ``bwrap --seccomp FD`` reads), compiled once
    per process."""
    return compile_bpf(POLICY)


def compile_bpf(policy: tuple[Refused, ...]) -> bytes:
    """``policy`` compiled by libseccomp. Raises ``RuntimeError`` when libseccomp is missing or
    does not know a name, or on a host that is not x86-64."""
    # Imported here: finding libseccomp runs ldconfig, and nothing else of the server needs it.
    try:
        import pyseccomp
    except RuntimeError as exc:  # what pyseccomp raises when it finds no libseccomp.so.2
        raise RuntimeError(f"{exc} (apt-get install libseccomp2)") from exc

    if pyseccomp.system_arch() != pyseccomp.Arch.X86_64:
        raise RuntimeError(f"the seccomp policy is for {ARCHITECTURE} hosts only")
    compiled = pyseccomp.SyscallFilter(pyseccomp.ALLOW)
    # The filter holds the native architecture alone; libseccomp sends every other one, and
    # x32's numbers (X32_SYSCALL_BIT) on the native one, to this action.
    compiled.set_attr(pyseccomp.Attr.ACT_BADARCH, pyseccomp.KILL_PROCESS)
    for rule in rules(policy):
        number = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, rule.call)
        if number < 0:
            raise RuntimeError(f"libseccomp does not know the system call {rule.call!r}")
        args = () if rule.flag is None else (pyseccomp.Arg(0, pyseccomp.MASKED_EQ, rule.flag, rule.flag),)
        compiled.add_rule(pyseccomp.ERRNO(rule.answer), number, *args)
    with os.fdopen(os.memfd_create("duet-seccomp", os.MFD_CLOEXEC), "w+b") as out:
        compiled.export_bpf(out)
        out.seek(0)
        return out.read()


def unavailable() -> str | None:
    """None when the filter compiles here, else why not (for an engine's probe)."""
    try:
        bpf_program()
    except (OSError, RuntimeError) as exc:
        return f"the seccomp filter cannot be built: {exc}"
    return None


@functools.cache
def docker_profile() -> str:
    """The same policy as a Docker seccomp profile (JSON)."""
    syscalls: list[dict[str, Any]] = []
    for rule in rules():
        entry: dict[str, Any] = {"names": [rule.call], "action": "SCMP_ACT_ERRNO", "errnoRet": rule.answer}
        if rule.flag is not None:
            entry["args"] = [
                {"index": 0, "value": rule.flag, "valueTwo": rule.flag, "op": "SCMP_CMP_MASKED_EQ"}
            ]
        syscalls.append(entry)
    return json.dumps(
        {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": syscalls}
    )
