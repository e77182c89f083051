"""A program that makes every system call the sandboxes' seccomp policy refuses, each in a process
of its own, and prints what each returned as one JSON object: ``{"call": answer}``, the answer
being ``ok``, an errno name (``EPERM``) or the signal that killed that process (``SIGSYS``).

It runs as a sandboxed program (the standard library only, numbers and arguments of its own: it
checks the policy, it does not reuse it), and on the host as the sandboxes' uid (``--uid``,
``--gid``) with or without a filter it loads itself (``--filter FILE``: the BPF program, as
``bwrap --seccomp`` reads it).

Arguments are harmless, and chosen where the kernel allows so that without the filter the call
answers something other than EPERM (it succeeds, or checks an argument before any privilege): an
EPERM there is the filter's, not a lack of privilege.
"""

from __future__ import annotations

import argparse
import ctypes
import errno
import json
import mmap
import os
import signal
import struct
import sys
import threading
from collections.abc import Callable
from functools import partial

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

SIGCHLD = 17
X32_SYSCALL_BIT = 0x40000000
AT_FDCWD = -100
KEY_SPEC_SESSION_KEYRING = -3
KEY_SPEC_PROCESS_KEYRING = -2
UFFD_USER_MODE_ONLY = 1
PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK = 1, 1
EXCLUDE_KERNEL_AND_HV = (1 << 5) | (1 << 6)


Argument = int | bytes | ctypes.Array[ctypes.c_char]


def raw(number: int, *args: Argument) -> int:
    """``syscall(number, args...)``: the result, or minus errno. A ``bytes`` argument is passed as
    a C string, a buffer by its address."""
    ctypes.set_errno(0)
    passed = [ctypes.c_long(arg) if isinstance(arg, int) else arg for arg in args]
    result = int(libc.syscall(ctypes.c_long(number), *passed))
    return -ctypes.get_errno() if result == -1 else result


def address(buffer: ctypes.Array[ctypes.c_char]) -> int:
    return ctypes.addressof(buffer)


def clone(flags: int) -> int:
    """clone(2) as fork would call it, plus ``flags``; the child leaves at once."""
    pid = raw(56, flags | SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
    return pid


def own_memory(number: int) -> int:
    """process_vm_readv/writev(2) on this very process: no privilege needed."""
    local, remote = ctypes.create_string_buffer(8), ctypes.create_string_buffer(b"probe", 8)
    iovecs = struct.pack("QQQQ", address(local), 8, address(remote), 8)
    block = ctypes.create_string_buffer(iovecs, len(iovecs))
    return raw(number, os.getpid(), address(block), 1, address(block) + 16, 1, 0)


def perf_event_open() -> int:
    """A software counter of this process's user time: what perf_event_paranoid 2 still allows."""
    attr = ctypes.create_string_buffer(struct.pack("<IIQQQQQIIQ", PERF_TYPE_SOFTWARE, 64,
                                                   PERF_COUNT_SW_TASK_CLOCK, 0, 0, 0,
                                                   EXCLUDE_KERNEL_AND_HV, 0, 0, 0), 64)  # fmt: skip
    return raw(298, address(attr), 0, -1, -1, 0)


def name_to_handle_at() -> int:
    handle, mount_id = ctypes.create_string_buffer(8), ctypes.create_string_buffer(4)
    return raw(303, AT_FDCWD, b"/", address(handle), address(mount_id), 0)


def io_uring_setup() -> int:
    params = ctypes.create_string_buffer(120)
    return raw(425, 1, address(params))


def i386_getpid() -> int:
    """getpid through the i386 entry point: ``mov eax, 20; int 0x80; ret``."""
    code = b"\xb8\x14\x00\x00\x00\xcd\x80\xc3"
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    function = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))
    return int(function())


def thread() -> int:
    """A thread: glibc tries clone3 first and falls back to clone on ENOSYS."""
    worker = threading.Thread(target=lambda: None)
    worker.start()
    worker.join()
    return 0


