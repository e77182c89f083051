"""Control groups (cgroup v1) that account for and limit runs: memory, pids, CPU accounting.

``RunCgroup`` is a bubblewrap step's own group: created under the server's own cgroup in each
hierarchy (so the host's or the container's limits still apply above it), limits set before the
program starts, the program joins it before it executes anything, and everything in it is frozen
and killed at the end. ``ContainerCgroup`` is a Docker container's group, which Docker makes and
removes: the host changes its limits between steps and reads it. Memory written to tmpfs (/tmp,
/dev/shm) and memfds is charged to the group too.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import signal
import time
from pathlib import Path

from server import tokens
from server.errors import Unavailable

logger = logging.getLogger(__name__)

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpuacct", "freezer")
#: How long a run's emptied groups may stay busy before they are left for the janitor (seconds).
REMOVE_PATIENCE = 5.0


@functools.cache
def own_path(controller: str) -> str:
    """This process's cgroup in a v1 hierarchy (``/proc/self/cgroup``), read once per process
    (every run's group is made under it)."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return path
    raise Unavailable(f"the cgroup v1 {controller} controller is not mounted")


def available() -> str | None:
    """None when cgroup v1 with every needed controller is usable here, else why not."""
    for controller in CONTROLLERS:
        if not (ROOT / controller / "cgroup.procs").exists():
            return f"cgroup v1 controller {controller!r} is not mounted at {ROOT / controller}"
        if not os.access(ROOT / controller, os.W_OK):
            return f"no write access to {ROOT / controller}"
    return None


def _write(path: str, value: str) -> None:
    # plain descriptors: these run several times for every run, and pathlib's layers cost more
    # than the write
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536).decode()
    finally:
        os.close(fd)


class RunCgroup:
    def __init__(self) -> None:
        # the owner's pid in the name: a sweep only touches groups whose server is gone
        name = f"duet-run-{os.getpid()}-{tokens.new_id()}"
        self.dirs = {c: f"{ROOT}/{c}{own_path(c).rstrip('/')}/{name}" for c in CONTROLLERS}
        memory = self.dirs["memory"]
        self._memsw = f"{memory}/memory.memsw.limit_in_bytes"

    def create(self) -> None:
        for directory in self.dirs.values():
            os.mkdir(directory)
        _write(f"{self.dirs['memory']}/memory.swappiness", "0")
        if not os.path.exists(self._memsw):  # the kernel accounts no swap: memory alone is the cap
            self._memsw = ""

    def set_limits(self, *, memory_bytes: int, processes: int) -> None:
        """Set once, before the program starts (from no limit: memory first, then memory+swap)."""
        _write(f"{self.dirs['memory']}/memory.limit_in_bytes", str(memory_bytes))
        if self._memsw:
            _write(self._memsw, str(memory_bytes))  # memory + swap == memory: no swapping around the limit
        _write(f"{self.dirs['pids']}/pids.max", str(processes))

    def join(self, pid: int) -> None:
        """Move ``pid`` into the group, in every hierarchy (its children will be born inside)."""
        for directory in self.dirs.values():
            _write(f"{directory}/cgroup.procs", str(pid))

    def cpu_ns(self) -> int:
        return int(_read(f"{self.dirs['cpuacct']}/cpuacct.usage"))

    def peak_memory(self) -> int:
        return int(_read(f"{self.dirs['memory']}/memory.max_usage_in_bytes"))

    def oom_killed(self) -> bool:
        return _oom_killed(self.dirs["memory"])

    def pids(self) -> list[int]:
        return [int(p) for p in _read(f"{self.dirs['pids']}/cgroup.procs").split()]

    def kill_all(self) -> None:
        """Freeze the group (no fork can race the kill), SIGKILL everything, thaw. Killed tasks
        can stay listed while the kernel finishes them (the busier the host, the longer), so
        what is left after the rounds is only worth a debug line: ``remove`` waits for them."""
        freezer = f"{self.dirs['freezer']}/freezer.state"
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            _write(freezer, "FROZEN")
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _write(freezer, "THAWED")
        logger.debug("processes still listed after 50 kill rounds in %s", self.dirs["pids"])

    def remove(self) -> None:
        """Kill what is inside and remove the groups. A group whose last process has been
        killed can stay busy (EBUSY) for a moment while the kernel releases the dying tasks, the
        longer the busier the host: it is retried for up to REMOVE_PATIENCE seconds."""
        self.kill_all()
        deadline = time.monotonic() + REMOVE_PATIENCE
        for directory in self.dirs.values():
            pause = 0.005
            while True:
                try:
                    os.rmdir(directory)
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        logger.warning("could not remove %s: %s", directory, exc)
                        break
                self.kill_all()
                time.sleep(pause)  # in a worker thread (Sandbox.close)
                pause = min(pause * 2, 0.2)


