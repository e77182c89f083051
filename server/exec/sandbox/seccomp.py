"""One system-call policy for both engines: everything is allowed except what a program never needs
and an attacker wants (namespaces, mounts, tracing, kernel keyrings, modules, io_uring, bpf...).

Rendered as a classic-BPF program for ``bwrap --seccomp`` and as a JSON profile for Docker
(whose own default profile is not available on every engine, as on this project's CI host).
x86-64 only; any other architecture (i386, x32 ABI) is refused outright.
"""

from __future__ import annotations

import errno
import json
import struct
from typing import Any

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000

#: x86-64 system call numbers refused with EPERM.
DENIED: dict[str, int] = {
    "ptrace": 101,
    "syslog": 103,
    "personality": 135,
    "vhangup": 153,
    "pivot_root": 155,
    "adjtimex": 159,
    "chroot": 161,
    "acct": 163,
    "settimeofday": 164,
    "mount": 165,
    "umount2": 166,
    "swapon": 167,
    "swapoff": 168,
    "reboot": 169,
    "iopl": 172,
    "ioperm": 173,
    "init_module": 175,
    "delete_module": 176,
    "quotactl": 179,
    "lookup_dcookie": 212,
    "clock_settime": 227,
    "mbind": 237,
    "kexec_load": 246,
    "add_key": 248,
    "request_key": 249,
    "keyctl": 250,
    "unshare": 272,
    "move_pages": 279,
    "perf_event_open": 298,
    "fanotify_init": 300,
    "name_to_handle_at": 303,
    "open_by_handle_at": 304,
    "setns": 308,
    "process_vm_readv": 310,
    "process_vm_writev": 311,
    "finit_module": 313,
    "kexec_file_load": 320,
    "bpf": 321,
    "userfaultfd": 323,
    "io_uring_setup": 425,
    "io_uring_enter": 426,
    "io_uring_register": 427,
    "open_tree": 428,
    "move_mount": 429,
    "fsopen": 430,
    "fsconfig": 431,
    "fsmount": 432,
    "fspick": 433,
    "mount_setattr": 442,
}
CLONE = 56
CLONE3 = 435  # its flags live in a struct BPF cannot read: ENOSYS makes libc fall back to clone()
#: CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
NAMESPACE_FLAGS = (
    0x00020000,
    0x02000000,
    0x04000000,
    0x08000000,
    0x10000000,
    0x20000000,
    0x40000000,
    0x00000080,
)

_LD_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16


def _errno(number: int) -> int:
    return 0x00050000 | number


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def bpf_program() -> bytes:
    """The filter as ``struct sock_filter[]`` (what ``bwrap --seccomp FD`` reads)."""
    namespace_mask = 0
    for flag in NAMESPACE_FLAGS:
        namespace_mask |= flag
    prog = [
        _insn(_LD_ABS, 0, 0, _OFF_ARCH),
        _insn(_JEQ, 1, 0, AUDIT_ARCH_X86_64),
        _insn(_RET, 0, 0, _KILL_PROCESS),
        _insn(_LD_ABS, 0, 0, _OFF_NR),
        _insn(_JGE, 0, 1, X32_SYSCALL_BIT),
        _insn(_RET, 0, 0, _errno(errno.ENOSYS)),
        _insn(_JEQ, 0, 1, CLONE3),
        _insn(_RET, 0, 0, _errno(errno.ENOSYS)),
        _insn(_JEQ, 0, 4, CLONE),
        _insn(_LD_ABS, 0, 0, _OFF_ARG0),
        _insn(_JSET, 0, 1, namespace_mask),
        _insn(_RET, 0, 0, _errno(errno.EPERM)),
        _insn(_RET, 0, 0, _ALLOW),
    ]
    for number in sorted(DENIED.values()):
        prog += [_insn(_JEQ, 0, 1, number), _insn(_RET, 0, 0, _errno(errno.EPERM))]
    prog.append(_insn(_RET, 0, 0, _ALLOW))
    return b"".join(prog)


def docker_profile() -> str:
    """The same policy as a Docker seccomp profile (JSON)."""
    rules: list[dict[str, Any]] = [
        {"names": sorted(DENIED), "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EPERM},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.ENOSYS},
    ]
    rules += [
        {
            "names": ["clone"],
            "action": "SCMP_ACT_ERRNO",
            "errnoRet": errno.EPERM,
            "args": [{"index": 0, "value": flag, "valueTwo": flag, "op": "SCMP_CMP_MASKED_EQ"}],
        }
        for flag in NAMESPACE_FLAGS
    ]
    return json.dumps(
        {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": rules}
    )