#: Every refused system call, by name: what the policy declares (a test compares the two).
REFUSED: dict[str, Callable[[], int]] = {
    "unshare": lambda: raw(272, 0x10000000),  # CLONE_NEWUSER: any user may
    "setns": lambda: raw(308, -1, 0),  # EBADF
    "clone3": lambda: raw(435, 0, 0),  # EINVAL (a zero size)
    "mount": lambda: raw(165, 0, 0, 0, 0, 0),  # EFAULT
    "umount2": lambda: raw(166, b"/", 0x80000000),  # EINVAL (a bad flag)
    "open_tree": lambda: raw(428, AT_FDCWD, b"/", 0),  # an O_PATH descriptor
    "move_mount": lambda: raw(429, -1, 0, -1, 0, 0xFFFFFFFF),
    "fsopen": lambda: raw(430, b"tmpfs", 0xFFFFFFFF),
    "fsconfig": lambda: raw(431, -1, 0xFFFF, 0, 0, 0),  # EINVAL (a bad command)
    "fsmount": lambda: raw(432, -1, 0xFFFFFFFF, 0),
    "fspick": lambda: raw(433, AT_FDCWD, b"/", 0xFFFFFFFF),
    "mount_setattr": lambda: raw(442, AT_FDCWD, b"/", 0xFFFFFFFF, 0, 0),  # EINVAL
    "pivot_root": lambda: raw(155, 0, 0),
    "chroot": lambda: raw(161, b"/nonexistent-duet-probe"),  # ENOENT
    "ptrace": lambda: raw(101, 2, 0, 0, 0),  # PTRACE_PEEKDATA on no process: ESRCH
    "process_vm_readv": lambda: own_memory(310),
    "process_vm_writev": lambda: own_memory(311),
    "perf_event_open": perf_event_open,
    "keyctl": lambda: raw(250, 0, KEY_SPEC_SESSION_KEYRING, 0),  # KEYCTL_GET_KEYRING_ID
    "add_key": lambda: raw(248, b"user", b"duet-probe", b"x", 1, KEY_SPEC_PROCESS_KEYRING),
    "request_key": lambda: raw(249, b"user", b"duet-probe-absent", 0, 0),  # ENOKEY
    "bpf": lambda: raw(321, 0xFFFF, 0, 0),  # EINVAL (a bad command)
    "userfaultfd": lambda: raw(323, os.O_CLOEXEC | UFFD_USER_MODE_ONLY),
    "io_uring_setup": io_uring_setup,
    "io_uring_enter": lambda: raw(426, -1, 0, 0, 0, 0, 0),  # EBADF
    "io_uring_register": lambda: raw(427, -1, 0xFFFF, 0, 0),
    "init_module": lambda: raw(175, 0, 0, 0),
    "finit_module": lambda: raw(313, -1, 0, 0),
    "delete_module": lambda: raw(176, b"duet-probe-absent", 0),
    "kexec_load": lambda: raw(246, 0, 0, 0, 0xFFFFFFFF),
    "kexec_file_load": lambda: raw(320, -1, -1, 0, 0, 0xFFFFFFFF),
    "reboot": lambda: raw(169, 0, 0, 0, 0),  # no magic numbers
    "swapon": lambda: raw(167, 0, 0),
    "swapoff": lambda: raw(168, 0),
    "acct": lambda: raw(163, b"/nonexistent-duet-probe"),
    "quotactl": lambda: raw(179, (0x800001 << 8) | 99, 0, 0, 0),  # Q_SYNC of no quota type: EINVAL
    "syslog": lambda: raw(103, 10, 0, 0),  # SYSLOG_ACTION_SIZE_BUFFER
    "vhangup": lambda: raw(153),
    "lookup_dcookie": lambda: raw(212, 0, 0, 0),
    "settimeofday": lambda: raw(164, 0, 0),  # sets nothing: succeeds
    "clock_settime": lambda: raw(227, -1, 0),  # EINVAL (no such clock)
    "adjtimex": lambda: raw(159, 0),  # EFAULT
    "iopl": lambda: raw(172, 0),  # the level it has: succeeds
    "ioperm": lambda: raw(173, 0, 0, 0),  # EINVAL (no port)
    "mbind": lambda: raw(237, 0, 0, 0, 0, 0, 0),  # an empty range: succeeds
    "move_pages": lambda: raw(279, 0, 0, 0, 0, 0, 0),  # no page: succeeds
    "name_to_handle_at": name_to_handle_at,  # EOVERFLOW (a handle too small)
    "open_by_handle_at": lambda: raw(304, -1, 0, 0),
    "fanotify_init": lambda: raw(300, 0x200, 0),  # FAN_REPORT_FID: any user may
    "personality": lambda: raw(135, 0xFFFFFFFF),  # only asks
}

#: clone(2) with each namespace flag alone.
CLONE_FLAGS = {
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
CLONES: dict[str, Callable[[], int]] = {
    f"clone {name}": partial(clone, flag) for name, flag in CLONE_FLAGS.items()
}

#: getpid through the other x86 ABIs.
OTHER_ABIS: dict[str, Callable[[], int]] = {
    "i386 getpid": i386_getpid,
    "x32 getpid": lambda: raw(X32_SYSCALL_BIT | 39),
}

#: What a program does all the time, which must keep working.
ALLOWED: dict[str, Callable[[], int]] = {
    "getpid": lambda: raw(39),
    "clone": lambda: clone(0),
    "thread": thread,
}

CALLS = REFUSED | CLONES | OTHER_ABIS | ALLOWED


def answer(call: Callable[[], int]) -> str:
    """Run ``call`` in a child process: ``ok``, the errno's name, or the signal that killed it."""
    pid = os.fork()
    if pid == 0:
        try:
            result = call()
            os._exit(0 if result >= 0 else min(-result, 254))
        finally:
            os._exit(255)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return signal.Signals(os.WTERMSIG(status)).name
    code = os.waitstatus_to_exitcode(status)
    if code == 255:
        return "exception"
    return "ok" if code == 0 else errno.errorcode.get(code, str(code))


def load_filter(program: bytes) -> None:
    """What bwrap does with ``--seccomp``: no-new-privs, then the filter."""

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    instructions = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.addressof(instructions))
    pr_set_no_new_privs, seccomp, seccomp_set_mode_filter = 38, 317, 1
    if libc.prctl(pr_set_no_new_privs, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if raw(seccomp, seccomp_set_mode_filter, 0, ctypes.addressof(fprog)) < 0:
        raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uid", type=int)
    parser.add_argument("--gid", type=int)
    parser.add_argument("--filter")
    args = parser.parse_args(argv)
    program = None
    if args.filter is not None:
        with open(args.filter, "rb") as source:
            program = source.read()
    if args.gid is not None:
        os.setgroups([])
        os.setresgid(args.gid, args.gid, args.gid)
    if args.uid is not None:
        os.setresuid(args.uid, args.uid, args.uid)  # and with root's uid go its capabilities
    if program is not None:
        load_filter(program)
    with open("/proc/self/status") as status:
        filters = next(line.split()[1] for line in status if line.startswith("Seccomp_filters:"))
    report = {"seccomp filters": filters} | {name: answer(call) for name, call in CALLS.items()}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