class ContainerCgroup:
    """A Docker container's groups, found from its first process. Docker removes them with the
    container (a killed one's go within milliseconds): readings then stay at their last values."""

    def __init__(self, pid: int) -> None:
        self.dirs: dict[str, str] = {}
        for line in _read(f"/proc/{pid}/cgroup").splitlines():
            _, names, path = line.split(":", 2)
            for name in names.split(","):
                self.dirs[name] = f"{ROOT}/{name}{path.rstrip('/')}"
        memory = self.dirs["memory"]
        self._limit = f"{memory}/memory.limit_in_bytes"
        self._memsw = f"{memory}/memory.memsw.limit_in_bytes"
        self._cpu_ns = self._peak = 0
        self._oom = False

    def set_limits(self, *, memory_bytes: int, processes: int) -> None:
        """Change the memory (== memory + swap) and pids limits between steps."""
        current = int(_read(self._limit))
        if current != memory_bytes:
            # memory + swap may never be below memory: raise it first, lower it last
            order = (self._limit, self._memsw) if memory_bytes < current else (self._memsw, self._limit)
            for path in order:
                if path != self._memsw or os.path.exists(path):
                    _write(path, str(memory_bytes))
        _write(f"{self.dirs['pids']}/pids.max", str(processes))

    def reset_peak(self) -> None:
        """Peaks from here on (so each step reports its own, as a bwrap step's group does)."""
        _write(f"{self.dirs['memory']}/memory.max_usage_in_bytes", "0")
        self._peak = 0

    def cpu_ns(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            self._cpu_ns = int(_read(f"{self.dirs['cpuacct']}/cpuacct.usage"))
        return self._cpu_ns

    def peak_memory(self) -> int:
        with contextlib.suppress(OSError, ValueError):
            self._peak = int(_read(f"{self.dirs['memory']}/memory.max_usage_in_bytes"))
        return self._peak

    def oom_killed(self) -> bool:
        with contextlib.suppress(OSError, ValueError):
            self._oom = self._oom or _oom_killed(self.dirs["memory"])
        return self._oom


def _oom_killed(memory: str) -> bool:
    for line in _read(f"{memory}/memory.oom_control").splitlines():
        key, _, value = line.partition(" ")
        if key == "oom_kill" and int(value) > 0:
            return True
    return False


def _owner_alive(directory: Path) -> bool:
    parts = directory.name.split("-")  # duet-run-<pid>-<id>
    return len(parts) == 4 and parts[2].isdigit() and Path(f"/proc/{parts[2]}").exists()


def sweep_orphans() -> int:
    """Remove run groups left by a crashed server (called at start); groups of servers still
    running on this host (other nodes, other test processes) are left alone."""
    removed = 0
    for controller in CONTROLLERS:
        parent = ROOT / controller / own_path(controller).lstrip("/")
        for directory in parent.glob("duet-run-*"):
            if _owner_alive(directory):
                continue
            procs = directory / "cgroup.procs"
            for pid in procs.read_text().split() if procs.exists() else []:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                directory.rmdir()
                removed += 1
    return removed
