"""What a run's files may be: checked before anything is written, by every engine and the Executor."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from server.errors import InvalidInput, PayloadTooLarge
from server.exec.sandbox.model import Limits

MAX_FILES = 200
MAX_PATH = 200
MAX_NAME_BYTES = 255  # NAME_MAX: one part of a path, in bytes


def check_files(files: Mapping[str, bytes], limits: Limits) -> None:
    """Refuse what cannot be written as a work directory before anything is written: paths that
    could escape it, a file that is also another's directory (``a`` and ``a/b``), names longer
    than a file system takes, too many files, and sizes over the disk limit."""
    if len(files) > MAX_FILES:
        raise InvalidInput(f"at most {MAX_FILES} files per run", details={"field": "files"})
    total = 0
    directories: set[str] = set()
    for path, content in files.items():
        check_path(path)
        total += len(content)
        parts = path.split("/")
        directories.update("/".join(parts[:end]) for end in range(1, len(parts)))
    for path in files:
        if path in directories:
            raise InvalidInput(
                f"{path!r} is both a file and a folder of other files",
                details={"field": "files", "path": path[:MAX_PATH]},
            )
    if total > limits.disk_bytes:
        raise PayloadTooLarge(
            f"the files take {total} bytes; the work directory holds {limits.disk_bytes}",
            details={"field": "files"},
        )


def check_path(path: str) -> None:
    where = {"field": "files", "path": path[:MAX_PATH]}
    if not path or len(path) > MAX_PATH or "\x00" in path or "\\" in path:
        raise InvalidInput("file paths must be 1-200 characters, without NUL or backslashes", details=where)
    if path.startswith("/"):
        raise InvalidInput(f"{path!r}: absolute paths are not allowed", details=where)
    parts = path.split("/")
    if any(part in {"", ".", ".."} for part in parts) or posixpath.normpath(path) != path:
        raise InvalidInput(f"{path!r}: empty, '.' and '..' path parts are not allowed", details=where)
    if parts[0] == ".duet":
        raise InvalidInput(f"{path!r}: .duet/ is reserved for build output", details=where)
    try:
        too_long = any(len(part.encode()) > MAX_NAME_BYTES for part in parts)
    except UnicodeEncodeError:  # a lone surrogate: no file system name
        raise InvalidInput(f"{path!r}: not a valid file name", details=where) from None
    if too_long:
        raise InvalidInput(f"each part of a path is at most {MAX_NAME_BYTES} bytes", details=where)
