"""A run's directories on the host: one private tmpfs holding ``work/`` and ``results/``.

The tmpfs caps the bytes and inodes a program can create (disk fill and inode exhaustion end
with ENOSPC), vanishes with the run (nothing is left for the next one), and is written only by
the host before the run and read only by the host after it, when nothing inside is running any
more. Reading never follows a link and never reads more than the cap.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import anyio

from server import tokens
from server.errors import Unavailable

MNT_DETACH = 2
MS_NOSUID = 0x2
MS_NODEV = 0x4
MAX_COLLECTED_BYTES = 4 * 1024 * 1024
MAX_COLLECTED_FILES = 32
#: Files up to this size are written without a thread hop (tmpfs: no disk wait).
INLINE_WRITE_BYTES = 256 * 1024

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _mount_tmpfs(target: Path, size: int, inodes: int) -> None:
    options = f"size={size},nr_inodes={inodes},mode=0755".encode()
    if _libc.mount(b"tmpfs", str(target).encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
        code = ctypes.get_errno()
        raise Unavailable(f"cannot mount the run's tmpfs: {os.strerror(code)}")


def _unmount(target: Path) -> None:
    if _libc.umount2(str(target).encode(), MNT_DETACH) != 0 and ctypes.get_errno() != errno.EINVAL:
        raise OSError(ctypes.get_errno(), f"umount {target}")


class Workspace:
    def __init__(self, base: Path, *, size: int, uid: int, gid: int, inodes: int = 2048) -> None:
        self.root = base / f"run-{os.getpid()}-{tokens.new_id()}"  # the owner's pid: see sweep()
        self.work = self.root / "work"
        self.results = self.root / "results"
        self._size = size
        self._inodes = inodes
        self._uid = uid
        self._gid = gid

    def __enter__(self) -> Workspace:
        self.root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.mkdir(mode=0o700)
        # room for the results beside the work dir; the work dir's own cap is the tmpfs size
        _mount_tmpfs(self.root, self._size + MAX_COLLECTED_BYTES, self._inodes)
        for directory in (self.work, self.results):
            directory.mkdir(mode=0o755)
            os.chown(directory, self._uid, self._gid)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        _unmount(self.root)
        self.root.rmdir()

    def write(self, files: Mapping[str, bytes]) -> None:
        """Files are written by the host, as regular files owned by the sandbox user."""
        for relative, content in files.items():
            target = self.work / relative
            for parent in reversed(target.relative_to(self.work).parents[:-1]):
                directory = self.work / parent
                if not directory.exists():
                    directory.mkdir(mode=0o755)
                    os.chown(directory, self._uid, self._gid)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            try:
                os.write(fd, content)
                os.fchown(fd, self._uid, self._gid)
            finally:
                os.close(fd)

    def collect(self) -> dict[str, bytes]:
        """Regular files directly in ``results/``: no symlink followed, none over the cap."""
        return collect_regular_files(self.results)


async def write_files(ws: Workspace, files: Mapping[str, bytes]) -> None:
    """Into a run's work dir, at once when small (a thread hop costs more than the writes)."""
    if sum(len(content) for content in files.values()) <= INLINE_WRITE_BYTES:
        ws.write(files)
    else:
        await anyio.to_thread.run_sync(ws.write, files)


def sweep(base: Path) -> int:
    """Unmount and remove run directories whose server process is gone (killed mid-run)."""
    removed = 0
    for root in base.glob("run-*") if base.is_dir() else []:
        parts = root.name.split("-")  # run-<pid>-<id>
        if len(parts) == 3 and parts[1].isdigit() and Path(f"/proc/{parts[1]}").exists():
            continue
        _unmount(root)
        try:
            root.rmdir()
            removed += 1
        except OSError:
            continue
    return removed


def collect_regular_files(directory: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for name in sorted(os.listdir(dir_fd))[:MAX_COLLECTED_FILES]:  # noqa: PTH208 (a directory fd)
            try:
                fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
            except OSError:
                continue  # a symlink (ELOOP) or gone
            try:
                info = os.fstat(fd)
                if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_COLLECTED_BYTES:
                    data = os.read(fd, MAX_COLLECTED_BYTES + 1)
                    if len(data) <= MAX_COLLECTED_BYTES:
                        found[name] = data
            finally:
                os.close(fd)
    finally:
        os.close(dir_fd)
    return found
