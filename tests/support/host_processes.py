"""Processes as the host sees them through /proc, zombies included.

A zombie has no command line any more (``/proc/PID/cmdline`` is empty once a process has exited),
so a search by command line never finds one. Its name and state stay in ``/proc/PID/stat`` until
it is reaped: tests give the processes they look for a name of their own (``prctl(PR_SET_NAME)``)
and find them by it. A found process is then held by a pidfd, which never refers to another
process even once the pid is reused: it becomes readable when the process exits, and signal 0
through it succeeds until the process has been reaped (a zombie included), then fails with ESRCH.

The first process of a pid namespace (a sandbox's pid 1: bwrap's init, Docker's agent) counts as
exited only after the kernel has killed and reaped every other process of its namespace, so once
a sandbox's pid 1 has exited, nothing that ran inside is left, not even as a zombie.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import anyio

#: How long a process the sandbox killed may take to be gone (generous: the machine may be busy).
GONE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class HostProcess:
    pid: int
    name: str  # what /proc/PID/comm says (at most 15 bytes)
    state: str  # R, S, D, Z (zombie), ...
    ppid: int


def stat_of(pid: int) -> HostProcess | None:
    """What ``/proc/PID/stat`` says, or None when the process has gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # "pid (name) state ppid ...": a name may hold spaces and parentheses, so split at the last ")"
    head, _, rest = data.rpartition(b")")
    fields = rest.split()
    return HostProcess(
        pid, head.partition(b"(")[2].decode(errors="replace"), fields[0].decode(), int(fields[1])
    )


def all_processes() -> list[HostProcess]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (process := stat_of(int(entry.name))) is not None:
            found.append(process)
    return found


def named(name: str) -> list[HostProcess]:
    """Every process called ``name``, zombies included."""
    return [process for process in all_processes() if process.name == name]


def with_argument(marker: str) -> list[int]:
    """Live processes whose command line contains ``marker`` (never a zombie: see the module)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def status_field(pid: int, name: str) -> str:
    """A field of ``/proc/PID/status`` (``Uid``, ``NSpid``, ``CapEff``...), tabs and all."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key == name:
            return value.strip()
    raise AssertionError(f"no {name} in /proc/{pid}/status")


def namespace_pids(pid: int) -> list[int]:
    """``pid`` as each pid namespace from the host's down to its own sees it."""
    return [int(n) for n in status_field(pid, "NSpid").split()]


def namespaces_apart(pid: int) -> dict[str, bool]:
    """For each kind of namespace, whether ``pid`` is in another one than this process."""
    kinds = ("mnt", "pid", "net", "ipc", "uts", "cgroup", "user")
    return {
        ns: Path(f"/proc/{pid}/ns/{ns}").readlink() != Path(f"/proc/self/ns/{ns}").readlink() for ns in kinds
    }


def sandbox_init(pid: int) -> int:
    """The host pid of the first process of the pid namespace ``pid`` lives in: its sandbox's pid 1."""
    host_depth = len(namespace_pids(os.getpid()))
    current = pid
    while True:
        ids = namespace_pids(current)
        assert len(ids) > host_depth, f"process {pid} is not in a pid namespace of its own"
        if ids[-1] == 1:
            return current
        parent = stat_of(current)
        assert parent is not None, f"process {current} went away while its sandbox was looked for"
        current = parent.ppid


class Held:
    """Processes held by pidfd from the moment they were found."""

    def __init__(self, pids: list[int]) -> None:
        self.fds: dict[int, int] = {}
        try:
            for pid in pids:
                self.fds[pid] = os.pidfd_open(pid)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Held:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds = {}

    def unreaped(self) -> list[int]:
        """Those still there, running or as zombies (signal 0 reaches them)."""
        left = []
        for pid, fd in self.fds.items():
            try:
                signal.pidfd_send_signal(fd, 0)
            except ProcessLookupError:
                continue
            left.append(pid)
        return sorted(left)

    async def exited(self, within: float = GONE_SECONDS) -> None:
        """Until every one has exited (a pidfd becomes readable then)."""
        with anyio.fail_after(within):
            for fd in self.fds.values():
                await anyio.wait_readable(fd)
